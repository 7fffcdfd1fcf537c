/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memcpy, memmove and memset for the freestanding hypervisor build, a machine
 * word at a time where the addresses allow: loading a guest zeroes and copies
 * hundreds of MiB (its RAM, its kernel), which byte loops made the largest
 * part of a guest's start (3 s of 4 under QEMU for a 256 MiB guest). Host
 * builds use the system's; tests/host/memory_check.c builds this file under
 * other names (MAMORU_MEMORY_TEST) and checks it against byte loops.
 */
#if !defined(MAMORU_HOST) || defined(MAMORU_MEMORY_TEST)

#ifdef MAMORU_MEMORY_TEST
#include <stddef.h>
#include <stdint.h>
#define memcpy test_memcpy
#define memmove test_memmove
#define memset test_memset
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
#else
#include <mamoru/libc.h>
#endif

/* Without this GCC may recognise the loops below as memset or memcpy idioms
 * and replace them with calls to themselves. */
#define NO_LOOP_PATTERNS __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* A machine word that may alias any object (the bytes copied are of any type). */
typedef uintptr_t __attribute__((may_alias)) word;
#define WORD sizeof(word)
#define MISALIGNED(p) ((uintptr_t)(p) & (WORD - 1))

/* Copies n bytes upwards. Word copies when dst and src are equally aligned. */
static NO_LOOP_PATTERNS void copy_up(unsigned char *d, const unsigned char *s, size_t n)
{
	if (MISALIGNED(d) == MISALIGNED(s)) {
		for (; n && MISALIGNED(d); n--)
			*d++ = *s++;
		word *dw = (word *)(void *)d;
		const word *sw = (const word *)(const void *)s;
		for (; n >= 4 * WORD; n -= 4 * WORD, dw += 4, sw += 4) {
			dw[0] = sw[0];
			dw[1] = sw[1];
			dw[2] = sw[2];
			dw[3] = sw[3];
		}
		for (; n >= WORD; n -= WORD)
			*dw++ = *sw++;
		d = (unsigned char *)dw;
		s = (const unsigned char *)sw;
	}
	while (n--)
		*d++ = *s++;
}

NO_LOOP_PATTERNS void *memcpy(void *dst, const void *src, size_t n)
{
	copy_up(dst, src, n);
	return dst;
}

NO_LOOP_PATTERNS void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Compare as integers: relational operators on pointers into different
	 * objects are undefined. Upwards is safe unless dst starts inside src. */
	if ((uintptr_t)d <= (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n)
		copy_up(d, s, n);
	else
		while (n--)
			d[n] = s[n];
	return dst;
}

NO_LOOP_PATTERNS void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst, b = (unsigned char)c;

	for (; n && MISALIGNED(d); n--)
		*d++ = b;
	word v = (word)-1 / 0xff * b;            /* b in every byte */
	word *dw = (word *)(void *)d;
	for (; n >= 4 * WORD; n -= 4 * WORD, dw += 4) {
		dw[0] = v;
		dw[1] = v;
		dw[2] = v;
		dw[3] = v;
	}
	for (; n >= WORD; n -= WORD)
		*dw++ = v;
	d = (unsigned char *)dw;
	while (n--)
		*d++ = b;
	return dst;
}

#endif
