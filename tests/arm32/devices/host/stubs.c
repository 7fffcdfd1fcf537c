/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host stand-ins for what the Versatile guest devices call outside
 * themselves: a fake clock, the heap, the raw console, and arch_guest_irq()
 * done as the ARMv5 arch code is meant to do it: on the guest's VIC model.
 */
#include <stdio.h>
#include <stdlib.h>

#include <arch/cpu.h>
#include <arch/guest_irq.h>
#include <arch/vvic.h>
#include <mamoru/console.h>
#include <mamoru/heap.h>
#include <mamoru/serial.h>

#include "stubs.h"

uint64_t stub_now_ns;
unsigned stub_irq_calls;

uint64_t timer_now_ns(void)
{
	return stub_now_ns;
}

void arch_guest_irq(struct guest *g, unsigned irq, bool level)
{
	struct vvic *v = vvic_of_guest(g);
	stub_irq_calls++;
	if (v)
		vvic_set_line(v, irq, level);
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void *kmalloc(size_t size)
{
	return malloc(size);
}

void kfree(void *p)
{
	free(p);
}

/* printk() to stderr, where the pytest driver reads why a probe failed. */
static void to_stderr(struct console *con, const char *buf, size_t len)
{
	(void)con;
	fwrite(buf, 1, len, stderr);
}

static struct console stderr_console = {.write = to_stderr};

void stub_console_init(void)
{
	sys_console = &stderr_console;
}

bool serial_console_hold(struct serial_hold *h)
{
	(void)h;
	return true;
}

void serial_console_guest_putc(char c)
{
	(void)c;
}

void serial_console_release(const struct serial_hold *h)
{
	(void)h;
}
