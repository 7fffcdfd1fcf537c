/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IDS's JSON reporter (--json): one object per line, each with "type"
 * and "guest"; every string goes through json_escape, so any guest bytes
 * give valid JSON. docs/ids.md lists the objects.
 */
#include <mamoru/libc.h>

#include "report.h"

#define PIECE 15                  /* input bytes per escaped piece: 6 * 15 + 1 fits */

/* ,"key":"escaped value" */
static void str(struct console *con, const char *key, const char *s)
{
	char out[6 * PIECE + 1];
	con_printf(con, ",\"%s\":\"", key);
	for (size_t len = strlen(s); len; ) {
		size_t n = MIN(len, (size_t)PIECE);
		con_write(con, out, json_escape(out, sizeof(out), s, n));
		s += n;
		len -= n;
	}
	con_write(con, "\"", 1);
}

static void hex(struct console *con, const char *key, uint64_t v)
{
	con_printf(con, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

static void num(struct console *con, const char *key, uint64_t v)
{
	con_printf(con, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void flag(struct console *con, const char *key, bool v)
{
	con_printf(con, ",\"%s\":%s", key, v ? "true" : "false");
}

static void begin(struct ids_reporter *r, const char *type)
{
	con_printf(r->con, "{\"type\":\"%s\"", type);
	str(r->con, "guest", r->guest);
}

static void process(struct console *con, const struct ids_rec_process *p)
{
	con_printf(con, ",\"pid\":%d,\"ppid\":%d,\"uid\":%u", p->pid, p->ppid, p->uid);
	char state[2] = {p->state, 0};
	str(con, "state", state);
	str(con, "name", p->name);
	flag(con, "kthread", p->kthread);
	hex(con, "task", p->task);
	if (p->finding) {
		flag(con, "flagged", true);
		str(con, "finding", p->finding);
	}
}

static void syscall(struct console *con, const struct ids_rec_syscall *e)
{
	str(con, "table", e->table);
	num(con, "nr", e->nr);
	hex(con, "addr", e->addr);
	str(con, "symbol", e->symbol);
	flag(con, "flagged", !e->in_text || e->differs);
	flag(con, "in_text", e->in_text);
	if (!e->in_text) {
		str(con, "owner", e->owner ? e->owner : "unknown");
		flag(con, "owner_hidden", e->owner_hidden);
	}
	if (e->expected)
		str(con, "expected", e->expected);
}

static void totals(struct ids_reporter *r, const struct ids_totals *t)
{
	static const char *const names[] = {
		[IDS_SCAN_BANNER] = "banner", [IDS_SCAN_SYSCALL] = "syscall", [IDS_SCAN_PLIST] = "plist",
		[IDS_SCAN_LSMOD] = "lsmod", [IDS_SCAN_INTEGRITY] = "integrity", [IDS_SCAN_HOOKS] = "hooks",
		[IDS_SCAN_CHECK] = "check", [IDS_SCAN_NET] = "net",
	};
	struct console *con = r->con;
	if (t->scan == IDS_SCAN_INTEGRITY) {
		begin(r, "integrity_scan");
		num(con, "text_bytes", t->text_bytes);
		num(con, "rodata_bytes", t->rodata_bytes);
		num(con, "pages", t->pages);
		con_printf(con, "}\n");
	}
	begin(r, "summary");
	str(con, "scan", (unsigned)t->scan < ARRAY_SIZE(names) ? names[t->scan] : "?");
	num(con, "findings", t->findings);
	num(con, "partial", t->partial);
	num(con, "stopped_us", t->stopped_us);
}

void ids_report_json(struct ids_sink *sink, const struct ids_record *rec)
{
	struct ids_reporter *r = (struct ids_reporter *)sink;
	struct console *con = r->con;
	switch (rec->type) {
	case IDS_REC_BANNER:
		begin(r, "banner");
		str(con, "banner", rec->banner.text);
		hex(con, "kaslr_slide", rec->banner.slide);
		break;
	case IDS_REC_PROCESS:
		begin(r, "process");
		process(con, &rec->process);
		break;
	case IDS_REC_SYSCALL:
		begin(r, "syscall");
		syscall(con, &rec->syscall);
		break;
	case IDS_REC_MODULE:
		begin(r, "module");
		str(con, "name", rec->module.name);
		hex(con, "base", rec->module.base);
		num(con, "size", rec->module.size);
		hex(con, "addr", rec->module.addr);
		break;
	case IDS_REC_HOOK:
		begin(r, "hook");
		str(con, "kind", rec->hook.kind);
		hex(con, "object", rec->hook.object);
		str(con, "target", rec->hook.target);
		str(con, "handler", rec->hook.handler);
		flag(con, "flagged", true);        /* every registered hook is a finding */
		flag(con, "hidden", rec->hook.hidden);
		break;
	case IDS_REC_SOCKET:
		begin(r, "socket");
		str(con, "proto", rec->socket.proto);
		str(con, "local_addr", rec->socket.laddr);
		num(con, "local_port", rec->socket.lport);
		str(con, "remote_addr", rec->socket.raddr);
		num(con, "remote_port", rec->socket.rport);
		str(con, "state", rec->socket.state);
		if (rec->socket.pid) {
			num(con, "pid", (uint64_t)rec->socket.pid);
			str(con, "name", rec->socket.name ? rec->socket.name : "");
		}
		hex(con, "sk", rec->socket.sk);
		flag(con, "flagged", rec->socket.hidden != NULL);
		if (rec->socket.hidden)
			str(con, "finding", rec->socket.hidden);
		else if (rec->socket.info)
			str(con, "info", rec->socket.info);
		break;
	case IDS_REC_INTEGRITY:
		begin(r, "integrity");
		str(con, "region", rec->integrity.region);
		hex(con, "addr", rec->integrity.addr);
		str(con, "at", rec->integrity.at);
		str(con, "now", rec->integrity.now);
		str(con, "kind", rec->integrity.kind);
		break;
	case IDS_REC_FINDING:
		begin(r, "finding");
		str(con, "check", rec->finding.check);
		str(con, "finding", rec->finding.text);
		break;
	case IDS_REC_ELIDED:
		begin(r, "elided");
		str(con, "check", rec->elided.check);
		num(con, "count", rec->elided.count);
		break;
	case IDS_REC_PARTIAL:
		begin(r, "warning");
		str(con, "check", rec->finding.check);
		str(con, "warning", rec->finding.text);
		break;
	case IDS_REC_NOTE:
		begin(r, "note");
		str(con, "note", rec->note);
		break;
	case IDS_REC_ERROR:
		begin(r, "error");
		str(con, "error", rec->error);
		break;
	case IDS_REC_TOTALS:
		totals(r, &rec->totals);
		break;
	}
	con_printf(con, "}\n");
}
