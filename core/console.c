/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Console output helpers. Bytes are passed through unchanged: the serial
 * driver layer turns "\n" into "\r\n".
 */
#include <mamoru/console.h>
#include <mamoru/libc.h>

#define CON_CHUNK 256

struct console *sys_console;

void con_write(struct console *con, const char *buf, size_t len)
{
	if (con && con->write && len)
		con->write(con, buf, len);
}

void con_puts(struct console *con, const char *s)
{
	con_write(con, s, strlen(s));
}

/* Collects formatter output in a stack buffer and writes it in chunks, so
 * output of any length arrives whole and in as few writes as possible. */
struct chunk_ctx {
	struct console *con;
	size_t len;
	char buf[CON_CHUNK];
};

static void chunk_flush(struct chunk_ctx *c)
{
	con_write(c->con, c->buf, c->len);
	c->len = 0;
}

static void chunk_out(void *ctx, const char *s, size_t n)
{
	struct chunk_ctx *c = ctx;

	while (n) {
		size_t k = MIN(n, sizeof(c->buf) - c->len);

		memcpy(c->buf + c->len, s, k);
		c->len += k;
		s += k;
		n -= k;
		if (c->len == sizeof(c->buf))
			chunk_flush(c);
	}
}

int con_vprintf(struct console *con, const char *fmt, va_list ap)
{
	struct chunk_ctx c;
	int n;

	c.con = con;
	c.len = 0;
	n = m_vformat(chunk_out, &c, fmt, ap);
	chunk_flush(&c);
	return n;
}

int con_printf(struct console *con, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = con_vprintf(con, fmt, ap);
	va_end(ap);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!sys_console)
		return 0;
	va_start(ap, fmt);
	n = con_vprintf(sys_console, fmt, ap);
	va_end(ap);
	return n;
}

static void buffer_write(struct console *con, const char *buf, size_t len)
{
	struct buffer_console *b = con->priv;
	size_t room = b->size - b->len;
	size_t n = len < room ? len : room;
	memcpy(b->buf + b->len, buf, n);
	b->len += n;
	b->lost += len - n;
}

void buffer_console_init(struct buffer_console *b, char *buf, size_t size)
{
	b->con.write = buffer_write;
	b->con.priv = b;
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->lost = 0;
}
