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
 * a process, in a state the kernel keeps hashed, yet in no table, in two
 * scans with the guest running in between: HIDDEN (net_scan.h: the kernel's
 * own unlink window).
 *
 * Everything the scan cannot read is a TAMPERED finding (fails closed); a
 * profile without the socket layout (made before `ids net`) is not. A guest
 * with more sockets or fds than the scan walks is only partially checked (a
 * warning, not a finding): an unprivileged user can open that many.
 */
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#include "ids.h"
#include "net_scan.h"

#define DESC_LEN 160

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

/* The unlinked sockets each guest showed in its last full scans (net_scan.h). */
static struct net_memo memos[GUEST_MAX];
static uint64_t *in_table;       /* net_scan.in_table, NET_WALK_LIMIT entries */

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
		      const char *comm, const char *hidden, const char *info)
{
	char laddr[VMI_ADDR_LEN], raddr[VMI_ADDR_LEN];
	bool v6 = v->family == VMI_AF_INET6;
	vmi_format_addr(v->family, v->laddr, laddr, sizeof(laddr));
	vmi_format_addr(v->family, v->raddr, raddr, sizeof(raddr));
	struct ids_record rec = {.type = IDS_REC_SOCKET, .findings = hidden != NULL, .socket = {
		.proto = v->proto == VMI_PROTO_TCP ? (v6 ? "tcp6" : "tcp") : (v6 ? "udp6" : "udp"),
		.laddr = laddr, .raddr = raddr, .lport = v->lport, .rport = v->rport,
		.state = state_name(v->proto, v->state), .pid = pid, .name = pid ? comm : NULL,
		.sk = v->sk, .hidden = hidden, .info = info}};
	ids_emit(s, &rec);
}

#define UNLINKED "HIDDEN: in no socket table (unlinked)"
#define REHASHED "HIDDEN: in no socket table (unlinked; re-hashed between scans)"
#define CONFIRMING "unlinked (confirming: HIDDEN if still so at the next scan)"

/*
 * Socket files whose sock must be in a table but is not (a TCP socket that is
 * not closed, a bound UDP socket): unlinked, hidden from /proc/net, ss and the
 * table walk; HIDDEN once a later scan confirms it (net_scan.h). Returns
 * the number of rows shown.
 */
static int report_unlinked(struct ids_session *s, const struct net_scan *c, bool only_flagged)
{
	int shown = 0, confirming = 0;

	if (c->unreadable) {
		char what[64];
		m_snprintf(what, sizeof(what), "reading the socket of pid %d's fd %u",
			   c->unreadable_pid, c->unreadable_fd);
		ids_finding(s, "net", "TAMPERED: %s: %s%s", what, c->unreadable_err,
			    c->unreadable > 1 ? " (and more socket files)" : "");
	}
	if (!c->checked)
		return 0;
	for (unsigned i = 0; i < c->nsuspects; i++) {
		const struct net_suspect *o = &c->suspects[i];
		bool hidden = o->verdict == NET_UNLINKED_HIDDEN;
		if (!hidden)
			confirming++;
		if (hidden || !only_flagged) {
			emit_sock(s, &o->s, o->pid, o->comm,
				  !hidden ? NULL : o->why == NET_WHY_REHASHED ? REHASHED : UNLINKED,
				  hidden ? NULL : CONFIRMING);
			shown++;
		}
	}
	if (confirming && only_flagged)
		ids_note(s, "net: %d socket%s in no socket table, to be confirmed by the next scan "
			 "(the kernel may be between unhashing and closing %s)", confirming,
			 confirming == 1 ? "" : "s", confirming == 1 ? "it" : "them");
	if (c->suspects_dropped)
		ids_finding(s, "net", "HIDDEN: %u more sockets in no socket table (unlinked) "
			    "not shown", c->suspects_dropped);
	return shown;
}

/* What the scan had to leave out, for a reason that is not tampering. */
static void report_partial(struct ids_session *s, const struct net_scan *c)
{
	if (c->tables_rc >= 0 && c->beyond)
		ids_partial(s, "net", "%u sockets beyond the limit (%u) not listed and not matched "
			    "to owners", c->beyond, NET_MAX_SOCKS);
	if (c->owners_rc >= 0 && c->files.tasks)
		ids_partial(s, "net", "%llu fd slots beyond the limit (%u per process) not "
			    "cross-checked, in %u process%s (pid %d has room for %u fds)",
			    (unsigned long long)c->files.skipped, NET_FD_LIMIT, c->files.tasks,
			    c->files.tasks == 1 ? "" : "es", c->files.first_pid, c->files.first_max);
	if (c->unread)
		ids_partial(s, "net", "%u socket files outside the tables not cross-checked (more "
			    "than %u distinct sockets)", c->unread, NET_SUSPECT_READS);
	if (!c->layout)
		ids_partial(s, "net", "unlinked sockets not checked: the profile does not describe "
			    "them (%s; build it again with ./mamoru profile)", c->layout_err);
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
	static struct net_scan c;        /* large for a stack */
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
	/* Every sock of the tables (512 KiB): allocated once and kept, not per scan. */
	if (!in_table)
		in_table = kmalloc(NET_WALK_LIMIT * sizeof(uint64_t));
	c.in_table = in_table;
	c.socks = kmalloc(NET_MAX_SOCKS * sizeof(struct net_sock));
	c.by_sk = kmalloc(NET_MAX_SOCKS * sizeof(struct sk_ref));
	if (!c.socks || !c.by_sk || !c.in_table) {
		kfree(c.socks);
		kfree(c.by_sk);
		ids_finding(s, "net", "not checked: out of hypervisor memory for the socket list");
		return (int)(s->findings - before);
	}
	/* The exit count moves whenever the guest runs: scans of a paused guest are not
	 * two sightings (net_scan.h). */
	net_scan_run(s->vmi, &c, &memos[s->g->id], s->g->boots, s->g->exits_seen);
	/* Only a hostile structure is TAMPERED: loops, bad pointers, a walk that had to
	 * stop at its limit (aliased chains, fd tables). Mere size is a partial check. */
	if (c.tables_rc < 0)
		ids_finding(s, "net", "TAMPERED: walking the socket hash tables: %s", c.tables_err);
	if (c.owners_rc == VMI_ELIMIT)
		ids_finding(s, "net", "TAMPERED: finding the sockets' owners in the fd tables "
			    "(stopped at the scan's limit): %s", c.owners_err);
	else if (c.owners_rc < 0)
		ids_finding(s, "net", "TAMPERED: finding the sockets' owners in the fd tables: %s",
			    c.owners_err);
	/* Its fds were walked all the same: the unlinked check stands. */
	if (c.files.disguised)
		ids_finding(s, "net", "TAMPERED: pid %d (%s) is marked a kernel thread (PF_KTHREAD) "
			    "yet has a user address space and an fd table of its own%s",
			    c.files.disguised_pid, c.files.disguised_comm,
			    c.files.disguised > 1 ? " (and more processes)" : "");
	report_partial(s, &c);
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
			emit_sock(s, v, k->pid, k->comm, hidden, NULL);
	}
	*count = (int)c.n + report_unlinked(s, &c, only_flagged);
	kfree(c.by_sk);
	kfree(c.socks);
	c.socks = NULL;
	c.by_sk = NULL;
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
