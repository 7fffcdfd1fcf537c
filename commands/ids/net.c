/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids net`: the guest's TCP and UDP sockets (IPv4 and IPv6) read from the
 * kernel's hash tables, each with the process that has it open (found
 * through the tasks' fd tables), and a cross-view check of what netstat
 * sees: /proc/net/{tcp,tcp6,udp,udp6} must still run the kernel's own
 * seq_operations (proc_net_seq_ops -> tcp4_seq_ops -> tcp4_seq_show ...).
 * A rootkit that hides a port without touching read-only memory points the
 * entry's seq_ops at its own copy (whose show skips the port): that entry is
 * HOOKED, and every socket it lists is flagged as possibly hidden, since
 * which ones the replacement skips cannot be read from outside. A socket
 * unlinked from the tables (DKOM) is found through its socket file: open in
 * a process, in a state the kernel keeps hashed, yet in no table: HIDDEN.
 *
 * Everything the scan cannot read is a TAMPERED finding (fails closed); a
 * profile without the socket layout (made before `ids net`) is not.
 */
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#include "ids.h"
#include "sock_index.h"

#define MAX_SOCKS 2048
#define TASK_LIMIT 32768
#define FD_LIMIT 65536
#define DESC_LEN 160

struct net_sock {
	struct vmi_sock s;
	bool owned;
	int32_t pid;
	char comm[VMI_COMM_LEN + 1];
};

/* A socket file whose sock is in none of the tables (most are: closed or
 * unbound sockets; a bound or connected one there was unlinked). */
struct orphan {
	uint64_t sk;
	int32_t pid;
	uint32_t fd;
	char comm[VMI_COMM_LEN + 1];
};

#define MAX_ORPHANS 64

struct net_ctx {
	struct net_sock *socks;
	struct sk_ref *by_sk;            /* socks sorted by sk, for owner() */
	unsigned n;
	bool overflow;
	struct orphan orphans[MAX_ORPHANS];
	unsigned norphans, orphans_dropped;
};

/* The /proc/net files netstat reads, and what the kernel built them from. */
struct proc_view {
	const char *entry, *ops, *show;
	enum vmi_sock_proto proto;
	uint16_t family;
};

static const struct proc_view views[] = {
	{"tcp", "tcp4_seq_ops", "tcp4_seq_show", VMI_PROTO_TCP, VMI_AF_INET},
	{"tcp6", "tcp6_seq_ops", "tcp6_seq_show", VMI_PROTO_TCP, VMI_AF_INET6},
	{"udp", "udp_seq_ops", "udp4_seq_show", VMI_PROTO_UDP, VMI_AF_INET},
	{"udp6", "udp6_seq_ops", "udp6_seq_show", VMI_PROTO_UDP, VMI_AF_INET6},
};

static int collect(void *ctx, const struct vmi_sock *s)
{
	struct net_ctx *c = ctx;
	if (c->n == MAX_SOCKS) {
		c->overflow = true;
		return 1;
	}
	memset(&c->socks[c->n], 0, sizeof(c->socks[c->n]));
	c->socks[c->n++].s = *s;
	return 0;
}

/* Sorts the sockets by sk once; owner() then finds each socket file's sock by a
 * binary search, not a scan of the list per fd. */
static void index_socks(struct net_ctx *c)
{
	for (unsigned i = 0; i < c->n; i++)
		c->by_sk[i] = (struct sk_ref){c->socks[i].s.sk, i};
	sk_index_sort(c->by_sk, c->n);
}

static int owner(void *ctx, const struct vmi_task *t, uint32_t fd, uint64_t sk)
{
	struct net_ctx *c = ctx;
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
	for (unsigned i = 0; i < c->norphans; i++)
		if (c->orphans[i].sk == sk)
			return 0;
	if (c->norphans == MAX_ORPHANS) {
		c->orphans_dropped++;
		return 0;
	}
	struct orphan *o = &c->orphans[c->norphans++];
	o->sk = sk;
	o->pid = t->pid;
	o->fd = fd;
	memcpy(o->comm, t->comm, sizeof(t->comm));
	return 0;
}

static const char *state_name(enum vmi_sock_proto proto, uint8_t st)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
		"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	};
	if (proto == VMI_PROTO_UDP && st == VMI_TCP_CLOSE)
		return "";                  /* netstat leaves an unconnected UDP socket's state empty */
	return st < ARRAY_SIZE(names) ? names[st] : "?";
}

static void emit_sock(struct ids_session *s, const struct vmi_sock *v, int32_t pid,
		      const char *comm, const char *hidden)
{
	char laddr[VMI_ADDR_LEN], raddr[VMI_ADDR_LEN];
	bool v6 = v->family == VMI_AF_INET6;
	vmi_format_addr(v->family, v->laddr, laddr, sizeof(laddr));
	vmi_format_addr(v->family, v->raddr, raddr, sizeof(raddr));
	struct ids_record rec = {.type = IDS_REC_SOCKET, .findings = hidden != NULL, .socket = {
		.proto = v->proto == VMI_PROTO_TCP ? (v6 ? "tcp6" : "tcp") : (v6 ? "udp6" : "udp"),
		.laddr = laddr, .raddr = raddr, .lport = v->lport, .rport = v->rport,
		.state = state_name(v->proto, v->state), .pid = pid, .name = pid ? comm : NULL,
		.sk = v->sk, .hidden = hidden}};
	ids_emit(s, &rec);
}

/*
 * Socket files whose sock is not in the tables: a TCP socket that is not
 * closed, or a bound UDP socket, must be there; one that is not was unlinked
 * (hidden from /proc/net, ss and the table walk). Only init_net's sockets:
 * another namespace may have tables of its own. Returns the number shown.
 */
static int check_orphans(struct ids_session *s, const struct net_ctx *c)
{
	uint64_t init_net;
	int shown = 0;
	if (vmi_sym(s->vmi, "init_net", &init_net))
		return 0;
	for (unsigned i = 0; i < c->norphans; i++) {
		const struct orphan *o = &c->orphans[i];
		struct vmi_sock v;
		char what[64];
		int rc = vmi_sock_read(s->vmi, o->sk, &v);
		if (rc == VMI_ENOKEY)
			return shown;            /* a layout this check does not know */
		if (rc) {
			m_snprintf(what, sizeof(what), "reading the socket of pid %d's fd %u", o->pid,
				   o->fd);
			ids_tampered(s, "net", what);
			continue;
		}
		if (v.net != init_net || !vmi_sock_must_be_hashed(&v))
			continue;
		emit_sock(s, &v, o->pid, o->comm, "HIDDEN: in no socket table (unlinked)");
		shown++;
	}
	if (c->orphans_dropped)
		ids_note(s, "%u more sockets outside the tables not checked", c->orphans_dropped);
	return shown;
}

static bool in_text(struct ids_session *s, uint64_t addr)
{
	uint64_t lo, hi;
	return vmi_sym(s->vmi, "_stext", &lo) == VMI_OK && vmi_sym(s->vmi, "_etext", &hi) == VMI_OK &&
	       addr >= lo && addr < hi;
}

/*
 * One /proc/net file: 1 when it is hooked (a finding emitted), 0 when it is
 * the kernel's, -1 when the profile does not describe it (no finding).
 */
static int check_view(struct ids_session *s, const struct proc_view *pv)
{
	struct vmi_proc_entry e;
	uint64_t ops, show, fops;
	char check[32], where[DESC_LEN], what[DESC_LEN];

	if (vmi_sym(s->vmi, pv->ops, &ops) || vmi_sym(s->vmi, pv->show, &show))
		return -1;
	m_snprintf(check, sizeof(check), "/proc/net/%s", pv->entry);
	if (vmi_proc_net_entry(s->vmi, pv->entry, &e)) {
		ids_tampered(s, check, "finding the file netstat reads");
		return 1;
	}
	if (vmi_sym(s->vmi, "proc_net_seq_ops", &fops) == VMI_OK && e.proc_ops != fops) {
		ids_describe_addr(s, e.proc_ops, where, sizeof(where));
		ids_finding(s, check, "HOOKED: its file operations are %s, not proc_net_seq_ops", where);
		return 1;
	}
	if (e.seq_ops == ops && e.show == show)
		return 0;
	if (e.seq_ops != ops) {
		ids_describe_addr(s, e.seq_ops, where, sizeof(where));
		m_snprintf(what, sizeof(what), "seq_operations %s, not %s", where, pv->ops);
	} else
		m_snprintf(what, sizeof(what), "%s changed", pv->ops);
	if (e.show)
		ids_describe_addr(s, e.show, where, sizeof(where));
	else
		m_snprintf(where, sizeof(where), "none");
	ids_finding(s, check, "HOOKED: %s; show is %s%s (%s expected)", what, where,
		    e.show && !in_text(s, e.show) ? ", outside kernel text" : "", pv->show);
	return 1;
}

/* ids net (only_flagged false) and its part of ids check (true). */
static int scan_net(struct ids_session *s, bool only_flagged, int *count)
{
	unsigned before = s->findings;
	static struct net_ctx c;         /* the orphan list is large for a stack */
	bool hooked[ARRAY_SIZE(views)] = {false};
	uint64_t unused;

	*count = 0;
	if (vmi_sym(s->vmi, "tcp_hashinfo", &unused) ||
	    vmi_field(s->vmi, "task_struct.files", &unused)) {
		if (!only_flagged)
			ids_error(s, "the profile describes no sockets: the guest kernel has no "
				  "TCP/IP, or the profile is older than 'ids net' (build it again "
				  "with ./mamoru profile)");
		return -1;
	}
	ids_module_ranges(s);                  /* attribution of hook addresses */
	for (size_t i = 0; i < ARRAY_SIZE(views); i++)
		hooked[i] = check_view(s, &views[i]) == 1;
	memset(&c, 0, sizeof(c));
	c.socks = kmalloc(MAX_SOCKS * sizeof(struct net_sock));
	c.by_sk = kmalloc(MAX_SOCKS * sizeof(struct sk_ref));
	if (!c.socks || !c.by_sk) {
		kfree(c.socks);
		kfree(c.by_sk);
		ids_finding(s, "net", "not checked: out of hypervisor memory for the socket list");
		return (int)(s->findings - before);
	}
	bool tables_ok = false;
	if (vmi_sock_foreach(s->vmi, MAX_SOCKS + 1, collect, &c) < 0)
		ids_tampered(s, "net", "walking the socket hash tables");
	else if (c.overflow)
		ids_finding(s, "net", "TAMPERED: more than %d sockets in the hash tables", MAX_SOCKS);
	else
		tables_ok = true;
	index_socks(&c);
	int rc = vmi_sock_file_foreach(s->vmi, TASK_LIMIT, FD_LIMIT, VMI_SOCK_FILE_BUDGET, owner,
				       &c);
	bool owners = rc >= 0;
	if (rc == VMI_ELIMIT)
		ids_tampered(s, "net", "finding the sockets' owners in the fd tables (stopped at "
			     "the scan's limit)");
	else if (!owners)
		ids_tampered(s, "net", "finding the sockets' owners in the fd tables");
	for (unsigned i = 0; i < c.n; i++) {
		const struct net_sock *k = &c.socks[i];
		const struct vmi_sock *v = &k->s;
		char why[64];
		const char *hidden = NULL;
		for (size_t j = 0; j < ARRAY_SIZE(views); j++)
			if (hooked[j] && views[j].proto == v->proto && views[j].family == v->family) {
				m_snprintf(why, sizeof(why), "HIDDEN?: /proc/net/%s is hooked",
					   views[j].entry);
				hidden = why;
			}
		if (!only_flagged || hidden)
			emit_sock(s, v, k->pid, k->comm, hidden);
	}
	*count = (int)c.n;
	/* Compared with tables cut short, every socket after the cut would look unlinked. */
	if (tables_ok && owners)
		*count += check_orphans(s, &c);
	kfree(c.by_sk);
	kfree(c.socks);
	return (int)(s->findings - before);
}

int ids_scan_net(struct ids_session *s)
{
	int count;
	int n = scan_net(s, true, &count);
	return n < 0 ? 0 : n;
}

int ids_run_net(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	(void)a;
	if (scan_net(s, false, &t->count) < 0)
		return CMD_FAIL;
	return CMD_OK;
}
