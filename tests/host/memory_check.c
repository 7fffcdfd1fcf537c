/* SPDX-License-Identifier: GPL-2.0-only */
/* core/lib/memory.c against byte loops: every length up to 3 words past 4 words,
 * every alignment of source and destination, overlapping moves both ways, every
 * fill byte; the bytes around the destination untouched. Under ASan/UBSan, so a
 * stray access fails. Prints "memory: N checks passed". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void *test_memcpy(void *dst, const void *src, size_t n);
void *test_memmove(void *dst, const void *src, size_t n);
void *test_memset(void *dst, int c, size_t n);

#define SPAN 96
#define PAD 16
static unsigned long checks, failures;

static void check(int ok, const char *what, size_t n, size_t da, size_t sa)
{
	checks++;
	if (!ok && failures++ < 10)
		printf("FAIL %s n=%zu dst+%zu src+%zu\n", what, n, da, sa);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u + 1u);
}

int main(void)
{
	static unsigned char buf[SPAN + 2 * PAD], ref[SPAN + 2 * PAD], src[SPAN + 2 * PAD];
	for (size_t n = 0; n <= 4 * 8 + 3 * 8; n++)
		for (size_t da = 0; da < 8; da++) {
			for (size_t sa = 0; sa < 8; sa++) {
				fill(buf, sizeof(buf), 1);
				fill(src, sizeof(src), 2);
				memcpy(ref, buf, sizeof(buf));
				memcpy(ref + PAD + da, src + PAD + sa, n);
				void *r = test_memcpy(buf + PAD + da, src + PAD + sa, n);
				check(r == buf + PAD + da && !memcmp(buf, ref, sizeof(buf)), "memcpy", n, da, sa);
				/* Overlapping moves, within one buffer, both directions. */
				for (int dir = -1; dir <= 1; dir += 2) {
					size_t from = PAD + sa, to = dir < 0 ? from - (da + 1) % PAD : from + da;
					fill(buf, sizeof(buf), 3);
					memcpy(ref, buf, sizeof(buf));
					memmove(ref + to, ref + from, n);
					r = test_memmove(buf + to, buf + from, n);
					check(r == buf + to && !memcmp(buf, ref, sizeof(buf)), "memmove", n, to,
					      from);
				}
			}
			for (int c = 0; c < 256; c += 51) {
				fill(buf, sizeof(buf), 4);
				memcpy(ref, buf, sizeof(buf));
				memset(ref + PAD + da, c, n);
				void *r = test_memset(buf + PAD + da, c | 0x100 * (c & 1), n);
				check(r == buf + PAD + da && !memcmp(buf, ref, sizeof(buf)), "memset", n, da,
				      (size_t)c);
			}
		}
	/* A large block, as a guest's RAM is zeroed and its kernel copied. */
	static unsigned char big[1 << 20], big_src[1 << 20];
	fill(big_src, sizeof(big_src), 5);
	test_memcpy(big + 3, big_src + 3, sizeof(big) - 6);
	check(!memcmp(big + 3, big_src + 3, sizeof(big) - 6) && big[0] == 0 && big[sizeof(big) - 1] == 0,
	      "memcpy 1 MiB", sizeof(big) - 6, 3, 3);
	test_memset(big, 0, sizeof(big));
	size_t nonzero = 0;
	for (size_t i = 0; i < sizeof(big); i++)
		nonzero += big[i] != 0;
	check(nonzero == 0, "memset 1 MiB", sizeof(big), 0, 0);
	printf("memory: %lu checks, %lu failures\n", checks, failures);
	return failures != 0;
}
