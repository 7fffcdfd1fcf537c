/* SPDX-License-Identifier: GPL-2.0-only */
/* The IDS's text reporter: what the operator reads on the console. */
#include <mamoru/libc.h>

#include "report.h"

#define PIECE 15                  /* input bytes per escaped piece: 4 * 15 + 1 fits */

size_t ids_put_escaped(struct console *con, const char *s, unsigned flags)
{
	char out[4 * PIECE + 1];
	size_t written = 0;
	for (size_t len = strlen(s); len; ) {
		size_t n = MIN(len, (size_t)PIECE);
		size_t k = str_escape(out, sizeof(out), s, n, flags);
		con_write(con, out, k);
		written += k;
		s += n;
		len -= n;
	}
	return written;
}

/* Escaped, then padded with spaces to width (a column of a listing). */
static void padded(struct console *con, const char *s, unsigned flags, size_t width)
{
	for (size_t n = ids_put_escaped(con, s, flags); n < width; n++)
		con_write(con, " ", 1);
}

static void raw(struct console *con, const char *s)
{
	ids_put_escaped(con, s, 0);
}

static void desc(struct console *con, const char *s)
{
	ids_put_escaped(con, s, ESC_KEEP_BACKSLASH);
}

/* The column header of a listing, once, before its first row. */
static void header(struct ids_reporter *r, enum ids_rec_type type)
{
	if (r->have_header && r->header == type)
		return;
	r->have_header = true;
	r->header = type;
	if (type == IDS_REC_PROCESS)
		con_printf(r->con, "%5s %5s %5s %-5s %s\n", "PID", "PPID", "UID", "STATE", "NAME");
	else if (type == IDS_REC_SOCKET)
		con_printf(r->con, "%-5s %-23s %-23s %-11s %s\n", "PROTO", "LOCAL", "REMOTE", "STATE",
			   "PID/NAME");
	else if (type == IDS_REC_MODULE)
		con_printf(r->con, "%-24s %-*s %10s\n", "NAME", (int)r->addr_digits + 2, "BASE", "SIZE");
}

static void process(struct ids_reporter *r, const struct ids_rec_process *p)
{
	struct console *con = r->con;
	if (p->finding) {
		con_printf(con, "finding: pid %d (", p->pid);
		raw(con, p->name);
		con_printf(con, "): ");
		desc(con, p->finding);
		con_printf(con, "\n");
		return;
	}
	header(r, IDS_REC_PROCESS);
	con_printf(con, "%5d %5d %5u %c     %s", p->pid, p->ppid, p->uid, p->state, p->kthread ? "[" : "");
	raw(con, p->name);
	con_printf(con, "%s\n", p->kthread ? "]" : "");
}

static void syscall(struct ids_reporter *r, const struct ids_rec_syscall *e)
{
	struct console *con = r->con;
	bool flagged = !e->in_text || e->differs;
	con_printf(con, "%s%s%4llu 0x%0*llx ", r->check ? "finding: syscall " : "", e->compat ? "compat " : "",
		   (unsigned long long)e->nr, (int)r->addr_digits, (unsigned long long)e->addr);
	raw(con, e->symbol);
	if (!e->in_text) {
		con_printf(con, "  HOOKED: outside kernel text, in %s", e->owner ? "module " : "");
		raw(con, e->owner ? e->owner : "memory no listed module owns");
		if (e->owner_hidden)
			con_printf(con, " (hidden from the module list)");
	} else if (e->differs) {
		con_printf(con, "  HOOKED: not the handler this kernel was built with");
	}
	if (flagged && e->expected) {
		con_printf(con, " (expected ");
		raw(con, e->expected);
		con_printf(con, ")");
	}
	con_printf(con, "\n");
}

static void module(struct ids_reporter *r, const struct ids_rec_module *m)
{
	header(r, IDS_REC_MODULE);
	padded(r->con, m->name, 0, 24);
	con_printf(r->con, " 0x%0*llx %10llu\n", (int)r->addr_digits, (unsigned long long)m->base,
		   (unsigned long long)m->size);
}

static void hook(struct ids_reporter *r, const struct ids_rec_hook *h)
{
	struct console *con = r->con;
	if (r->check) {
		con_printf(con, "finding: %s: ", h->kind);
		desc(con, h->target);
		con_printf(con, " hooked, handler ");
		desc(con, h->handler);
		con_printf(con, "%s\n", h->hidden ? " (HIDDEN: no listed module owns it)" : "");
		return;
	}
	con_printf(con, "%-7s ", h->kind);
	padded(con, h->target, ESC_KEEP_BACKSLASH, 40);
	con_printf(con, " handler ");
	desc(con, h->handler);
	con_printf(con, "%s\n", h->hidden ? "  HIDDEN: no listed module owns it" : "");
}

/* "addr:port", or "addr:*" for port 0, padded to a netstat column. */
static void endpoint(struct console *con, const char *addr, uint16_t port)
{
	char p[8];
	m_snprintf(p, sizeof(p), port ? "%u" : "*", port);
	size_t n = ids_put_escaped(con, addr, 0);
	con_printf(con, ":%s", p);
	for (n += 1 + strlen(p); n < 23; n++)
		con_write(con, " ", 1);
}

