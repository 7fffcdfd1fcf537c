/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor's console on a serial port: output is written polled
 * (with "\n" turned into "\r\n"), input arrives by interrupt into a ring
 * buffer that the shell drains.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include <mamoru/serial.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

#define RX_RING 512   /* power of two */

static struct serial_port port;
static uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail;   /* head: producer (irq), tail: consumer */

/* Any CPU may print (printk): one write at a time, so a line (printk and
 * con_printf write up to 256 bytes at once) is never mixed with another CPU's.
 * Interrupts stay on while a line goes out (a long one takes ~20 ms at 115200
 * baud; the Pi 3's mini UART holds 8 received bytes): they are masked only to
 * take and give back the lock and its owner. An interrupt handler, or a fatal
 * exception, that prints on the CPU holding the lock writes straight away. */
#define NO_OWNER 0xffffffffu
static spinlock_t tx_lock;
static volatile unsigned tx_owner = NO_OWNER;

/*
 * Pinned vCPUs (mamoru/vcpu_pin.h): a core handling an exit holds vcpu_lock, and the
 * boot CPU, printing a line with interrupts on, may take an interrupt whose handler
 * waits for vcpu_lock. So another core never waits for the port while it holds
 * vcpu_lock (what it prints then waits in a buffer for the boot CPU's main loop), and
 * holds the port with interrupts masked (its handlers then wait for nothing while the
 * boot CPU waits for the port).
 */
#define DEFERRED_MAX 2048
static char deferred[DEFERRED_MAX];
static size_t deferred_len;
static uint32_t deferred_dropped;
static spinlock_t deferred_lock;
static uint64_t partial_since;      /* when a line's start was first left waiting (boot CPU) */
#define PARTIAL_WAIT_NS 100000000ull /* how long it waits for its end */

static void defer(const char *buf, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&deferred_lock);
	size_t n = MIN(len, DEFERRED_MAX - deferred_len);
	memcpy(deferred + deferred_len, buf, n);
	deferred_len += n;
	deferred_dropped += (uint32_t)(len - n);
	spin_unlock_irqrestore(&deferred_lock, flags);
}

void serial_console_flush_deferred(void)
{
	static char out[DEFERRED_MAX];
	if (!*(volatile size_t *)&deferred_len)
		return;
	unsigned long flags = spin_lock_irqsave(&deferred_lock);
	/* Whole lines only: a line is printed in pieces, and a bound guest's output (written
	 * between the port's writes) must not land in the middle of it. A full buffer of one
	 * line, or a line whose end has not come for PARTIAL_WAIT_NS, goes out as it is. */
	size_t n = deferred_len;
	while (n && deferred[n - 1] != '\n')
		n--;
	uint64_t now = timer_now_ns();
	if (n == deferred_len)
		partial_since = 0;
	else if (n || !partial_since)
		partial_since = now;       /* the start of a line after those going out now */
	if ((!n && deferred_len == DEFERRED_MAX) ||
	    (partial_since && now - partial_since > PARTIAL_WAIT_NS)) {
		n = deferred_len;
		partial_since = 0;
	}
	uint32_t dropped = deferred_dropped;
	memcpy(out, deferred, n);
	memmove(deferred, deferred + n, deferred_len - n);
	deferred_len -= n;
	deferred_dropped = 0;
	spin_unlock_irqrestore(&deferred_lock, flags);
	if (!n && !dropped)
		return;
	con_write(sys_console, out, n);
	if (dropped)
		printk("[console: %u bytes from other CPUs dropped]\n", (unsigned)dropped);
}

/* Guest output (raw, from a bound guest's ring) is on the port and its line is open: the
 * hypervisor's next write starts a line of its own. */
static bool guest_mid_line;

/* Takes the port for this CPU (me): false when this CPU already holds it (a nested write:
 * an interrupt handler or a fatal exception printing on its owner). On the boot CPU the
 * interrupts stay as the caller had them (on in the main loop, masked in vcpu_run); on
 * another core they stay masked (*masked: what to restore). */
static bool port_take(unsigned me, unsigned long *masked)
{
	if (tx_owner == me)
		return false;
	unsigned long flags = spin_lock_irqsave(&tx_lock);
	tx_owner = me;
	if (me == 0)
		cpu_irq_restore(flags);
	else
		*masked = flags;
	return true;
}

static void port_give(unsigned me, unsigned long masked)
{
	unsigned long flags = me == 0 ? cpu_irq_save() : masked;
	tx_owner = NO_OWNER;
	spin_unlock_irqrestore(&tx_lock, flags);
}

bool serial_console_hold(struct serial_hold *h)
{
	if (!port.ops)
		return false;
	/* One CPU (before the others start, or entered at the wrong exception level where
	 * the CPU table is out of reach): nothing to share the port with. */
	bool alone = smp_online_count() <= 1;
	h->me = alone ? 0 : smp_this_cpu();
	h->masked = 0;
	if (!alone && h->me != 0 && tx_owner != h->me && vcpu_lock_held())
		return false;
	h->taken = !alone && port_take(h->me, &h->masked);
	return true;
}

