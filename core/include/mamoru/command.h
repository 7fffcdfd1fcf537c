/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command manager: commands register themselves with COMMAND(), the
 * shell tokenises a line and runs the matching command.
 */
#ifndef MAMORU_COMMAND_H
#define MAMORU_COMMAND_H

#include <mamoru/console.h>
#include <mamoru/lineedit.h>

#define CMD_MAX_ARGS 16

/* Return values of a command's exec. */
#define CMD_OK 0
#define CMD_FAIL 1        /* the command printed its own error */
#define CMD_USAGE 2       /* bad arguments: the shell prints the usage */

struct command {
	const char *name;
	const char *summary;     /* one line, for `help` */
	const char *usage;       /* "name <args>" plus detail lines, for `help name` */
	int (*exec)(struct console *con, int argc, char **argv);
};

/* Registers a command in the linker-collected table "mamoru_cmds". */
#define COMMAND(var)                                                          \
	static const struct command *const __cmd_ptr_##var                    \
		__attribute__((section("mamoru_cmds"), used, aligned(sizeof(void *)))) = &(var)

const struct command *command_find(const char *name);
/* Iterate over all commands, sorted by name: i from 0 until NULL. */
const struct command *command_at(size_t i);

/* Splits line in place into argv (whitespace separated, "double quotes"
 * group, backslash escapes inside quotes). Returns argc, or -1 with *err set
 * to a message on an unterminated quote or too many arguments. */
int shell_tokenize(char *line, char **argv, int max, const char **err);
/* Runs one line; prints errors (unknown command, bad arguments) on con.
 * Returns the command's result, or CMD_FAIL/CMD_USAGE. */
int shell_run_line(struct console *con, char *line);

/* The interactive shell loop, shared by the hypervisor's main loop and the
 * host test harness: bytes go in, echo, command output, error messages and
 * prompts come out on con. */
struct shell {
	struct lineedit le;
	struct console *con;
	const char *prompt;
	/* Around each command line run (may be NULL): the hypervisor stops the
	 * vCPUs on other cores meanwhile (mamoru/vcpu_pin.h). */
	void (*before_run)(void);
	void (*after_run)(void);
};

void shell_init(struct shell *sh, struct console *con, const char *prompt);
/* Prints the first prompt. */
void shell_start(struct shell *sh);
/* Feeds one received byte; runs the line on Enter, then prompts again. */
void shell_input(struct shell *sh, uint8_t c);

#endif
