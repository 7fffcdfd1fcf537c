/* SPDX-License-Identifier: GPL-2.0-only */
/* `ids check`: every check at once, one line per finding and a verdict. */
#include <mamoru/libc.h>

#include "ids.h"

int ids_run_checks(struct ids_session *s, int opened)
{
	if (opened == IDS_OPEN_TAMPERED) {
		/* Nothing that needs the kernel's layout can run: say so, per check. */
		ids_finding(s, "checks", "TAMPERED: system calls, processes, modules and hooks were "
			    "not checked: the kernel could not be located");
		return (int)s->findings;
	}
	/* The anchors (banner, VBAR_EL1, TTBR1_EL1, ...) were reported by ids_open. */
	ids_scan_syscalls(s, true, true);
	ids_scan_tasks(s, true, true);
	ids_scan_modules(s, true);
	ids_scan_hooks(s, true);
	ids_scan_integrity(s, true);
	return (int)s->findings;
}

int ids_check(struct console *con, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;
	if (ids_parse(argc, argv, 0, &a))
		return CMD_USAGE;
	int opened = ids_open(&s, con, &a);
	if (opened == IDS_CANNOT_CHECK)
		return CMD_FAIL;
	ids_run_checks(&s, opened);
	if (s.json)
		ids_close(&s, "check");
	else if (s.findings)
		con_printf(con, "ids: ALERT (%u finding%s)\n", s.findings, s.findings == 1 ? "" : "s");
	else
		con_printf(con, "ids: OK\n");
	return CMD_OK;
}