void serial_console_release(const struct serial_hold *h)
{
	if (h->taken)
		port_give(h->me, h->masked);
}

static void serial_write(struct console *con, const char *buf, size_t len)
{
	(void)con;
	struct serial_hold h;
	if (!serial_console_hold(&h)) {         /* another core handling an exit */
		defer(buf, len);
		return;
	}
	if (guest_mid_line && len && buf[0] != '\n') {
		port.ops->putc(&port, '\r');
		port.ops->putc(&port, '\n');
	}
	guest_mid_line = false;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			port.ops->putc(&port, '\r');
		port.ops->putc(&port, buf[i]);
	}
	serial_console_release(&h);
}

void serial_console_guest_putc(char c)
{
	port.ops->putc(&port, c);
	guest_mid_line = c != '\n';
}

static struct console serial_con = {.write = serial_write};

static int setup_port(const struct driver *drv, uintptr_t base, uint64_t size,
		      const struct fdt *fdt, int node)
{
	memset(&port, 0, sizeof(port));
	port.ops = drv->ops;
	port.name = drv->name;
	port.base = base;
	port.size = size;
	port.irq = -1;
	port.node = node;
	port.fdt = fdt;
	port.pins.err_node = -1;
	/* The pins first: the firmware may have left them with another UART. */
	if (fdt && node >= 0)
		pinctrl_apply_default(fdt, node, &port.pins);
	if (port.ops->init(&port)) {
		port.ops = NULL;
		return -1;
	}
	sys_console = &serial_con;
	return 0;
}

/* The value of "console=" in bootargs, copied into buf; NULL if absent. */
static const char *bootargs_console(const char *bootargs, char *buf, size_t size)
{
	for (const char *p = bootargs; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, "console=", 8)) {
			p += 8;
			size_t n = 0;
			/* "console=serial1,115200n8": the options after ',' are the firmware's. */
			while (p[n] && p[n] != ' ' && p[n] != ',' && n + 1 < size) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = '\0';
			return n ? buf : NULL;
		}
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

int serial_console_init(const struct fdt *fdt, const char *bootargs)
{
	char path[128];
	const char *want = bootargs_console(bootargs, path, sizeof(path));
	if (!want) {
		int chosen = fdt_path_offset(fdt, "/chosen");
		const char *sp = chosen >= 0 ? fdt_getprop_str(fdt, chosen, "stdout-path") : NULL;
		if (!sp)
			return -1;
		size_t n = 0;
		while (sp[n] && sp[n] != ':' && n + 1 < sizeof(path)) {
			path[n] = sp[n];
			n++;
		}
		path[n] = '\0';
		want = path;
	}
	int node = fdt_path_offset(fdt, want);
	const struct driver *drv = driver_for_node(fdt, node, DRV_SERIAL);
	uint64_t base, size;
	if (!drv || fdt_get_reg(fdt, node, 0, &base, &size))
		return -1;
	return setup_port(drv, (uintptr_t)base, size, fdt, node);
}

int serial_console_init_fallback(const char *compat, uintptr_t base)
{
	const struct driver *drv = compat ? driver_by_compatible(compat, DRV_SERIAL) : NULL;
	if (!drv)
		return -1;
	return setup_port(drv, base, 0x1000, NULL, -1);
}

static void serial_rx_irq(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	int c;
	/* Drain the FIFO, which also clears the interrupt; bounded in case the
	 * device keeps reporting data. */
	for (int i = 0; i < 256 && (c = port.ops->getc(&port)) >= 0; i++) {
		uint32_t head = rx_head;
		if (head - rx_tail >= RX_RING)
			continue;               /* full: the byte is lost */
		rx_ring[head % RX_RING] = (uint8_t)c;
		rx_head = head + 1;
	}
}

int serial_console_enable_irq(const struct fdt *fdt)
{
	unsigned irq;
	if (!port.ops || port.node < 0 || irq_of_node(fdt, port.node, 0, &irq))
		return -1;
	if (irq_register(irq, "console UART", serial_rx_irq, NULL))
		return -1;
	port.irq = (int)irq;
	port.ops->rx_irq(&port, true);
	irq_enable(irq);
	/* Keys typed during boot are already in the FIFO, and enabling may have
	 * cleared their interrupt: a UART that raises it only as the FIFO turns
	 * non-empty (QEMU's PL011) would then never raise it again. Take them now. */
	serial_rx_irq(irq, NULL);
	return 0;
}

int serial_console_getc(void)
{
	uint32_t tail = rx_tail;
	if (tail == rx_head)
		return -1;
	uint8_t c = rx_ring[tail % RX_RING];
	rx_tail = tail + 1;
	return c;
}

bool serial_console_pending(void)
{
	return rx_tail != rx_head;
}

struct serial_port *serial_console_port(void)
{
	return port.ops ? &port : NULL;
}
