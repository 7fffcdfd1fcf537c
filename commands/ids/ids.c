/* SPDX-License-Identifier: GPL-2.0-only */
/* The `ids` command group: guest introspection from the hypervisor. */
#include <mamoru/libc.h>

#include "ids.h"

struct ids_sub {
	const char *name;
	int (*exec)(struct console *con, int argc, char **argv);
};

static const struct ids_sub subs[] = {
	{"banner", ids_banner},
	{"syscall", ids_syscall},
	{"plist", ids_plist},
	{"lsmod", ids_lsmod},
	{"integrity", ids_integrity},
	{"check", ids_check},
	{"watch", ids_watch},
	{"protect", ids_protect},
	{"hooks", ids_hooks},
};

static int cmd_ids(struct console *con, int argc, char **argv)
{
	if (argc < 2)
		return CMD_USAGE;
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].exec(con, argc - 1, argv + 1);
	con_printf(con, "error: no ids subcommand '%s'\n", argv[1]);
	return CMD_USAGE;
}

static const struct command ids_cmd = {
	.name = "ids",
	.summary = "intrusion detection on a guest kernel (banner, syscall, plist...)",
	.usage = "ids <scan> [<guest>] [--json] [--hooked] [--hidden]\n"
		 "       ids watch [<seconds> [<guest>] | off]\n"
		 "       ids protect [on|off|status] [<guest>]\n"
		 "  <scan> is one of:\n"
		 "  banner           the guest kernel's version banner (linux_banner)\n"
		 "  syscall          system call table entries and their handlers; --hooked: flagged only\n"
		 "  plist            processes from the task list; --hidden: cross-check the PID table\n"
		 "  lsmod            loaded kernel modules; flags those hidden from the list\n"
		 "  integrity        kernel text, vectors and rodata against the bundle's image\n"
		 "  hooks            registered kprobes and ftrace callbacks, and who owns them\n"
		 "  check            all checks; prints 'ids: OK' or 'ids: ALERT (n findings)';\n"
		 "                   what stops a check is a finding (TAMPERED)\n"
		 "  watch            run all checks every <seconds>; report when the verdict changes\n"
		 "  protect          stage-2 write protection of the kernel's read-only data: arm,\n"
		 "                   disarm, show (pages, writes refused, last offender)\n"
		 "  <guest> defaults to guest0; --json prints one JSON object per line",
	.exec = cmd_ids,
};
COMMAND(ids_cmd);
