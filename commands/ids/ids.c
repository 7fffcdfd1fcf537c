/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `ids` command group: guest introspection from the hypervisor. One
 * table describes every subcommand; for a scan the dispatcher parses the
 * options, opens the session (the guest is held from here), runs the scan,
 * and ends it with the totals line or JSON summary, in one place. `ids help`
 * and the usage messages are printed from the table.
 */
#include <mamoru/libc.h>

#include "ids.h"

enum ids_hold {
	IDS_OWN_ARGS,        /* parses its own arguments, holds the guest itself if at all */
	IDS_HOLD_LOCATED,    /* a scan: needs the guest held and its kernel located */
	IDS_HOLD_ANY,        /* a scan that still runs when the kernel cannot be located */
};

struct ids_sub {
	const char *name;
	const char *args;            /* after "ids <name>" in the usage */
	const char *summary;         /* continuation lines start with '\n' */
	enum ids_hold hold;
	unsigned opts;               /* IDS_OPT_* accepted besides --json */
	enum ids_scan scan;          /* whose totals the reporters print */
	int (*run)(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
	int (*exec)(struct console *con, int argc, char **argv);     /* IDS_OWN_ARGS */
};

#define SCAN_ARGS "[<guest>] [--json]"

static const struct ids_sub subs[] = {
	{"banner", SCAN_ARGS, "the guest kernel's version banner (linux_banner)",
	 IDS_HOLD_LOCATED, 0, IDS_SCAN_BANNER, ids_run_banner, NULL},
	{"syscall", SCAN_ARGS " [--hooked]", "system call table entries and their handlers; "
	 "--hooked: flagged only", IDS_HOLD_LOCATED, IDS_OPT_HOOKED, IDS_SCAN_SYSCALL, ids_run_syscall, NULL},
	{"plist", SCAN_ARGS " [--hidden]", "processes from the task list; --hidden: cross-check "
	 "the PID table", IDS_HOLD_LOCATED, IDS_OPT_HIDDEN, IDS_SCAN_PLIST, ids_run_plist, NULL},
	{"lsmod", SCAN_ARGS, "loaded kernel modules; flags those hidden from the list",
	 IDS_HOLD_LOCATED, 0, IDS_SCAN_LSMOD, ids_run_lsmod, NULL},
	{"integrity", SCAN_ARGS, "kernel text, vectors and rodata against the bundle's image",
	 IDS_HOLD_LOCATED, 0, IDS_SCAN_INTEGRITY, ids_run_integrity, NULL},
	{"hooks", SCAN_ARGS, "registered kprobes and ftrace callbacks, and who owns them",
	 IDS_HOLD_LOCATED, 0, IDS_SCAN_HOOKS, ids_run_hooks, NULL},
	{"net", SCAN_ARGS, "TCP and UDP sockets from the kernel's tables, with their owners;\n"
	 "flags /proc/net files (what netstat reads) that are hooked",
	 IDS_HOLD_LOCATED, 0, IDS_SCAN_NET, ids_run_net, NULL},
	{"check", SCAN_ARGS, "all checks; prints 'ids: OK', 'ids: ALERT (n findings)' or\n"
	 "'ids: PARTIAL (...)' (no finding, not all checked); what stops a check is a finding "
	 "(TAMPERED)", IDS_HOLD_ANY, 0, IDS_SCAN_CHECK, ids_run_check, NULL},
	{"watch", "[<seconds> [<guest>] | off]", "run all checks every <seconds>; report when the "
	 "verdict changes", IDS_OWN_ARGS, 0, 0, NULL, ids_watch},
	{"protect", "[on|off|status] [<guest>]", "stage-2 write protection of the kernel's read-only "
	 "data:\narm, disarm, show (pages, writes refused, last offender)", IDS_OWN_ARGS, 0, 0, NULL,
	 ids_protect},
	{"help", "", "this list", IDS_OWN_ARGS, 0, 0, NULL, NULL},
};

static void usage_line(struct console *con, const char *lead, const struct ids_sub *sub)
{
	con_printf(con, "%sids %s%s%s\n", lead, sub->name, sub->args[0] ? " " : "", sub->args);
}

static void help(struct console *con)
{
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		usage_line(con, i ? "       " : "usage: ", &subs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		con_printf(con, "  %-10s ", subs[i].name);
		for (const char *p = subs[i].summary; *p; p++)
			if (*p == '\n')
				con_printf(con, "\n  %-10s ", "");
			else
				con_write(con, p, 1);
		con_printf(con, "\n");
	}
	con_printf(con, "  <guest> defaults to guest0; --json prints one JSON object per line\n");
}

static int scan(struct console *con, const struct ids_sub *sub, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;

	if (ids_parse(argc, argv, sub->opts, &a)) {
		usage_line(con, "usage: ", sub);
		return CMD_FAIL;
	}
	a.check = sub->scan == IDS_SCAN_CHECK;
	a.tasks = sub->scan == IDS_SCAN_PLIST || sub->scan == IDS_SCAN_CHECK ||
		  sub->scan == IDS_SCAN_NET;
	int opened = ids_open(&s, con, &a);
	if (opened == IDS_CANNOT_CHECK || (opened == IDS_OPEN_TAMPERED && sub->hold != IDS_HOLD_ANY))
		return CMD_FAIL;       /* said why (an error, or the kernel finding) */
	unsigned before = s.findings;
	struct ids_totals t = {.scan = sub->scan, .count = -1};
	int r = sub->run(&s, &a, &t);
	if (r != CMD_OK)
		return r;
	if (t.count < 0)
		t.count = (int)(s.findings - before);
	ids_emit_totals(&s, &t);
	return CMD_OK;
}

static int cmd_ids(struct console *con, int argc, char **argv)
{
	if (argc < 2) {
		help(con);
		return CMD_FAIL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		const struct ids_sub *sub = &subs[i];
		if (strcmp(argv[1], sub->name))
			continue;
		if (sub->hold != IDS_OWN_ARGS)
			return scan(con, sub, argc - 1, argv + 1);
		if (!sub->exec) {
			help(con);
			return CMD_OK;
		}
		int r = sub->exec(con, argc - 1, argv + 1);
		if (r == CMD_USAGE) {
			usage_line(con, "usage: ", sub);
			r = CMD_FAIL;
		}
		return r;
	}
	con_printf(con, "error: no ids subcommand '%s' (see 'ids help')\n", argv[1]);
	return CMD_FAIL;
}

static const struct command ids_cmd = {
	.name = "ids",
	.summary = "intrusion detection on a guest kernel (banner, syscall, plist...)",
	.usage = "ids <subcommand> [<guest>] [--json] [options]\n"
		 "  'ids help' lists the subcommands: banner, syscall, plist, lsmod, integrity, hooks,\n"
		 "  net, check, watch, protect",
	.exec = cmd_ids,
};
COMMAND(ids_cmd);
