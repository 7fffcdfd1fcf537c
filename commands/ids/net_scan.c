/* SPDX-License-Identifier: GPL-2.0-only */
/* `ids net`'s walks and verdicts, without the reporting (net_scan.h). */
#include <mamoru/libc.h>

#include "net_scan.h"

static void keep_error(struct vmi *v, char *dst)
{
	m_snprintf(dst, VMI_ERR_LEN, "%s", vmi_error(v));
}

static int collect(void *ctx, const struct vmi_sock *s)
{
	struct net_scan *c = ctx;
	if (c->n == NET_MAX_SOCKS) {
		c->beyond++;                /* counted, not kept: the walk goes on */
		return 0;
	}
	memset(&c->socks[c->n], 0, sizeof(c->socks[c->n]));
	c->socks[c->n++].s = *s;
	return 0;
}

/* A socket file whose sock is not in the kept list: unlinked when the kernel
 * must keep it hashed. Read here, while its owner is known. */
static void suspect(struct net_scan *c, struct vmi *v, const struct vmi_task *t, uint32_t fd,
		    uint64_t sk)
{
	struct vmi_sock s;

	if (!c->layout)
		return;
	for (unsigned i = 0; i < c->nsuspects; i++)
		if (c->suspects[i].s.sk == sk)
			return;
	if (c->reads == NET_SUSPECT_READS) {
		c->unread++;
		return;
	}
	c->reads++;
	int rc = vmi_sock_read(v, sk, &s);
	if (rc == VMI_ENOKEY) {
		c->layout = false;          /* a layout this check does not know */
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
	suspect(c, oc->v, t, fd, sk);
	return 0;
}

/* The second walk: which suspects are among the sockets past NET_MAX_SOCKS. */
static int mark(void *ctx, const struct vmi_sock *s)
{
	struct net_scan *c = ctx;
	for (unsigned i = 0; i < c->nsuspects; i++)
		if (c->suspects[i].s.sk == s->sk)
			c->suspects[i].in_tables = true;
	return 0;
}

static struct net_sock_id id_of(const struct vmi_sock *s)
{
	return (struct net_sock_id){.sk = s->sk, .socket = s->socket, .family = s->family,
				    .lport = s->lport, .rport = s->rport, .state = s->state};
}

static bool same_id(const struct net_sock_id *a, const struct net_sock_id *b)
{
	return a->sk == b->sk && a->socket == b->socket && a->family == b->family &&
	       a->lport == b->lport && a->rport == b->rport && a->state == b->state;
}

void net_judge(struct net_scan *c, struct net_memo *memo, uint64_t boot)
{
	bool same_boot = memo->valid && memo->boot == boot;
	unsigned nn = 0;

	for (unsigned i = 0; i < c->nsuspects; i++) {
		struct net_suspect *o = &c->suspects[i];
		if (o->in_tables)
			continue;
		struct net_sock_id id = id_of(&o->s);
		bool seen = false;
		for (unsigned j = 0; same_boot && j < memo->n && !seen; j++)
			seen = same_id(&memo->ids[j], &id);
		if (nn == NET_MEMO_MAX) {
			o->verdict = NET_UNLINKED_HIDDEN;  /* cannot be confirmed later: report now */
			continue;
		}
		c->next[nn++] = id;
		o->verdict = seen ? NET_UNLINKED_HIDDEN : NET_UNLINKED_CONFIRMING;
	}
	memo->valid = true;
	memo->boot = boot;
	memo->n = nn;
	memcpy(memo->ids, c->next, nn * sizeof(c->next[0]));
}

void net_scan_run(struct vmi *v, struct net_scan *c, struct net_memo *memo, uint64_t boot)
{
	struct net_sock *socks = c->socks;
	struct sk_ref *by_sk = c->by_sk;

	memset(c, 0, sizeof(*c));
	c->socks = socks;
	c->by_sk = by_sk;
	c->tables_rc = vmi_sock_foreach(v, NET_WALK_LIMIT, collect, c);
	if (c->tables_rc < 0)
		keep_error(v, c->tables_err);
	/* Sorted by sk once: each socket file's sock is then a binary search. */
	for (unsigned i = 0; i < c->n; i++)
		c->by_sk[i] = (struct sk_ref){c->socks[i].s.sk, i};
	sk_index_sort(c->by_sk, c->n);

	c->layout = vmi_sym(v, "init_net", &c->init_net) == VMI_OK;
	struct owner_ctx oc = {c, v};
	c->owners_rc = vmi_sock_file_foreach(v, NET_TASK_LIMIT, NET_FD_LIMIT, VMI_SOCK_FILE_BUDGET,
					     owner, &oc, &c->files);
	if (c->owners_rc < 0)
		keep_error(v, c->owners_err);
	/* Sockets past the list would all look unlinked: look them up in the tables again. */
	if (c->tables_rc >= 0 && c->beyond && c->nsuspects) {
		c->recheck_rc = vmi_sock_foreach(v, NET_WALK_LIMIT, mark, c);
		if (c->recheck_rc < 0)
			keep_error(v, c->recheck_err);
	}
	/* Compared with tables cut short or owners half found, no verdict holds. */
	c->checked = c->tables_rc >= 0 && c->owners_rc >= 0 && c->layout && c->recheck_rc >= 0;
	if (c->checked)
		net_judge(c, memo, boot);
}
