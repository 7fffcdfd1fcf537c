/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `guest`, `ids` and `vserial` in a build without guest support (Kconfig GUESTS
 * off, e.g. the ARMv5 board until it can run guests): the commands exist, so a
 * user learns why nothing happens instead of "unknown command".
 */
#include <mamoru/board.h>
#include <mamoru/command.h>

static int cmd_no_guests(struct console *con, int argc, char **argv)
{
	(void)argc;
	con_printf(con, "%s: no guest support on %s yet\n", argv[0], board_desc.name);
	return CMD_FAIL;
}

static const struct command guest_cmd = {
	.name = "guest",
	.summary = "list and control guests (none on this board yet)",
	.usage = "guest ...\n  this board has no guest support yet",
	.exec = cmd_no_guests,
};
COMMAND(guest_cmd);

static const struct command ids_cmd = {
	.name = "ids",
	.summary = "intrusion detection in a guest (none on this board yet)",
	.usage = "ids ...\n  this board has no guest support yet",
	.exec = cmd_no_guests,
};
COMMAND(ids_cmd);

static const struct command vserial_cmd = {
	.name = "vserial",
	.summary = "attach the console to a guest's UART (none on this board yet)",
	.usage = "vserial ...\n  this board has no guest support yet",
	.exec = cmd_no_guests,
};
COMMAND(vserial_cmd);
