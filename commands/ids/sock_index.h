/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids net`'s lookup of a sock by its address: the socket list sorted once
 * by sk, then a binary search per socket file (a linear scan per file would
 * cost sockets x fds).
 */
#ifndef IDS_SOCK_INDEX_H
#define IDS_SOCK_INDEX_H

#include <stdint.h>

struct sk_ref {
	uint64_t sk;
	uint32_t i;          /* index into the caller's list */
};

/* Sorts r[0..n) by sk, then i (heapsort: no recursion, no allocation). */
void sk_index_sort(struct sk_ref *r, unsigned n);
/* The first position whose sk is >= sk (n when there is none): every entry
 * for sk follows it. */
unsigned sk_index_find(const struct sk_ref *r, unsigned n, uint64_t sk);

#endif
