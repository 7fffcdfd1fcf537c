/* SPDX-License-Identifier: GPL-2.0-only */
/* `version`: what is running, built from which revision, on which board. */
#include <arch/cpu.h>
#include <generated/version.h>
#include <mamoru/board.h>
#include <mamoru/command.h>

static int cmd_version(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CMD_USAGE;
	con_printf(con, "version: %s\ngit: %s\nboard: %s\nbuilt: %s\nlevel: %s\n", MAMORU_VERSION,
		   MAMORU_GIT, board_desc.name, MAMORU_BUILD_DATE, cpu_level_name(cpu_current_el()));
	return CMD_OK;
}

static const struct command version_cmd = {
	.name = "version",
	.summary = "show the hypervisor version, git revision, board and build date",
	.usage = "version",
	.exec = cmd_version,
};
COMMAND(version_cmd);
