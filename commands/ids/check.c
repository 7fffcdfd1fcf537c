/* SPDX-License-Identifier: GPL-2.0-only */
/* `ids check`: every check at once, one line per finding and a verdict. */
#include <mamoru/libc.h>

#include "ids.h"

int ids_run_checks(struct ids_session *s, int opened)
{
	if (opened == IDS_OPEN_TAMPERED) {
		/* Nothing that needs the kernel's layout can run: say so, per check. */
		ids_finding(s, "checks", "TAMPERED: system calls, processes, modules, hooks and "
			    "sockets were not checked: the kernel could not be located");
		return (int)s->findings;
	}
	/* The anchors (banner, VBAR_EL1, TTBR1_EL1, ...) were reported by ids_open. */
	ids_scan_syscalls(s, true);
	ids_scan_tasks(s, true, true);
	ids_scan_modules(s);
	ids_scan_hooks(s);
	ids_scan_net(s);
	ids_scan_integrity(s, true, NULL);
	return (int)s->findings;
}

int ids_run_check(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	(void)a;
	(void)t;
	ids_run_checks(s, s->located ? IDS_OPEN_OK : IDS_OPEN_TAMPERED);
	return CMD_OK;
}
