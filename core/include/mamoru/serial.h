/* SPDX-License-Identifier: GPL-2.0-only */
/* Serial port drivers (PL011, BCM2835 mini UART) and the serial console. */
#ifndef MAMORU_SERIAL_H
#define MAMORU_SERIAL_H

#include <mamoru/driver.h>
#include <mamoru/pinctrl.h>

struct serial_port;

struct serial_ops {
	/* Sets up the port at p->base (mapped) for CONSOLE_BAUD where the
	 * driver can (p->fdt may be NULL). Returns 0 or a negative error. */
	int (*init)(struct serial_port *p);
	void (*putc)(struct serial_port *p, char c);     /* waits for room */
	int (*getc)(struct serial_port *p);              /* -1 when empty */
	/* Receive interrupt on/off. The interrupt handler calls getc until -1,
	 * which must also clear the interrupt condition. */
	void (*rx_irq)(struct serial_port *p, bool on);
};

#define CONSOLE_BAUD 115200u

struct serial_port {
	const struct serial_ops *ops;
	const char *name;       /* driver name */
	uintptr_t base;
	uint64_t size;
	int irq;                /* host interrupt number, -1 if none */
	int node;               /* device-tree node, -1 if none */
	const struct fdt *fdt;  /* the device tree, NULL if none */
	/* Set by drivers that derive the baud rate from a clock, for the banner:
	 * the clock (0: unknown), where it came from, the divisor programmed. */
	uint32_t clock_hz;
	const char *clock_from;
	uint32_t divisor;
	struct pinctrl_result pins;   /* the node's default pin state, applied */
};

/* Finds the console UART: bootargs "console=<alias or path>" first, then
 * /chosen/stdout-path; initialises it and sets sys_console. */
int serial_console_init(const struct fdt *fdt, const char *bootargs);
/* A console on a known UART (board data) when the device tree is unusable. */
int serial_console_init_fallback(const char *compat, uintptr_t base);
/* Hooks the console's receive interrupt up (after irq_init). */
int serial_console_enable_irq(const struct fdt *fdt);
/*
 * The port, held for one write at a time: the hypervisor's (printk) and a bound guest's
 * output. serial_console_hold takes it: false when this CPU may not wait for it now (a
 * core other than the boot CPU holding vcpu_lock: the caller writes later) or there is no
 * console; serial_console_release gives it back. A guest's bytes go out as they are (no
 * newline translation) with serial_console_guest_putc, never inside a hypervisor write,
 * and a hypervisor write after a guest's open line starts a line of its own.
 */
struct serial_hold {
	unsigned me;
	bool taken;                  /* false: this CPU held it already, or the only CPU */
	unsigned long masked;
};
bool serial_console_hold(struct serial_hold *h);
void serial_console_release(const struct serial_hold *h);
void serial_console_guest_putc(char c);
/* Next received byte, or -1 if none is buffered. */
int serial_console_getc(void);
struct serial_port *serial_console_port(void);
bool serial_console_pending(void);
/* Boot CPU: prints what other CPUs wrote while they could not use the port. */
void serial_console_flush_deferred(void);

#endif
