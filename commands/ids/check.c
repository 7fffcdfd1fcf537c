/* `ids check`: every check at once, one line per finding and a verdict. */
#include <mamoru/libc.h>

#include "ids.h"

/* The banner must be readable and name the release the profile was built for. */
static int check_banner(struct ids_session *s)
{
	char banner[256];
	uint64_t addr;
	int err = vmi_sym(s->vmi, "linux_banner", &addr);
	if (!err)
		err = vmi_read_str(s->vmi, addr, banner, sizeof(banner));
	if (err && err != VMI_ETRUNC) {
		ids_error(s, "reading linux_banner");
		return -1;
	}
	const char *release = profile_string(s->prof, "str.release");
	bool ok = !strncmp(banner, "Linux version ", 14) &&
		  (!release || !strncmp(banner + 14, release, strlen(release)));
	if (ok)
		return 0;
	if (s->json) {
		con_printf(s->con, "{\"type\":\"banner\",\"guest\":\"%s\",\"flagged\":true,\"banner\":", s->g->name);
		ids_json_str(s->con, banner);
		con_printf(s->con, "}\n");
	} else {
		con_printf(s->con, "finding: kernel banner does not match the profile's release %s: %s\n",
			   release ? release : "?", banner);
	}
	s->findings++;
	return 1;
}

int ids_run_checks(struct ids_session *s)
{
	if (check_banner(s) < 0 || ids_scan_syscalls(s, true, true) < 0 || ids_scan_tasks(s, true, true) < 0)
		return -1;
	if (ids_scan_integrity(s, true) < 0)
		return -1;
	return (int)s->findings;
}

int ids_check(struct console *con, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;
	if (ids_parse(argc, argv, 0, &a))
		return CMD_USAGE;
	if (ids_open(&s, con, &a))
		return CMD_FAIL;
	if (ids_run_checks(&s) < 0)
		return CMD_FAIL;
	if (s.json)
		ids_close(&s, "check");
	else if (s.findings)
		con_printf(con, "ids: ALERT (%u finding%s)\n", s.findings, s.findings == 1 ? "" : "s");
	else
		con_printf(con, "ids: OK\n");
	return CMD_OK;
}
