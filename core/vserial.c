/* SPDX-License-Identifier: GPL-2.0-only */
#include <emulators/pl011.h>
#include <mamoru/console.h>
#include <mamoru/vserial.h>

#define ESC 0x1b

static struct guest *bound;
static int esc_state;   /* 0: normal, 1: ESC seen, 2: ESC x seen */

void vserial_bind(struct guest *g)
{
	bound = g;
	esc_state = 0;
	g->bound = true;
}

struct guest *vserial_bound(void)
{
	return bound;
}

bool vserial_ready(void)
{
	return !bound || !bound->uart || vpl011_rx_room(bound->uart);
}

static void unbind(void)
{
	bound->bound = false;
	printk("\n[vserial: detached from %s]\n", bound->name);
	bound = NULL;
}

void vserial_input(uint8_t c)
{
	if (!bound)
		return;
	switch (esc_state) {
	case 0:
		if (c == ESC) {
			esc_state = 1;
			return;
		}
		break;
	case 1:
		if (c == 'x') {
			esc_state = 2;
			return;
		}
		esc_state = 0;
		guest_console_input(bound, ESC);    /* not ours: an arrow key, say */
		if (c == ESC) {
			esc_state = 1;
			return;
		}
		break;
	case 2:
		esc_state = 0;
		if (c == 'q') {
			unbind();
			return;
		}
		guest_console_input(bound, ESC);
		guest_console_input(bound, 'x');
		break;
	}
	guest_console_input(bound, c);
}
