/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids hooks`: registered kprobes and ftrace callbacks, the ways a module
 * hooks kernel functions without touching the system call table. Each is
 * listed with what it hooks and who owns the handler; in `ids check` every
 * one is a finding (a device's kernel has none unless someone is tracing
 * it), and a handler in memory no listed module owns is marked HIDDEN.
 */
#include <mamoru/libc.h>

#include "ids.h"

#define HOOK_LIMIT 4096
#define DESC_LEN 160

struct hooks_ctx {
	struct ids_session *s;
};

static bool owned(struct ids_session *s, uint64_t addr)
{
	uint64_t lo, hi;
	if (vmi_sym(s->vmi, "_stext", &lo) == VMI_OK && vmi_sym(s->vmi, "_etext", &hi) == VMI_OK &&
	    addr >= lo && addr < hi)
		return true;
	bool hidden = false;
	return ids_module_of(addr, &hidden) != NULL && !hidden;
}

static void report(struct hooks_ctx *c, const char *kind, uint64_t obj, const char *target,
		   uint64_t handler)
{
	struct ids_session *s = c->s;
	char where[DESC_LEN];
	bool hidden = handler && !owned(s, handler);
	if (handler)
		ids_describe_addr(s, handler, where, sizeof(where));
	else
		m_snprintf(where, sizeof(where), "none");
	/* Every registered hook is a finding: a device's kernel has none. */
	struct ids_record rec = {.type = IDS_REC_HOOK, .findings = 1, .hook = {
		.kind = kind, .object = obj, .target = target, .handler = where, .hidden = hidden}};
	ids_emit(s, &rec);
}

static int one_kprobe(void *ctx, const struct vmi_kprobe *k)
{
	struct hooks_ctx *c = ctx;
	char target[DESC_LEN];
	ids_describe_addr(c->s, k->target, target, sizeof(target));
	report(c, "kprobe", k->addr, target, k->pre_handler ? k->pre_handler : k->post_handler);
	return 0;
}

static int one_ftrace(void *ctx, const struct vmi_ftrace_ops *o)
{
	struct hooks_ctx *c = ctx;
	report(c, "ftrace", o->addr, "traced functions", o->func);
	return 0;
}

int ids_scan_hooks(struct ids_session *s)
{
	unsigned before = s->findings;
	struct hooks_ctx c = {.s = s};
	uint64_t unused;

	ids_module_ranges(s);               /* attribution; the module check reports failures */
	if (vmi_sym(s->vmi, "kprobe_table", &unused) == VMI_OK &&
	    vmi_kprobe_foreach(s->vmi, HOOK_LIMIT, one_kprobe, &c) < 0)
		ids_tampered(s, "kprobe", "walking kprobe_table");
	if (vmi_sym(s->vmi, "ftrace_ops_list", &unused) == VMI_OK &&
	    vmi_ftrace_foreach(s->vmi, HOOK_LIMIT, one_ftrace, &c) < 0)
		ids_tampered(s, "ftrace", "walking ftrace_ops_list");
	return (int)(s->findings - before);
}

int ids_run_hooks(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	(void)a;
	(void)t;
	ids_scan_hooks(s);
	return CMD_OK;
}
