/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's Versatile PB system registers (emulators/vsysregs.h). Writes
 * to the oscillators and SYS_RESETCTL need the lock open (0xa05f written
 * to SYS_LOCK), as on the board; the LEDs and flags do not.
 */
#include <arch/cpu.h>
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#include "vsysregs.h"

#define SYS_ID 0x00
#define SYS_SW 0x04
#define SYS_LED 0x08
#define SYS_OSC0 0x0c          /* ..SYS_OSC4 at 0x1c */
#define SYS_LOCK 0x20
#define SYS_100HZ 0x24
#define SYS_CFGDATA1 0x28
#define SYS_CFGDATA2 0x2c
#define SYS_FLAGS 0x30         /* write: FLAGSSET */
#define SYS_FLAGSCLR 0x34
#define SYS_NVFLAGS 0x38       /* write: NVFLAGSSET */
#define SYS_NVFLAGSCLR 0x3c
#define SYS_RESETCTL 0x40
#define SYS_PCICTL 0x44
#define SYS_MCI 0x48
#define SYS_FLASH 0x4c
#define SYS_CLCD 0x50
#define SYS_CLCDSER 0x54
#define SYS_BOOTCS 0x58
#define SYS_24MHZ 0x5c
#define SYS_MISC 0x60
#define SYS_DMAPSR0 0x64       /* ..SYS_DMAPSR2 at 0x6c */

#define LOCKED_BIT (1u << 16)

void vsysregs_reset(struct vsysregs *s, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	s->epoch_ns = now_ns;
}

bool vsysregs_locked(const struct vsysregs *s)
{
	return s->lockval != VSYS_LOCK_KEY;
}

/* Ticks of a hz counter since the epoch, as the 32-bit register wraps. */
static uint32_t counter(const struct vsysregs *s, uint64_t now_ns, uint32_t hz)
{
	uint64_t ns = now_ns > s->epoch_ns ? now_ns - s->epoch_ns : 0;
	return (uint32_t)(ns / 1000000000u * hz + ns % 1000000000u * hz / 1000000000u);
}

int vsysregs_read(struct vsysregs *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t *val)
{
	if (size != 4 || (off & 3))
		return -1;
	*val = 0;
	if (off >= SYS_OSC0 && off < SYS_OSC0 + 4 * 5) {
		*val = s->osc[(off - SYS_OSC0) / 4];
		return 0;
	}
	if (off >= SYS_DMAPSR0 && off < SYS_DMAPSR0 + 4 * 3) {
		*val = s->dmapsr[(off - SYS_DMAPSR0) / 4];
		return 0;
	}
	switch (off) {
	case SYS_ID: *val = VSYS_ID; break;
	case SYS_LED: *val = s->leds; break;
	case SYS_LOCK: *val = s->lockval | (vsysregs_locked(s) ? LOCKED_BIT : 0); break;
	case SYS_100HZ: *val = counter(s, now_ns, 100); break;
	case SYS_CFGDATA1: *val = s->cfgdata[0]; break;
	case SYS_CFGDATA2: *val = s->cfgdata[1]; break;
	case SYS_FLAGS: *val = s->flags; break;
	case SYS_NVFLAGS: *val = s->nvflags; break;
	case SYS_RESETCTL: *val = s->resetctl; break;
	case SYS_FLASH: *val = s->flash; break;
	case SYS_CLCD: *val = s->clcd; break;
	case SYS_24MHZ: *val = counter(s, now_ns, 24000000); break;
	case SYS_MISC: *val = s->misc; break;
	case SYS_SW:            /* no switches set */
	case SYS_FLAGSCLR:
	case SYS_NVFLAGSCLR:
	case SYS_PCICTL:        /* no PCI */
	case SYS_MCI:           /* no card, no write protect */
	case SYS_CLCDSER:
	case SYS_BOOTCS:
		break;
	default:
		s->unknown_accesses++;
		break;
	}
	return 0;
}

