/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The checks of the host test programs (scons host, run from pytest under ASan/UBSan).
 * A failed check prints "FAIL <file>:<line>: <what>" on stdout and the program goes on;
 * check_summary() prints "<what>: N checks, M failures" last and gives the exit status,
 * 1 when any check failed, which the pytest drivers read
 * (mamoru.testing.hostcheck.checks_passed).
 * Include it from the one file of a program that holds its checks.
 */
#ifndef TESTS_HOSTCHECK_H
#define TESTS_HOSTCHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned check_count, check_failures;

/* Counts one check; when it failed, prints where and the printf-style message. */
__attribute__((format(printf, 4, 5)))
static inline void check_report(bool ok, const char *file, int line, const char *fmt, ...)
{
	check_count++;
	if (ok)
		return;
	check_failures++;
	printf("FAIL %s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The condition holds; a failure prints its text. */
#define CHECK(cond) check_report((cond), __FILE__, __LINE__, "%s", #cond)

/* The condition holds; a failure prints the message (a printf format and its arguments). */
#define CHECK_MSG(cond, ...) check_report((cond), __FILE__, __LINE__, __VA_ARGS__)

/* Two integers are equal (compared as unsigned long long); a failure prints both. */
#define CHECK_EQ(a, b)                                                                    \
	do {                                                                              \
		unsigned long long a_ = (a), b_ = (b);                                    \
		check_report(a_ == b_, __FILE__, __LINE__, "%s = 0x%llx, want 0x%llx", #a, \
			     a_, b_);                                                     \
	} while (0)

/* Two strings are equal, or both NULL; a failure prints both. */
#define CHECK_STR(a, b)                                                                   \
	do {                                                                              \
		const char *a_ = (a), *b_ = (b);                                          \
		check_report(a_ == b_ || (a_ && b_ && !strcmp(a_, b_)), __FILE__, __LINE__, \
			     "%s = %s, want %s", #a, a_ ? a_ : "NULL", b_ ? b_ : "NULL");  \
	} while (0)

/* Prints "<what>: N checks, M failures"; returns the program's exit status. */
static inline int check_summary(const char *what)
{
	printf("%s: %u checks, %u failures\n", what, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
