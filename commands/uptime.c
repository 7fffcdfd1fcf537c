/* SPDX-License-Identifier: GPL-2.0-only */
/* `uptime`: time since boot and hypervisor timer ticks. */
#include <arch/cpu.h>
#include <mamoru/command.h>

static int cmd_uptime(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CMD_USAGE;
	uint64_t ns = timer_now_ns();
	con_printf(con, "uptime: %llu.%03llu s, ticks: %llu\n", (unsigned long long)(ns / 1000000000ull),
		   (unsigned long long)(ns / 1000000ull % 1000), (unsigned long long)timer_ticks());
	return CMD_OK;
}

static const struct command uptime_cmd = {
	.name = "uptime",
	.summary = "show time since boot and the number of timer ticks",
	.usage = "uptime",
	.exec = cmd_uptime,
};
COMMAND(uptime_cmd);
