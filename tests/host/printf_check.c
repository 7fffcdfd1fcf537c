/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Compares m_snprintf with the host C library's snprintf over a table of
 * formats, including truncation, and checks parse_u64. Prints each mismatch
 * and exits 1 if there was any.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <mamoru/libc.h>

#include "hostcheck.h"

static void compare(const char *fmt, const char *got, int got_n, const char *want, int want_n)
{
	CHECK_MSG(got_n == want_n && strcmp(got, want) == 0, "%-16s got %d \"%s\" want %d \"%s\"",
		  fmt, got_n, got, want_n, want);
}

/* Checks one format at full size and truncated to a few buffer sizes. */
#define CHECK_FORMAT(fmt, ...)                                                           \
	do {                                                                             \
		static const size_t sizes[] = { 256, 0, 1, 2, 5 };                       \
		for (size_t i_ = 0; i_ < sizeof(sizes) / sizeof(sizes[0]); i_++) {       \
			char a_[256] = "untouched", b_[256] = "untouched";               \
			int na_ = m_snprintf(a_, sizes[i_], fmt, __VA_ARGS__);          \
			int nb_ = snprintf(b_, sizes[i_], fmt, __VA_ARGS__);            \
			compare(fmt, a_, na_, b_, nb_);                                  \
		}                                                                        \
	} while (0)

/* The same for formats GCC's format checker warns about (flags that C
 * defines as ignored): the format is hidden from it behind a volatile. */
#define CHECK_NOWARN(fmt, ...)                                                           \
	do {                                                                             \
		const char *volatile f_ = fmt;                                           \
		char a_[256], b_[256];                                                   \
		int na_ = m_snprintf(a_, sizeof(a_), f_, __VA_ARGS__);                   \
		int nb_ = snprintf(b_, sizeof(b_), f_, __VA_ARGS__);                     \
		compare(fmt, a_, na_, b_, nb_);                                          \
	} while (0)

static void check_formats(void)
{
	CHECK_FORMAT("%s", "plain");
	CHECK_FORMAT("%d|%i", 0, -1);
	CHECK_FORMAT("%d", 2147483647);
	CHECK_FORMAT("%d", (int)-2147483647 - 1);
	CHECK_FORMAT("%u", 4294967295u);
	CHECK_FORMAT("%x %X", 0xdeadbeefu, 0xdeadbeefu);
	CHECK_FORMAT("%lx", 0xfedcba9876543210ul);
	CHECK_FORMAT("%llx", 0x0123456789abcdefull);
	CHECK_FORMAT("%lld", (long long)-9223372036854775807ll - 1);
	CHECK_FORMAT("%llu", 18446744073709551615ull);
	CHECK_FORMAT("%ld", -123456789012l);
	CHECK_FORMAT("%zu", (size_t)12345);
	CHECK_FORMAT("%zx", (size_t)0xabc);
	CHECK_FORMAT("%zd", (ssize_t)-5);
	CHECK_FORMAT("%hhu", 300);
	CHECK_FORMAT("%hd", 70000);
	CHECK_FORMAT("[%5d]", 42);
	CHECK_FORMAT("[%-5d]", 42);
	CHECK_FORMAT("[%05d]", 42);
	CHECK_FORMAT("[%05d]", -42);
	CHECK_NOWARN("[%-05d]", -42);
	CHECK_FORMAT("[%08x]", 0xbeefu);
	CHECK_FORMAT("[%016lx]", 0x1234ul);
	CHECK_FORMAT("[%+d] [% d]", 5, 5);
	CHECK_FORMAT("[%#x] [%#X] [%#x]", 255u, 255u, 0u);
	CHECK_FORMAT("[%#010x]", 255u);
	CHECK_FORMAT("[%.3d] [%.0d] [%5.3d]", 7, 0, -7);
	CHECK_NOWARN("[%08.3d]", 7);
	CHECK_FORMAT("[%10s]", "right");
	CHECK_FORMAT("[%-10s]", "left");
	CHECK_FORMAT("[%.3s]", "truncate");
	CHECK_FORMAT("[%-8.2s]", "ab cd");
	CHECK_FORMAT("[%*d] [%-*d]", 6, 1, 6, 2);
	CHECK_FORMAT("[%*d]", -6, 3);
	CHECK_FORMAT("[%.*s]", 2, "xyz");
	CHECK_FORMAT("[%.*s]", -1, "xyz");
	CHECK_FORMAT("[%c%c%c]", 'a', 'b', 'c');
	CHECK_FORMAT("[%3c] [%-3c]", 'x', 'y');
	CHECK_FORMAT("100%% done%s", "");
	CHECK_FORMAT("%s=%d (%s)", "name", 3, "x");
	CHECK_FORMAT("%p", (void *)0x1234);
	CHECK_FORMAT("[%20p] [%-20p]", (void *)0xffff0000ul, (void *)0x10ul);
	CHECK_FORMAT("%s", "a long string that is longer than the small buffers used for truncation");
	CHECK_FORMAT("  %-10s %s", "help", "summary");
	CHECK_FORMAT("  %-10s %s", "averylongname", "summary");
}