static void socket(struct ids_reporter *r, const struct ids_rec_socket *k)
{
	struct console *con = r->con;
	if (r->check)
		con_printf(con, k->hidden ? "finding: net: " : "note: net: ");
	else
		header(r, IDS_REC_SOCKET);
	con_printf(con, "%-5s ", k->proto);
	endpoint(con, k->laddr, k->lport);
	con_printf(con, " ");
	endpoint(con, k->raddr, k->rport);
	con_printf(con, " %-11s ", k->state);
	if (k->pid) {
		con_printf(con, "%d/", k->pid);
		raw(con, k->name ? k->name : "");
	} else {
		con_printf(con, "-");
	}
	if (k->hidden) {
		con_printf(con, "  ");
		desc(con, k->hidden);
	} else if (k->info) {
		con_printf(con, "  ");
		desc(con, k->info);
	}
	con_printf(con, "\n");
}

static void totals(struct ids_reporter *r, const struct ids_totals *t)
{
	struct console *con = r->con;
	int n = t->count;
	switch (t->scan) {
	case IDS_SCAN_SYSCALL:
		con_printf(con, "%d hooked entr%s\n", n, n == 1 ? "y" : "ies");
		break;
	case IDS_SCAN_PLIST:
		if (t->hidden)
			con_printf(con, "%d hidden or unlinked process(es)\n", n);
		break;
	case IDS_SCAN_LSMOD:
		header(r, IDS_REC_MODULE);
		con_printf(con, "%d module(s)\n", n);
		break;
	case IDS_SCAN_HOOKS:
		con_printf(con, "%d hook%s\n", n, n == 1 ? "" : "s");
		break;
	case IDS_SCAN_NET:
		con_printf(con, "%d socket%s, %u finding%s%s\n", n, n == 1 ? "" : "s", t->findings,
			   t->findings == 1 ? "" : "s", t->partial ? " (partially checked)" : "");
		break;
	case IDS_SCAN_INTEGRITY:
		con_printf(con, "%d integrity finding%s (%llu KiB of text, %llu KiB of rodata checked)\n", n,
			   n == 1 ? "" : "s", (unsigned long long)(t->text_bytes >> 10),
			   (unsigned long long)(t->rodata_bytes >> 10));
		break;
	case IDS_SCAN_CHECK:
		if (t->findings)
			con_printf(con, "ids: ALERT (%u finding%s)%s\n", t->findings,
				   t->findings == 1 ? "" : "s", t->partial ? ", partially checked" : "");
		else if (t->partial)
			con_printf(con, "ids: PARTIAL (%u warning%s: not everything was checked)\n",
				   t->partial, t->partial == 1 ? "" : "s");
		else
			con_printf(con, "ids: OK\n");
		break;
	case IDS_SCAN_BANNER:
		break;
	}
}

void ids_report_text(struct ids_sink *sink, const struct ids_record *rec)
{
	struct ids_reporter *r = (struct ids_reporter *)sink;
	struct console *con = r->con;
	switch (rec->type) {
	case IDS_REC_BANNER:
		raw(con, rec->banner.text);
		con_printf(con, "\n");
		break;
	case IDS_REC_PROCESS:
		process(r, &rec->process);
		break;
	case IDS_REC_SYSCALL:
		syscall(r, &rec->syscall);
		break;
	case IDS_REC_MODULE:
		module(r, &rec->module);
		break;
	case IDS_REC_HOOK:
		hook(r, &rec->hook);
		break;
	case IDS_REC_SOCKET:
		socket(r, &rec->socket);
		break;
	case IDS_REC_INTEGRITY:
		con_printf(con, "finding: ");
		raw(con, rec->integrity.region);
		con_printf(con, " ");
		desc(con, rec->integrity.at);
		con_printf(con, ": ");
		desc(con, rec->integrity.now);
		con_printf(con, " (");
		desc(con, rec->integrity.kind);
		con_printf(con, ")\n");
		break;
	case IDS_REC_FINDING:
	case IDS_REC_PARTIAL:    /* the same record, a check that could not be finished */
		con_printf(con, rec->type == IDS_REC_FINDING ? "finding: " : "warning: ");
		desc(con, rec->finding.check);
		con_printf(con, ": ");
		desc(con, rec->finding.text);
		con_printf(con, "\n");
		break;
	case IDS_REC_ELIDED:
		con_printf(con, "finding: ... and %u more ", rec->elided.count);
		raw(con, rec->elided.check);
		con_printf(con, " findings not shown\n");
		break;
	case IDS_REC_NOTE:
		con_printf(con, "note: ");
		desc(con, rec->note);
		con_printf(con, "\n");
		break;
	case IDS_REC_ERROR:
		con_printf(con, "error: ");
		desc(con, rec->error);
		con_printf(con, "\n");
		break;
	case IDS_REC_TOTALS:
		totals(r, &rec->totals);
		break;
	}
}

void ids_reporter_init(struct ids_reporter *r, struct console *con, bool json, bool check,
		       const char *guest)
{
	memset(r, 0, sizeof(*r));
	r->sink.emit = json ? ids_report_json : ids_report_text;
	r->con = con;
	r->check = check;
	r->addr_digits = 16;            /* until the session knows the guest's pointer size */
	r->guest = guest ? guest : "?";
}
