/* `ids lsmod`: the guest's loaded kernel modules (the module list). */
#include <mamoru/libc.h>

#include "ids.h"

struct lsmod_ctx {
	struct ids_session *s;
	unsigned count;
};

static int print_module(void *ctx, const struct vmi_module *m)
{
	struct lsmod_ctx *c = ctx;
	struct console *con = c->s->con;
	c->count++;
	if (c->s->json) {
		con_printf(con, "{\"type\":\"module\",\"guest\":\"%s\",\"name\":", c->s->g->name);
		ids_json_str(con, m->name);
		con_printf(con, ",\"base\":\"0x%llx\",\"size\":%llu,\"addr\":\"0x%llx\"}\n",
			   (unsigned long long)m->base, (unsigned long long)m->size,
			   (unsigned long long)m->addr);
	} else {
		con_printf(con, "%-24s 0x%016llx %10llu\n", m->name, (unsigned long long)m->base,
			   (unsigned long long)m->size);
	}
	return 0;
}

int ids_lsmod(struct console *con, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;
	if (ids_parse(argc, argv, 0, &a))
		return CMD_USAGE;
	if (ids_open(&s, con, &a))
		return CMD_FAIL;
	struct lsmod_ctx c = {.s = &s};
	if (!s.json)
		con_printf(con, "%-24s %-18s %10s\n", "NAME", "BASE", "SIZE");
	int err = vmi_module_foreach(s.vmi, IDS_MODULE_LIMIT, print_module, &c);
	if (err < 0) {
		ids_error(&s, "walking the module list");
		return CMD_FAIL;
	}
	if (!s.json)
		con_printf(con, "%u module(s)\n", c.count);
	ids_close(&s, "lsmod");
	return CMD_OK;
}
