/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vserial: the user's console goes to a guest's console UART until ESC x q.
 * Typed bytes are always read from the console, so the escape sequence
 * works whatever the guest does: what the guest's UART cannot take yet
 * waits in a small queue, fed to it as it reads, and what does not fit
 * there (a guest that is halted, paused or has stopped reading) is dropped
 * and counted.
 */
#include <mamoru/console.h>
#include <mamoru/vserial.h>

#define ESC 0x1b
#define QUEUE 4096         /* typed bytes waiting for the guest (a pasted script) */

static struct guest *bound;
static int esc_state;      /* 0: normal, 1: ESC seen, 2: ESC x seen */
static uint8_t queue[QUEUE];
static unsigned q_head, q_len;
static uint64_t dropped;

void vserial_bind(struct guest *g)
{
	bound = g;
	esc_state = 0;
	q_head = q_len = 0;
	dropped = 0;
	guest_console_bind(g, true);
}

struct guest *vserial_bound(void)
{
	return bound;
}

bool vserial_pump(void)
{
	bool gave = false;
	while (bound && q_len && guest_console_input(bound, queue[q_head])) {
		q_head = (q_head + 1) % QUEUE;
		q_len--;
		gave = true;
	}
	return gave;
}

static void to_guest(uint8_t c)
{
	vserial_pump();
	if (!q_len && guest_console_input(bound, c))
		return;
	if (q_len == QUEUE) {
		dropped++;
		return;
	}
	queue[(q_head + q_len) % QUEUE] = c;
	q_len++;
}

static void unbind(void)
{
	guest_console_bind(bound, false);
	dropped += q_len;
	q_len = 0;
	printk("\n[vserial: detached from %s", bound->name);
	if (dropped)
		printk("; %llu typed bytes dropped: %s did not read them", (unsigned long long)dropped,
		       bound->name);
	printk("]\n");
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
		to_guest(ESC);    /* not ours: an arrow key, say */
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
		to_guest(ESC);
		to_guest('x');
		break;
	}
	to_guest(c);
}
