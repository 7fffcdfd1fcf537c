/* SPDX-License-Identifier: GPL-2.0-only */
/* help: the command list, or one command's usage. */
#include <mamoru/command.h>

static int help_exec(struct console *con, int argc, char **argv)
{
	const struct command *c;
	size_t i;

	if (argc > 2)
		return CMD_USAGE;
	if (argc == 2) {
		c = command_find(argv[1]);
		if (!c) {
			con_printf(con, "error: no command '%s'\n", argv[1]);
			return CMD_FAIL;
		}
		con_printf(con, "usage: %s\n%s\n", c->usage, c->summary);
		return CMD_OK;
	}
	for (i = 0; (c = command_at(i)) != NULL; i++)
		con_printf(con, "  %-10s %s\n", c->name, c->summary);
	return CMD_OK;
}

static const struct command help_cmd = {
	.name = "help",
	.summary = "list the commands, or show how to use one",
	.usage = "help [command]",
	.exec = help_exec,
};
COMMAND(help_cmd);
