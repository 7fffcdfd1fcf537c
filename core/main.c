/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Boot sequence of the boot CPU, entered from arch/arm/cpu/<arch>/head.S with the MMU
 * off: device tree, console, memory map and MMU, allocators, interrupts,
 * timer, then the shell. Anything fatal is reported on the console before
 * halting, so a user on a serial line always learns why nothing happens.
 */
#include <arch/cpu.h>
#include <arch/vcpu_run.h>
#include <generated/version.h>
#include <mamoru/board.h>
#include <mamoru/bundle.h>
#include <mamoru/command.h>
#include <mamoru/console.h>
#include <mamoru/fdt.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/irq.h>
#include <mamoru/libc.h>
#include <mamoru/mm.h>
#include <mamoru/passthrough.h>
#include <mamoru/periodic.h>
#include <mamoru/power.h>
#include <mamoru/serial.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>
#include <mamoru/vserial.h>


#ifdef CONFIG_GUEST_AUTOSTART
#define AUTOSTART true
#else
#define AUTOSTART false
#endif

void boot_main(uintptr_t dtb_pa, unsigned el);

static struct fdt fdt;
static struct shell shell;

__noreturn static void fatal(const char *what)
{
	printk("mamoru: %s\nmamoru: halted\n", what);
	cpu_halt();
}

static void check_board(void)
{
	for (const char *const *c = board_desc.dt_compatible; *c; c++)
		if (fdt_is_compatible(&fdt, fdt_root(&fdt), *c))
			return;
	const char *model = fdt_getprop_str(&fdt, fdt_root(&fdt), "compatible");
	printk("warning: device tree is for '%s', this image was built for %s\n", model ? model : "?",
	       board_desc.name);
}

/* The console's clock and divisor (drivers that derive the baud rate from a
 * clock) and its pins (nodes with a pinctrl state): what a garbled or silent
 * console on a real board comes down to. */
static void print_console_details(const struct serial_port *con)
{
	if (con->clock_from && con->clock_hz % 1000000u == 0)
		printk("    core clock %u MHz (%s), divisor %u\n", con->clock_hz / 1000000u,
		       con->clock_from, con->divisor);
	else if (con->clock_from && con->clock_hz)
		printk("    core clock %u Hz (%s), divisor %u\n", con->clock_hz, con->clock_from,
		       con->divisor);
	else if (con->clock_from)
		printk("    core clock %s, divisor %u\n", con->clock_from, con->divisor);
	if (con->pins.err) {
		const char *where = con->pins.err_node >= 0 ? fdt_node_name(&fdt, con->pins.err_node) : NULL;
		printk("    pins not set (%s at %s): left as the firmware set them\n",
		       fdt_strerror(con->pins.err), where ? where : "?");
	} else if (con->pins.ngroups) {
		printk("    pins");
		for (int i = 0; i < con->pins.ngroups; i++)
			printk(" %s", fdt_node_name(&fdt, con->pins.groups[i]));
		printk(" (from the device tree)\n");
	}
}

static void print_banner(uintptr_t dtb_pa)
{
	struct serial_port *con = serial_console_port();
	printk("\nMamoru v%s (%s) on %s\n", MAMORU_VERSION, MAMORU_GIT, board_desc.name);
	printk("  %s, image at 0x%llx (%llu KiB), DTB at 0x%llx\n", cpu_level_name(cpu_current_el()),
	       (unsigned long long)mm.image_base,
	       (unsigned long long)(mm.image_size / 1024), (unsigned long long)dtb_pa);
	if (arch_image_loaded_at())
		printk("  image moved from 0x%llx, above the 0x%llx bytes the board's DMA masters reach;\n"
		       "  device tree now at 0x%llx, guest bundle at 0x%llx\n",
		       (unsigned long long)arch_image_loaded_at(),
		       (unsigned long long)board_desc.dma_low_end,
		       (unsigned long long)(uintptr_t)fdt.blob, (unsigned long long)mm.initrd_base);
	for (size_t i = 0; i < mm.nram; i++)
		printk("  RAM 0x%llx-0x%llx (%llu MiB)\n", (unsigned long long)mm.ram[i].base,
		       (unsigned long long)(mm.ram[i].base + mm.ram[i].size - 1),
		       (unsigned long long)(mm.ram[i].size >> 20));
	printk("  console %s at 0x%llx (irq %d)\n", con ? con->name : "?",
	       (unsigned long long)(con ? con->base : 0), con ? con->irq : -1);
	if (con)
		print_console_details(con);
	printk("  interrupts %s, timer %llu Hz, power %s\n", irq_chip_name(),
	       (unsigned long long)timer_freq(), power_driver_name());
	smp_report();
}

/* With the image moved above the board's low DMA window (arch_image_place), the device
 * tree and the guest bundle follow it: the tree is read again at each guest's start
 * (passthrough) and by the firmware mailbox, and every guest boot copies its kernel,
 * and the IDS reads its profile and integrity manifest, from the bundle. A copy in the
 * highest pool is out of reach of a guest that owns a low DMA master. */
static const void *above_window(uint64_t pa, uint64_t size, const char *what)
{
	size_t pages = (size_t)((size + PAGE_SIZE - 1) / PAGE_SIZE);
	void *copy = pages ? page_set_alloc(&sys_pages, pages, 1) : NULL;
	if (copy && (uintptr_t)copy >= board_desc.dma_low_end) {
		memcpy(copy, (const void *)(uintptr_t)pa, (size_t)size);
		return copy;
	}
	if (copy)
		page_set_free(&sys_pages, copy, pages);
	printk("mm: no room above the DMA window for the %s; it stays at 0x%llx\n", what,
	       (unsigned long long)pa);
	return (const void *)(uintptr_t)pa;
}