static void check_null_string(void)
{
	char buf[32];
	const char *volatile null = NULL;

	m_snprintf(buf, sizeof(buf), "%s", null);
	CHECK_MSG(strcmp(buf, "(null)") == 0, "%%s NULL: got \"%s\"", buf);
}

/* Output far longer than any buffer: the length must still be exact. */
static void check_long(void)
{
	static char big[5000];
	char small[16];
	int n;

	memset(big, 'q', sizeof(big) - 1);
	n = m_snprintf(small, sizeof(small), "<%s|%4000d>", big, 1);
	CHECK_MSG(n == (int)(sizeof(big) - 1) + 4000 + 3 && strlen(small) == sizeof(small) - 1,
		  "long output: n=%d", n);
}

static void check_parse(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} t[] = {
		{ "0", 0, 0 }, { "123", 0, 123 }, { "0x1f", 0, 0x1f }, { "0XFF", 0, 0xff },
		{ "18446744073709551615", 0, 18446744073709551615ull },
		{ "0xffffffffffffffff", 0, 0xffffffffffffffffull },
		{ "18446744073709551616", -1, 0 }, { "0x10000000000000000", -1, 0 },
		{ "", -1, 0 }, { "0x", -1, 0 }, { "12a", -1, 0 }, { "-1", -1, 0 },
		{ " 1", -1, 0 }, { "0x1g", -1, 0 }, { "007", 0, 7 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0xaaaa;
		int r = parse_u64(t[i].s, &v);

		CHECK_MSG(r == t[i].ret && (r != 0 || v == t[i].v), "parse_u64(\"%s\") = %d, %llu",
			  t[i].s, r, (unsigned long long)v);
	}
	CHECK(parse_u64(NULL, &(uint64_t){ 0 }) == -1);
}

/* str_escape: guest text made safe for a terminal, never half an escape. */
static void check_escape(void)
{
	static const struct {
		const char *in;
		size_t len, size;
		unsigned flags;
		const char *out;
	} t[] = {
		{ "plain", 5, 64, 0, "plain" },
		{ "\033[2Jx", 6, 64, 0, "\\x1b[2Jx" },
		{ "a\\b", 3, 64, 0, "a\\\\b" },
		{ "l1\nl2\t\r", 7, 64, 0, "l1\\x0al2\\x09\\x0d" },
		{ "l1\nl2\t\r", 7, 64, ESC_KEEP_LINES, "l1\nl2\t\\x0d" },
		{ "\xff\x80~", 3, 64, 0, "\\xff\\x80~" },
		{ "stop\0hidden", 11, 64, 0, "stop" },
		{ "abcdef", 3, 64, 0, "abc" },
		{ "ab\033", 3, 6, 0, "ab" },           /* "\x1b" would not fit: dropped whole */
		{ "ab\033", 3, 7, 0, "ab\\x1b" },
		{ "xyz", 3, 1, 0, "" },
		{ "a\\b\033", 4, 64, ESC_KEEP_BACKSLASH, "a\\b\\x1b" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[64];
		memset(out, '#', sizeof(out));
		size_t n = str_escape(out, t[i].size, t[i].in, t[i].len, t[i].flags);
		CHECK_MSG(strcmp(out, t[i].out) == 0 && n == strlen(t[i].out),
			  "str_escape case %zu: got \"%s\" (%zu)", i, out, n);
	}
	CHECK(str_escape(NULL, 0, "x", 1, 0) == 0);
}

/* json_escape: the inside of a JSON string, whatever the bytes; never half an escape. */
static void check_json_escape(void)
{
	static const struct {
		const char *in;
		size_t len, size;
		const char *out;
	} t[] = {
		{ "plain", 5, 64, "plain" },
		{ "a\"b\\c", 5, 64, "a\\\"b\\\\c" },
		{ "\033[2J\n", 6, 64, "\\u001b[2J\\u000a" },
		{ "\xc3(\xff\x7f", 4, 64, "\\u00c3(\\u00ff\\u007f" },
		{ "stop\0hidden", 11, 64, "stop" },
		{ "ab\033", 3, 8, "ab" },             /* "\u001b" would not fit: dropped whole */
		{ "ab\033", 3, 9, "ab\\u001b" },
		{ "a\"", 2, 3, "a" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[64];
		memset(out, '#', sizeof(out));
		size_t n = json_escape(out, t[i].size, t[i].in, t[i].len);
		CHECK_MSG(strcmp(out, t[i].out) == 0 && n == strlen(t[i].out),
			  "json_escape case %zu: got \"%s\" (%zu)", i, out, n);
	}
	CHECK(json_escape(NULL, 0, "x", 1) == 0);
}

int main(void)
{
	check_escape();
	check_json_escape();
	check_formats();
	check_null_string();
	check_long();
	check_parse();
	return check_summary("printf_check");
}
