/* SPDX-License-Identifier: GPL-2.0-only */
/* `ids banner`: the guest kernel's version banner, read from linux_banner. */
#include "ids.h"

#define BANNER_MAX 512

int ids_run_banner(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	char banner[BANNER_MAX];
	uint64_t addr;
	(void)a;
	(void)t;

	int err = vmi_sym(s->vmi, "linux_banner", &addr);
	if (!err)
		err = vmi_read_str(s->vmi, addr, banner, sizeof(banner));
	if (err && err != VMI_ETRUNC) {
		ids_tampered(s, "banner", "reading linux_banner");
		return CMD_FAIL;
	}
	/* The banner ends with a newline; print it once. */
	for (char *p = banner; *p; p++)
		if (*p == '\n' && !p[1])
			*p = '\0';
	struct ids_record rec = {.type = IDS_REC_BANNER,
				 .banner = {.text = banner, .slide = s->vmi->slide}};
	ids_emit(s, &rec);
	return CMD_OK;
}
