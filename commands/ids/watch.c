/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids watch`: runs every check of `ids check` periodically from the main
 * loop and reports on the console whenever the verdict changes (a new alert,
 * a different number of findings, the guest becoming unreadable, or OK
 * again), so an intrusion shows up without anyone asking. A tampered guest
 * is an ALERT with its findings; only a guest that is not running or has no
 * profile is "cannot check".
 */
#include <mamoru/libc.h>
#include <mamoru/periodic.h>

#include "ids.h"

#define WATCH_REPORT_MAX 4096
#define WATCH_MIN_S 1
#define WATCH_MAX_S 86400

static struct periodic watch_task;
static char watch_guest[GUEST_NAME_MAX];
/* findings, -1 error, -2 nothing reported yet, -3 no findings but checked in part */
static int last_verdict = -2;
static uint64_t scans;
static char report[WATCH_REPORT_MAX];

static bool watch_run(struct periodic *p)
{
	(void)p;
	struct buffer_console out;
	struct ids_session s;
	struct ids_args a = {.guest = watch_guest, .check = true, .tasks = true};
	buffer_console_init(&out, report, sizeof(report));

	int verdict = -1;
	scans++;
	/* Only a guest with nothing to inspect (halted, no profile) cannot be
	 * checked; a kernel that cannot be read is a finding like any other. */
	int opened = ids_open(&s, &out.con, &a);
	if (opened != IDS_CANNOT_CHECK) {
		verdict = ids_run_checks(&s, opened);
		if (verdict == 0 && s.partial)
			verdict = -3;
	}
	if (verdict == last_verdict)
		return false;
	last_verdict = verdict;
	con_printf(sys_console, "\n[ids watch] %s: ", watch_guest);
	if (verdict > 0)
		con_printf(sys_console, "ALERT (%d finding%s)\n", verdict, verdict == 1 ? "" : "s");
	else if (verdict == 0)
		con_printf(sys_console, "OK\n");
	else if (verdict == -3)
		con_printf(sys_console, "PARTIAL (not everything could be checked)\n");
	else
		con_printf(sys_console, "cannot check\n");
	con_write(sys_console, out.buf, out.len);
	if (out.lost)
		con_printf(sys_console, "[ids watch] (%zu more bytes of report not shown)\n", out.lost);
	return true;
}

int ids_watch(struct console *con, int argc, char **argv)
{
	if (argc == 1) {
		if (watch_task.interval_ns)
			con_printf(con, "ids watch: %s every %llu s, %llu scans so far\n", watch_guest,
				   (unsigned long long)(watch_task.interval_ns / 1000000000ull),
				   (unsigned long long)scans);
		else
			con_printf(con, "ids watch: off\n");
		return CMD_OK;
	}
	if (argc > 3)
		return CMD_USAGE;
	if (!strcmp(argv[1], "off")) {
		if (argc != 2)
			return CMD_USAGE;
		periodic_start(&watch_task, 0);
		con_printf(con, "ids watch: off\n");
		return CMD_OK;
	}
	uint64_t seconds;
	if (parse_u64(argv[1], &seconds) || seconds < WATCH_MIN_S || seconds > WATCH_MAX_S) {
		con_printf(con, "error: the interval is a number of seconds from %d to %d\n", WATCH_MIN_S,
			   WATCH_MAX_S);
		return CMD_FAIL;
	}
	const char *name = argc == 3 ? argv[2] : "guest0";
	if (!guest_lookup(con, name))
		return CMD_FAIL;
	m_snprintf(watch_guest, sizeof(watch_guest), "%s", name);
	watch_task.name = "ids watch";
	watch_task.run = watch_run;
	last_verdict = -2;
	scans = 0;
	periodic_start(&watch_task, seconds * 1000000000ull);
	con_printf(con, "ids watch: checking %s every %llu s; changes are reported here\n", name,
		   (unsigned long long)seconds);
	return CMD_OK;
}
