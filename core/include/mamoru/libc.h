/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few C library functions Mamoru uses. The hypervisor build provides
 * them in core/lib/string.c; host builds (unit tests) take the system's.
 */
#ifndef MAMORU_LIBC_H
#define MAMORU_LIBC_H

#include <mamoru/types.h>

#ifdef MAMORU_HOST
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);
#endif

/* Parses an unsigned number: decimal, or hex with 0x. Returns 0 on success,
 * -1 on empty input, trailing garbage or overflow. */
int parse_u64(const char *s, uint64_t *out);

/* Copies up to len bytes of in (stopping at a NUL) into out for a terminal:
 * printable ASCII as is, a backslash doubled, every other byte as \xNN
 * (newline and tab kept with ESC_KEEP_LINES, backslashes single with
 * ESC_KEEP_BACKSLASH). Stops before an escape that
 * would not fit; always NUL-terminates when size > 0; returns the length.
 * 4 * len + 1 bytes always suffice. */
#define ESC_KEEP_LINES 1u
/* A backslash stays single: for text that is escaped already (introspection
 * messages quote guest bytes as \xNN themselves). */
#define ESC_KEEP_BACKSLASH 2u
size_t str_escape(char *out, size_t size, const char *in, size_t len, unsigned flags);
/* The same contract for the inside of a JSON string literal (no quotes
 * added): '"' and '\\' escaped, printable ASCII as is, every other byte as
 * \u00NN (a byte, not a decoded character: the output is ASCII, valid JSON
 * whatever the input, and each input byte stays recognisable). 6 * len + 1
 * bytes always suffice. */
size_t json_escape(char *out, size_t size, const char *in, size_t len);

/* vsnprintf/snprintf with %d %i %u %x %X %p %s %c %% and the l, ll, z
 * length modifiers, '-' and '0' flags, width and precision (for %s).
 * Always NUL-terminates when size > 0; returns the untruncated length. */
int m_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int m_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* The formatter behind both: hands the output to out() piece by piece, so
 * callers such as con_vprintf need no buffer as large as the result.
 * Returns the total length (capped at INT_MAX). */
typedef void (*fmt_out_fn)(void *ctx, const char *s, size_t n);
int m_vformat(fmt_out_fn out, void *ctx, const char *fmt, va_list ap);

#endif
