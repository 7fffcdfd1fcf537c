/* SPDX-License-Identifier: GPL-2.0-only */
/* `ids net`'s walks and verdicts, without the reporting (net_scan.h). */
#include <mamoru/libc.h>

#include "net_scan.h"

static void keep_error(struct vmi *v, char *dst)
{
	m_snprintf(dst, VMI_ERR_LEN, "%s", vmi_error(v));
}

/* -- sorted sets of sock addresses --------------------------------------------- */

static void sift_down(uint64_t *a, unsigned root, unsigned n)
{
	for (;;) {
		unsigned child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		uint64_t t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

/* Heapsort: no recursion, no allocation, n log n whatever the guest put there. */
static void sort_u64(uint64_t *a, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0; )
		sift_down(a, i, n);
	for (unsigned end = n; end-- > 1; ) {
		uint64_t t = a[0];
		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

/* The first position in a[0..n) (sorted) whose value is >= x. */
static unsigned lower_bound(const uint64_t *a, unsigned n, uint64_t x)
{
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_tables(const struct net_scan *c, uint64_t sk)
{
	unsigned k = lower_bound(c->in_table, c->ntable, sk);
	return k < c->ntable && c->in_table[k] == sk;
}

/* -- the walks ------------------------------------------------------------------ */

static int collect(void *ctx, const struct vmi_sock *s)
{
	struct net_scan *c = ctx;
	/* The walk stops past NET_WALK_LIMIT entries: in_table always has room. */
	if (c->ntable < NET_WALK_LIMIT)
		c->in_table[c->ntable++] = s->sk;
	if (c->n == NET_MAX_SOCKS) {
		c->beyond++;                /* counted, not kept: the walk goes on */
		return 0;
	}
	memset(&c->socks[c->n], 0, sizeof(c->socks[c->n]));
	c->socks[c->n++].s = *s;
	return 0;
}

/* A socket file whose sock is in no table: unlinked when the kernel must keep
 * it hashed. Read here, while its owner is known; each sock once, however many
 * fds (dup, fork) lead to it. */
static void suspect(struct net_scan *c, struct vmi *v, const struct vmi_task *t, uint32_t fd,
		    uint64_t sk)
{
	struct vmi_sock s;

	if (!c->layout)
		return;
	unsigned k = lower_bound(c->read_sks, c->reads, sk);
	if (k < c->reads && c->read_sks[k] == sk)
		return;                     /* read already (another fd of it) */
	if (c->reads == NET_SUSPECT_READS) {
		c->unread++;
		return;
	}
	memmove(&c->read_sks[k + 1], &c->read_sks[k], (c->reads - k) * sizeof(c->read_sks[0]));
	c->read_sks[k] = sk;
	c->reads++;
	int rc = vmi_sock_read(v, sk, &s);
	if (rc == VMI_ENOKEY) {
		c->layout = false;          /* a layout this check does not know */
		keep_error(v, c->layout_err);
		return;
	}
	if (rc) {
		if (!c->unreadable++) {
			c->unreadable_pid = t->pid;
			c->unreadable_fd = fd;
			keep_error(v, c->unreadable_err);
		}
		return;
	}
	/* Only init_net's: another namespace may have tables of its own. */
	if (s.net != c->init_net || !vmi_sock_must_be_hashed(&s))
		return;
	if (c->nsuspects == NET_MAX_SUSPECTS) {
		c->suspects_dropped++;
		return;
	}
	struct net_suspect *o = &c->suspects[c->nsuspects++];
	memset(o, 0, sizeof(*o));
	o->s = s;
	o->pid = t->pid;
	o->fd = fd;
	memcpy(o->comm, t->comm, sizeof(t->comm));
}

struct owner_ctx {
	struct net_scan *c;
	struct vmi *v;
};

static int owner(void *ctx, const struct vmi_task *t, uint32_t fd, uint64_t sk)
{
	struct owner_ctx *oc = ctx;
	struct net_scan *c = oc->c;
	unsigned k = sk_index_find(c->by_sk, c->n, sk);
	if (k < c->n && c->by_sk[k].sk == sk) {
		/* All entries of one sk (a hostile kernel can list it in many chains) get
		 * their owner at once: the first tells whether that happened. */
		if (c->socks[c->by_sk[k].i].owned)
			return 0;
		for (; k < c->n && c->by_sk[k].sk == sk; k++) {
			struct net_sock *ns = &c->socks[c->by_sk[k].i];
			ns->owned = true;
			ns->pid = t->pid;
			memcpy(ns->comm, t->comm, sizeof(t->comm));
		}
		return 0;
	}
	if (in_tables(c, sk))
		return 0;                   /* hashed, past the listed ones */
	suspect(c, oc->v, t, fd, sk);
	return 0;
}

/* -- the verdicts --------------------------------------------------------------- */

static struct net_sock_id id_of(const struct vmi_sock *s)
{
	return (struct net_sock_id){.sk = s->sk, .socket = s->socket, .family = s->family,
				    .proto = (uint8_t)s->proto};
}

static bool same_id(const struct net_sock_id *a, const struct net_sock_id *b)
{
	return a->sk == b->sk && a->socket == b->socket && a->family == b->family &&
	       a->proto == b->proto;
}

void net_judge(struct net_scan *c, struct net_memo *memo, uint64_t boot, uint64_t progress)
{
	if (!memo->valid || memo->boot != boot) {
		memset(memo, 0, sizeof(*memo));
		memo->valid = true;
		memo->boot = boot;
		memo->progress = progress;
	}
	/* Scans between which the guest did not run see the same memory: one epoch. */
	bool ran = progress != memo->progress;
	if (ran)
		memo->epoch++;
	uint32_t now = memo->epoch;
	bool matched[NET_MEMO_MAX] = {false};
	int at[NET_MAX_SUSPECTS];          /* each suspect's memo entry, or -1 */
	unsigned nn = 0;

	for (unsigned i = 0; i < c->nsuspects; i++) {
		struct net_suspect *o = &c->suspects[i];
		struct net_sock_id id = id_of(&o->s);
		at[i] = -1;
		for (unsigned j = 0; j < memo->n && at[i] < 0; j++)
			if (!matched[j] && same_id(&memo->e[j].id, &id)) {
				at[i] = (int)j;
				matched[j] = true;
			}
		o->verdict = NET_UNLINKED_CONFIRMING;
		o->why = NET_WHY_NONE;
		if (at[i] < 0)
			continue;
		const struct net_memo_entry *e = &memo->e[at[i]];
		if (e->hidden || (ran && (e->rehashed || e->last + 1 == now))) {
			o->verdict = NET_UNLINKED_HIDDEN;
			o->why = e->rehashed ? NET_WHY_REHASHED : NET_WHY_AGAIN;
		}
	}
	/* The remembered ones not unlinked now: kept while they are back in a table
	 * (a re-hash to dodge two sightings in a row), for NET_MEMO_SCANS epochs after
	 * their last sighting; closed, unbound or gone ones are forgotten (the kernel's
	 * own window ended), unless this scan could not see every unlinked socket (reads
	 * or suspects over the limit): those are kept as they were. A scan of a guest that
	 * did not run keeps them all as they are. They come first, then the unlinked ones
	 * remembered before (together no more than the memory held): new sockets cannot
	 * push them out. */
	bool saw_all = !c->unread && !c->suspects_dropped;
	for (unsigned j = 0; j < memo->n; j++) {
		struct net_memo_entry e = memo->e[j];
		if (matched[j])
			continue;
		if (ran) {
			if (now - e.last >= NET_MEMO_SCANS)
				continue;
			if (in_tables(c, e.id.sk))
				e.rehashed = true;
			else if (saw_all)
				continue;
		}
		c->next[nn++] = e;
	}
	for (unsigned i = 0; i < c->nsuspects; i++) {
		if (at[i] < 0)
			continue;
		const struct net_memo_entry *e = &memo->e[at[i]];
		c->next[nn++] = (struct net_memo_entry){
			.id = e->id, .last = now, .rehashed = e->rehashed && !ran,
			.hidden = c->suspects[i].verdict == NET_UNLINKED_HIDDEN};
	}
	/* First sightings last; one that does not fit cannot be confirmed later: it is
	 * reported now (fails closed). */
	for (unsigned i = 0; i < c->nsuspects; i++) {
		struct net_suspect *o = &c->suspects[i];
		if (at[i] >= 0)
			continue;
		if (nn == NET_MEMO_MAX) {
			o->verdict = NET_UNLINKED_HIDDEN;
			o->why = NET_WHY_NO_ROOM;
			continue;
		}
		c->next[nn++] = (struct net_memo_entry){.id = id_of(&o->s), .last = now};
	}
	memo->progress = progress;
	memo->n = nn;
	memcpy(memo->e, c->next, nn * sizeof(c->next[0]));
}

void net_scan_run(struct vmi *v, struct net_scan *c, struct net_memo *memo, uint64_t boot,
		  uint64_t progress)
{
	struct net_sock *socks = c->socks;
	struct sk_ref *by_sk = c->by_sk;
	uint64_t *in_table = c->in_table;

	memset(c, 0, sizeof(*c));
	c->socks = socks;
	c->by_sk = by_sk;
	c->in_table = in_table;
	c->tables_rc = vmi_sock_foreach(v, NET_WALK_LIMIT, collect, c);
	if (c->tables_rc < 0)
		keep_error(v, c->tables_err);
	/* Sorted by sk once: each socket file's sock is then a binary search. */
	for (unsigned i = 0; i < c->n; i++)
		c->by_sk[i] = (struct sk_ref){c->socks[i].s.sk, i};
	sk_index_sort(c->by_sk, c->n);
	sort_u64(c->in_table, c->ntable);

	c->layout = true;
	if (vmi_sym(v, "init_net", &c->init_net) || vmi_sock_layout(v)) {
		c->layout = false;
		keep_error(v, c->layout_err);
	}
	struct owner_ctx oc = {c, v};
	c->owners_rc = vmi_sock_file_foreach(v, NET_TASK_LIMIT, NET_FD_LIMIT, VMI_SOCK_FILE_BUDGET,
					     owner, &oc, &c->files);
	if (c->owners_rc < 0)
		keep_error(v, c->owners_err);
	/* Compared with tables cut short or owners half found, no verdict holds. */
	c->checked = c->tables_rc >= 0 && c->owners_rc >= 0 && c->layout;
	if (c->checked)
		net_judge(c, memo, boot, progress);
}
