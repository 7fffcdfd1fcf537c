/* SPDX-License-Identifier: GPL-2.0-only */
/* `vserial`: attach the console to a guest's UART, or show what it printed. */
#include <mamoru/command.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>
#include <mamoru/vserial.h>

static void dump(struct console *con, struct guest *g, uint64_t want)
{
	uint64_t have = MIN(g->out_head, (uint64_t)GUEST_CONSOLE_RING);
	uint64_t n = MIN(want, have);
	/* The guest wrote these bytes: escape sequences and control characters
	 * are shown, not sent to the operator's terminal. */
	for (uint64_t i = g->out_head - n; i < g->out_head; i++) {
		char c = (char)g->out_ring[i % GUEST_CONSOLE_RING], out[8];
		if (c == '\r')
			continue;
		if (c == 0)
			con_write(con, "\\x00", 4);
		else
			con_write(con, out, str_escape(out, sizeof(out), &c, 1, ESC_KEEP_LINES));
	}
	if (n && g->out_ring[(g->out_head - 1) % GUEST_CONSOLE_RING] != '\n')
		con_printf(con, "\n");
}

static int cmd_vserial(struct console *con, int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		return CMD_USAGE;
	struct guest *g = guest_lookup(con, argv[2]);
	if (!g)
		return CMD_FAIL;
	if (!strcmp(argv[1], "bind") && argc == 3) {
		if (g->state == GUEST_FAILED || !g->console.ops) {
			con_printf(con, "error: %s has no console\n", g->name);
			return CMD_FAIL;
		}
		con_printf(con, "[vserial: attached to %s (%s); type ESC x q to detach]\n", g->name,
			   guest_state_name(g->state));
		if (g->state != GUEST_RUNNING)
			con_printf(con, "[vserial: %s is %s, not running: it reads nothing you type until "
				   "it runs ('guest kick' or 'guest resume')]\n", g->name,
				   guest_state_name(g->state));
		vserial_bind(g);
		return CMD_OK;
	}
	if (!strcmp(argv[1], "dump")) {
		uint64_t n = GUEST_CONSOLE_RING;
		if (argc == 4 && parse_u64(argv[3], &n)) {
			con_printf(con, "error: byte count must be a number\n");
			return CMD_FAIL;
		}
		dump(con, g, n);
		return CMD_OK;
	}
	return CMD_USAGE;
}

static const struct command vserial_cmd = {
	.name = "vserial",
	.summary = "the console to a guest's UART (ESC x q returns), or its output",
	.usage = "vserial bind <guest> | vserial dump <guest> [<bytes>]\n"
		 "  bind: everything typed goes to the guest until ESC x q\n"
		 "  dump: the guest's recent console output (up to 16 KiB is kept)",
	.exec = cmd_vserial,
};
COMMAND(vserial_cmd);
