/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vserial (core/vserial.c) on the host with a scripted console UART: the
 * escape sequence, the queue for a guest that reads slowly, and ESC x q
 * from a guest that reads nothing.
 */
#include <string.h>

#include <mamoru/vserial.h>

#include "check.h"

static struct guest g;
static bool room;                  /* the UART takes bytes */
static char got[8192];
static size_t ngot;

static bool receive(void *priv, uint8_t c)
{
	(void)priv;
	if (!room || ngot == sizeof(got))
		return false;
	got[ngot++] = (char)c;
	return true;
}

static const struct guest_console_ops ops = {.receive = receive};

static void type(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vserial_input((uint8_t)s[i]);
}

int main(void)
{
	strcpy(g.name, "guest0");
	g.console.ops = &ops;

	/* Bytes pass through; ESC not followed by x, and ESC x not followed by q, too. */
	room = true;
	vserial_bind(&g);
	CHECK(vserial_bound() == &g && g.bound);
	type("ls\r\x1b[A\x1bxy", 10);
	CHECK(ngot == 10 && !memcmp(got, "ls\r\x1b[A\x1bxy", 10));
	type("\x1bxq", 3);
	CHECK(!vserial_bound() && !g.bound);

	/* A guest that reads nothing: ESC x q still detaches. */
	room = false;
	ngot = 0;
	vserial_bind(&g);
	for (int i = 0; i < 10000; i++)
		vserial_input('a');
	type("\x1bxq", 3);
	CHECK(!vserial_bound() && ngot == 0);

	/* A slow reader gets the queued bytes, in order, as it makes room. */
	room = false;
	ngot = 0;
	vserial_bind(&g);
	type("echo hello\r", 11);
	CHECK(!vserial_pump() && ngot == 0);
	room = true;
	CHECK(vserial_pump() && ngot == 11 && !memcmp(got, "echo hello\r", 11));
	CHECK(!vserial_pump());
	type("\x1bxq", 3);
	CHECK(!vserial_bound());

	return check_summary("vserial_test");
}