int vsysregs_write(struct vsysregs *s, uint32_t off, unsigned size, uint64_t now_ns, uint32_t val)
{
	(void)now_ns;
	if (size != 4 || (off & 3))
		return -1;
	if (off >= SYS_OSC0 && off < SYS_OSC0 + 4 * 5) {
		if (!vsysregs_locked(s))
			s->osc[(off - SYS_OSC0) / 4] = val;
		return 0;
	}
	if (off >= SYS_DMAPSR0 && off < SYS_DMAPSR0 + 4 * 3) {
		s->dmapsr[(off - SYS_DMAPSR0) / 4] = val & 3;
		return 0;
	}
	switch (off) {
	case SYS_LED: s->leds = val & 0xff; break;
	case SYS_LOCK: s->lockval = val & 0xffff; break;
	case SYS_CFGDATA1: s->cfgdata[0] = val; break;
	case SYS_CFGDATA2: s->cfgdata[1] = val; break;
	case SYS_FLAGS: s->flags |= val; break;
	case SYS_FLAGSCLR: s->flags &= ~val; break;
	case SYS_NVFLAGS: s->nvflags |= val; break;
	case SYS_NVFLAGSCLR: s->nvflags &= ~val; break;
	case SYS_RESETCTL:
		if (vsysregs_locked(s))
			break;
		s->resetctl = val & 0x1ff;
		if (val & VSYS_RESET_BIT)
			s->reset_requested = true;
		break;
	case SYS_FLASH: s->flash = val & 1; break;
	case SYS_CLCD: s->clcd = val; break;
	case SYS_MISC: s->misc = val; break;
	case SYS_ID:
	case SYS_SW:
	case SYS_100HZ:
	case SYS_PCICTL:
	case SYS_MCI:
	case SYS_CLCDSER:
	case SYS_BOOTCS:
	case SYS_24MHZ:
		break;                  /* read-only */
	default:
		s->unknown_accesses++;
		break;
	}
	return 0;
}

/* --- the emulated device ----------------------------------------------------------- */

static int dev_read(struct vdev *d, uint64_t off, unsigned size, uint64_t *val)
{
	uint32_t v = 0;
	int r = vsysregs_read(d->priv, (uint32_t)off, size, timer_now_ns(), &v);
	*val = v;
	return r;
}

static int dev_write(struct vdev *d, uint64_t off, unsigned size, uint64_t val)
{
	return vsysregs_write(d->priv, (uint32_t)off, size, timer_now_ns(), (uint32_t)val);
}

static void dev_reset(struct vdev *d)
{
	vsysregs_reset(d->priv, timer_now_ns());
}

static const struct vdev_ops sys_ops = {.read = dev_read, .write = dev_write, .reset = dev_reset};

bool vsysregs_take_reset(struct guest *g)
{
	for (unsigned i = 0; i < g->nvdevs; i++) {
		struct vsysregs *s = g->vdevs[i].priv;
		if (g->vdevs[i].ops == &sys_ops && s->reset_requested) {
			s->reset_requested = false;
			return true;
		}
	}
	return false;
}

/* The system register block: the node's first register window, 4 KiB. */
static int sys_probe(struct guest *g, const struct fdt *fdt, int node)
{
	uint64_t base, size;
	if (fdt_get_reg(fdt, node, 0, &base, &size)) {
		printk("%s: the system register node needs registers\n", g->name);
		return -1;
	}
	struct vsysregs *s = kzalloc(sizeof(*s));
	if (!s)
		return -1;
	struct vdev *d = guest_add_vdev(g, "sysregs", base, 0x1000, &sys_ops, s);
	if (!d) {
		kfree(s);
		return -1;
	}
	dev_reset(d);
	return 0;
}

static const char *const sys_compatible[] = {"arm,core-module-versatile", "arm,versatile-sysreg", NULL};
static const struct emulator sys_emulator = {
	.name = "versatile-sys",
	.compatible = sys_compatible,
	.probe = sys_probe,
};
EMULATOR(sys_emulator);
