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
	g->out_ring[g->out_head % GUEST_CONSOLE_RING] = c;
	g->out_head++;
	if (g->bound)
		serial_console_putc_raw((char)c);
}

bool guest_console_input(struct guest *g, uint8_t c)
{
	return g->console.ops && g->console.ops->receive(g->console.priv, c);
}
