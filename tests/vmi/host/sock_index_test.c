/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host test of `ids net`'s sock index (commands/ids/sock_index.c): the socket
 * list sorted by sk once, each socket file's sock then found by binary search.
 * Lists of 0..2048 socks (many sharing an sk, as a hostile kernel can make
 * them), sorted, then every sk looked up and compared with a linear scan.
 * Prints "sock_index_test: N checks, M failures" last; exits 1 on a failure.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../../commands/ids/sock_index.h"
#include "hostcheck.h"

#define MAX 2048

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One list of n socks whose sks are drawn from `distinct` values (with the extremes). */
static void one_list(unsigned n, unsigned distinct)
{
	static uint64_t sks[MAX], pool[MAX];
	static struct sk_ref r[MAX];
	static unsigned seen[MAX];

	for (unsigned k = 0; k < distinct; k++)
		pool[k] = k == 0 ? 0 : k == 1 ? UINT64_MAX : 0xFFFF000000000000ull | (next() & ~7ull);
	for (unsigned i = 0; i < n; i++) {
		sks[i] = pool[next() % distinct];
		r[i] = (struct sk_ref){sks[i], i};
	}
	sk_index_sort(r, n);
	bool sorted = true, perm = true;
	for (unsigned i = 0; i < n; i++)
		seen[i] = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i && (r[i - 1].sk > r[i].sk || (r[i - 1].sk == r[i].sk && r[i - 1].i >= r[i].i)))
			sorted = false;
		if (r[i].i >= n || sks[r[i].i] != r[i].sk || seen[r[i].i]++)
			perm = false;
	}
	CHECK_MSG(sorted, "n %u distinct %u: not sorted", n, distinct);
	CHECK_MSG(perm, "n %u distinct %u: not a permutation of the list", n, distinct);
	/* Every sk of the list and some absent ones: the range found holds exactly the
	 * list's entries with that sk. */
	for (unsigned q = 0; q < distinct + 8; q++) {
		uint64_t sk = q < distinct ? pool[q] : next();
		unsigned k = sk_index_find(r, n, sk), want = 0, got = 0;
		for (unsigned i = 0; i < n; i++)
			want += sks[i] == sk;
		bool bound = k <= n && (k == 0 || r[k - 1].sk < sk) && (k == n || r[k].sk >= sk);
		for (; k < n && r[k].sk == sk; k++)
			got += sks[r[k].i] == sk;
		CHECK_MSG(bound && got == want, "n %u: sk 0x%llx found %u times, %u in the list", n,
			  (unsigned long long)sk, got, want);
	}
}

int main(void)
{
	static const unsigned sizes[] = {0, 1, 2, 3, 7, 64, 1000, 2047, 2048};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		one_list(sizes[s], 2);
		one_list(sizes[s], sizes[s] > 2 ? sizes[s] / 3 + 2 : 2);
		one_list(sizes[s], sizes[s] > 2 ? sizes[s] : 2);
	}
	/* Already sorted and reversed lists (a heapsort's usual worst inputs). */
	static struct sk_ref r[MAX];
	for (unsigned i = 0; i < MAX; i++)
		r[i] = (struct sk_ref){0xFFFF000000100000ull + 0x400ull * (MAX - 1 - i), i};
	sk_index_sort(r, MAX);
	bool ok = true;
	for (unsigned i = 0; i < MAX; i++)
		ok &= r[i].i == MAX - 1 - i;
	CHECK_MSG(ok, "a reversed list is not put in order");
	sk_index_sort(r, MAX);
	ok = true;
	for (unsigned i = 0; i < MAX; i++)
		ok &= r[i].i == MAX - 1 - i && sk_index_find(r, MAX, r[i].sk) == i;
	CHECK_MSG(ok, "a sorted list is changed by sorting, or not found in");
	return check_summary("sock_index_test");
}
