/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A console handle: where a command's output goes. The shell passes one to
 * every command, so the same command can later run over another transport.
 */
#ifndef MAMORU_CONSOLE_H
#define MAMORU_CONSOLE_H

#include <mamoru/types.h>

struct console {
	void (*write)(struct console *con, const char *buf, size_t len);
	void *priv;
};

void con_write(struct console *con, const char *buf, size_t len);
void con_puts(struct console *con, const char *s);
int con_printf(struct console *con, const char *fmt, ...) __printf(2, 3);
int con_vprintf(struct console *con, const char *fmt, va_list ap);

/* A console that collects output in a caller's buffer (what does not fit
 * is counted in lost), e.g. to print a report only when it changed. */
struct buffer_console {
	struct console con;
	char *buf;
	size_t size, len, lost;
};
void buffer_console_init(struct buffer_console *b, char *buf, size_t size);

/* The hypervisor's physical console (serial). NULL until one is set up. */
extern struct console *sys_console;
/* printf to the system console; before a console exists, output is dropped. */
int printk(const char *fmt, ...) __printf(1, 2);

#endif
