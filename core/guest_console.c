/* SPDX-License-Identifier: GPL-2.0-only */
/* A guest's console: which UART it is, its output ring, its input (guest_console.h). */
#include <mamoru/guest.h>
#include <mamoru/serial.h>

bool guest_console_attach(struct guest *g, const struct fdt *fdt, int node,
			  const struct guest_console_ops *ops, void *priv)
{
	if (g->console.ops)
		return false;
	int chosen = fdt_stdout_node(fdt, NULL);
	if (chosen >= 0 && chosen != node)
		return false;       /* the device tree names another UART */
	g->console.ops = ops;
	g->console.priv = priv;
	return true;
}

void guest_console_put(struct guest *g, uint8_t c)
{
	unsigned long f = spin_lock_irqsave(&g->out_lock);
	g->out_ring[g->out_head % GUEST_CONSOLE_RING] = c;
	g->out_head++;
	spin_unlock_irqrestore(&g->out_lock, f);
	guest_console_flush(g);
}

/*
 * What a bound guest wrote and the user's console has not shown yet goes out, in order,
 * with the port held all through (serial.h: never inside a hypervisor line). The bytes are
 * copied out under out_lock, which is never held while waiting for anything else (the
 * port is taken first), and written after.
 */
void guest_console_flush(struct guest *g)
{
	/* Racy reads, on the fast path of every guest entry: a byte another core added and this
	 * one does not see yet is that core's to write (it flushes after adding). */
	if (!*(volatile bool *)&g->bound ||
	    *(volatile uint64_t *)&g->out_sent == *(volatile uint64_t *)&g->out_head)
		return;
	struct serial_guest_write w;
	if (!serial_console_guest_begin(&w))
		return;
	for (;;) {
		uint8_t chunk[64];
		size_t n = 0;
		unsigned long f = spin_lock_irqsave(&g->out_lock);
		if (!g->bound)
			g->out_sent = g->out_head;      /* detached meanwhile: nothing goes out */
		if (g->out_head - g->out_sent > GUEST_CONSOLE_RING)
			g->out_sent = g->out_head - GUEST_CONSOLE_RING;   /* overwritten already */
		while (n < sizeof(chunk) && g->out_sent != g->out_head)
			chunk[n++] = g->out_ring[g->out_sent++ % GUEST_CONSOLE_RING];
		spin_unlock_irqrestore(&g->out_lock, f);
		if (!n)
			break;
		for (size_t i = 0; i < n; i++)
			serial_console_guest_putc((char)chunk[i]);
	}
	serial_console_guest_end(&w);
}

void guest_console_bind(struct guest *g, bool bound)
{
	unsigned long f = spin_lock_irqsave(&g->out_lock);
	g->out_sent = g->out_head;      /* what it wrote before is in `vserial dump` */
	g->bound = bound;
	spin_unlock_irqrestore(&g->out_lock, f);
}

bool guest_console_input(struct guest *g, uint8_t c)
{
	return g->console.ops && g->console.ops->receive(g->console.priv, c);
}
