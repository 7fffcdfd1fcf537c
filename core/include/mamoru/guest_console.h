/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest's console: the emulated UART that its device tree's
 * /chosen/stdout-path names (or the first one probed when there is none)
 * attaches itself with a small ops structure. Core keeps what the guest
 * wrote in a ring and hands it what the user types (vserial), without
 * knowing which UART model it is.
 */
#ifndef MAMORU_GUEST_CONSOLE_H
#define MAMORU_GUEST_CONSOLE_H

#include <mamoru/fdt.h>

struct guest;

struct guest_console_ops {
	/* One byte typed for the guest; false when the UART cannot take it
	 * now (its receive FIFO is full): the caller keeps or drops it. */
	bool (*receive)(void *priv, uint8_t c);
};

struct guest_console {
	const struct guest_console_ops *ops;   /* NULL: no console */
	void *priv;
};

/* Offers the UART at node as g's console: true when it is (it then sends
 * what the guest transmits to guest_console_put()). */
bool guest_console_attach(struct guest *g, const struct fdt *fdt, int node,
			  const struct guest_console_ops *ops, void *priv);
/* A byte the guest transmitted on its console: kept in its ring and, while the guest is
 * bound (vserial), written to the user's console now or, from a core that may not wait
 * for the port now, by guest_console_flush() once that core has let vcpu_lock go. */
void guest_console_put(struct guest *g, uint8_t c);
/* Writes what a bound guest wrote that the user's console has not shown yet. */
void guest_console_flush(struct guest *g);
/* vserial's bind and detach: output from now on goes to the user's console, or stops. */
void guest_console_bind(struct guest *g, bool bound);
/* A byte typed for the guest: false when its UART cannot take it now. */
bool guest_console_input(struct guest *g, uint8_t c);

#endif
