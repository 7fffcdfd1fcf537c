/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Runs the real shell loop (line editor, tokenizer, command table, help) on
 * bytes read from stdin, writing everything the console would show to
 * stdout. Adds test commands: echo (one argument per line), fail (always a
 * usage error, with a two-line usage), long N (one line of N characters
 * through a single con_printf, to check that long output is not cut).
 */
#include <stdio.h>
#include <stdlib.h>

#include <mamoru/command.h>
#include <mamoru/libc.h>

static void stdout_write(struct console *con, const char *buf, size_t len)
{
	(void)con;
	fwrite(buf, 1, len, stdout);
}

static int echo_exec(struct console *con, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		con_printf(con, "%s\n", argv[i]);
	if (argv[argc] != NULL)
		con_puts(con, "argv not NULL-terminated\n");
	return CMD_OK;
}

static int fail_exec(struct console *con, int argc, char **argv)
{
	(void)con;
	(void)argc;
	(void)argv;
	return CMD_USAGE;
}

static int long_exec(struct console *con, int argc, char **argv)
{
	static char text[100000];
	uint64_t n;

	if (argc != 2 || parse_u64(argv[1], &n) || n >= sizeof(text))
		return CMD_USAGE;
	for (uint64_t i = 0; i < n; i++)
		text[i] = (char)('a' + i % 26);
	text[n] = '\0';
	con_printf(con, "<%s>\n", text);
	return CMD_OK;
}

static const struct command echo_cmd = {
	"echo", "print the arguments, one per line", "echo [args...]", echo_exec,
};
static const struct command fail_cmd = {
	"fail", "always fails with a usage error", "fail <x>\n  x: anything at all", fail_exec,
};
static const struct command long_cmd = {
	"long", "print a long line", "long <n>", long_exec,
};
COMMAND(echo_cmd);
COMMAND(fail_cmd);
COMMAND(long_cmd);

int main(void)
{
	static struct shell sh;
	struct console con = { stdout_write, NULL };
	int c;

	shell_init(&sh, &con, "mamoru# ");
	shell_start(&sh);
	while ((c = getchar()) != EOF)
		shell_input(&sh, (uint8_t)c);
	fflush(stdout);
	return 0;
}
