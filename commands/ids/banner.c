/* SPDX-License-Identifier: GPL-2.0-only */
/* `ids banner`: the guest kernel's version banner, read from linux_banner. */
#include "ids.h"

#define BANNER_MAX 512

int ids_banner(struct console *con, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;
	char banner[BANNER_MAX];
	uint64_t addr;

	if (ids_parse(argc, argv, 0, &a))
		return CMD_USAGE;
	if (ids_open(&s, con, &a))
		return CMD_FAIL;
	int err = vmi_sym(s.vmi, "linux_banner", &addr);
	if (!err)
		err = vmi_read_str(s.vmi, addr, banner, sizeof(banner));
	if (err && err != VMI_ETRUNC) {
		ids_tampered(&s, "banner", "reading linux_banner");
		return CMD_FAIL;
	}
	/* The banner ends with a newline; print it once. */
	for (char *p = banner; *p; p++)
		if (*p == '\n' && !p[1])
			*p = '\0';
	if (s.json) {
		con_printf(con, "{\"type\":\"banner\",\"guest\":\"%s\",\"banner\":", s.g->name);
		ids_json_str(con, banner);
		con_printf(con, ",\"kaslr_slide\":\"0x%llx\"}\n", (unsigned long long)s.vmi->slide);
	} else {
		ids_text_str(con, banner);
		con_printf(con, "\n");
	}
	ids_close(&s, "banner");
	return CMD_OK;
}
