/* SPDX-License-Identifier: GPL-2.0-only */
/* Sorted index of socks by address for `ids net` (sock_index.h). */
#include "sock_index.h"

static int cmp(const struct sk_ref *a, const struct sk_ref *b)
{
	if (a->sk != b->sk)
		return a->sk < b->sk ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Moves r[root] down the max-heap r[0..n) to where it belongs. */
static void sift_down(struct sk_ref *r, unsigned root, unsigned n)
{
	for (;;) {
		unsigned child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && cmp(&r[child], &r[child + 1]) < 0)
			child++;
		if (cmp(&r[root], &r[child]) >= 0)
			return;
		struct sk_ref t = r[root];
		r[root] = r[child];
		r[child] = t;
		root = child;
	}
}

void sk_index_sort(struct sk_ref *r, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0; )
		sift_down(r, i, n);
	for (unsigned end = n; end > 1; ) {
		end--;
		struct sk_ref t = r[0];
		r[0] = r[end];
		r[end] = t;
		sift_down(r, 0, end);
	}
}

unsigned sk_index_find(const struct sk_ref *r, unsigned n, uint64_t sk)
{
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (r[mid].sk < sk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