static void boot_data_above_window(void)
{
	if (!arch_image_loaded_at())
		return;
	const void *dtb = above_window((uintptr_t)fdt.blob, fdt.totalsize, "device tree");
	if (dtb != fdt.blob && fdt_init(&fdt, dtb, fdt.totalsize))
		fatal("the device tree's copy does not read back");
	if (mm.initrd_size)
		mm.initrd_base = (uintptr_t)above_window(mm.initrd_base, mm.initrd_size, "guest bundle");
}

static void start_guests(void)
{
	if (arch_virt_init(&fdt))
		return;
	passthrough_host_init(&fdt);
	if (!mm.initrd_size) {
		printk("guests: no guest bundle (QEMU: -initrd guests.cpio; Pi: initramfs in config.txt)\n");
		return;
	}
	bundle_load_guests((const void *)(uintptr_t)mm.initrd_base, mm.initrd_size, AUTOSTART);
}

/* A command may look at or change any guest: the vCPUs on other cores stop
 * meanwhile (the IDS reports a core that did not). */
static void stop_for_command(void)
{
	(void)vcpus_stop_others();
}

/*
 * The hypervisor's only thread: typed bytes go to the shell, or to a guest
 * while `vserial bind` holds the console; in between, runnable guests run.
 * Console input is always read (vserial queues or drops what a guest does
 * not take), so ESC x q always reaches the hypervisor. When no guest can
 * run the CPU sleeps until an interrupt.
 */
__noreturn static void main_loop(void)
{
	for (;;) {
		unsigned long f = vcpu_lock();
		vserial_pump();
		vcpu_unlock(f);
		for (;;) {
			struct guest *bound = vserial_bound();
			cpu_irq_mask();
			int c = serial_console_getc();
			cpu_irq_unmask();
			if (c < 0)
				break;
			if (bound) {
				f = vcpu_lock();
				vserial_input((uint8_t)c);
				vcpu_unlock(f);
				if (!vserial_bound())
					shell_start(&shell);   /* detached: prompt again */
			} else {
				shell_input(&shell, (uint8_t)c);
			}
		}
		/* A vCPU on another core stopped its guest (reset, power off, crash). */
		guests_act_on_posted();
		serial_console_flush_deferred();
		/* Periodic work (the IDS watch); if it printed, redraw the shell's line. */
		if (periodic_run_due(timer_now_ns()) && !vserial_bound())
			le_redraw(&shell.le, shell.prompt);
		if (guests_run())
			continue;
		/* The guest made room in its UART and went idle: feed it before sleeping. */
		f = vcpu_lock();
		bool fed = vserial_pump();
		vcpu_unlock(f);
		if (fed)
			continue;
		/* Sleep with interrupts masked so one arriving after the check
		 * still wakes the CPU. */
		cpu_irq_mask();
		f = vcpu_lock();
		vcpu_before_idle();
		vcpu_unlock(f);
		if (!serial_console_pending() && !vcpus_wake_pending())
			smp_sleep();
		cpu_irq_unmask();
	}
}

void boot_main(uintptr_t dtb_pa, unsigned el)
{
	/* First of all: out of the low DMA window, if the board has one and RAM above it
	 * (enters the moved image at _start; returns when it does not move it). */
	if (dtb_pa && el == cpu_boot_level)
		arch_image_place(dtb_pa);
	int err = dtb_pa ? fdt_init(&fdt, (const void *)dtb_pa, DTB_MAX_SIZE) : FDT_ERR_BADMAGIC;
	const char *bootargs = NULL;
	if (!err) {
		int chosen = fdt_path_offset(&fdt, "/chosen");
		bootargs = chosen >= 0 ? fdt_getprop_str(&fdt, chosen, "bootargs") : NULL;
	}
	if (err || serial_console_init(&fdt, bootargs)) {
		serial_console_init_fallback(board_desc.fallback_uart, board_desc.fallback_uart_base);
		if (!err)
			printk("mamoru: the device tree names no usable console UART; using %s at 0x%llx\n",
			       board_desc.fallback_uart, (unsigned long long)board_desc.fallback_uart_base);
	}
	if (el != cpu_boot_level) {
		printk("\nMamoru v%s: must be started at %s, but was started at %s.\n", MAMORU_VERSION,
		       cpu_level_name(cpu_boot_level), cpu_level_name(el));
		fatal(cpu_boot_hint);
	}
	if (err) {
		printk("\nMamoru v%s: no valid device tree at x0 = 0x%llx: %s\n", MAMORU_VERSION,
		       (unsigned long long)dtb_pa, dtb_pa ? fdt_strerror(err) : "null pointer");
		fatal("the loader must pass a flattened device tree (QEMU: -dtb for raspi machines)");
	}

	if (mm_discover(&fdt, dtb_pa))
		fatal("cannot work out the memory map from the device tree");
	arch_park_secondaries(&fdt);
	if (mmu_init(mm.ram, mm.nram))
		fatal("cannot build the hypervisor's page tables");
	if (mm_init())
		fatal("cannot set up the memory allocators");
	boot_data_above_window();

	el2_init_registers();
	if (irq_init(&fdt))
		fatal("no usable interrupt controller");
	if (timer_init(&fdt))
		fatal("no usable timer");
	if (serial_console_enable_irq(&fdt))
		printk("warning: console receive interrupt unavailable; input will not work\n");
	if (power_init(&fdt))
		printk("warning: no reset/power-off method in the device tree\n");
	check_board();
	cpu_irq_unmask();
	smp_init(&fdt);

	print_banner(dtb_pa);
	start_guests();
	shell_init(&shell, sys_console, CONFIG_SHELL_PROMPT);
	shell.before_run = stop_for_command;
	shell.after_run = vcpus_resume_others;
	shell_start(&shell);
	main_loop();
}
