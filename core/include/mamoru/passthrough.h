/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device passthrough (docs/passthrough.md): host devices a guest owns. The guest
 * names them in its device tree (/chosen/mamoru,passthrough: paths in the host's
 * tree; without the property the board's default list applies to the first guest);
 * each must be on the board's allowlist and alone in its pages as far as the
 * hypervisor is concerned. Its pages are mapped into the guest at IPA = PA
 * (device memory, never executable), its interrupts forwarded (masked at the host
 * controller until the guest completes them), its node copied into the guest's
 * device tree, and the guest's RAM is placed 1:1 (IPA = PA) since the device
 * DMAs to guest-physical addresses.
 */
#ifndef MAMORU_PASSTHROUGH_H
#define MAMORU_PASSTHROUGH_H

#include <mamoru/console.h>
#include <mamoru/fdt.h>

struct guest;

/* The host's device tree and what the hypervisor itself uses in it (console UART,
 * interrupt controller, timer, power, pin control, RAM); before the guests load. */
void passthrough_host_init(const struct fdt *host);
/* The host's device tree given to passthrough_host_init (NULL before). */
const struct fdt *passthrough_host_tree(void);
/* [base, base + size) becomes the hypervisor's (owner: a name that lives on), never
 * passed from now on: NULL, or the owner of a guest's device already selected or
 * attached there (then nothing is reserved). */
const char *passthrough_reserve(uint64_t base, uint64_t size, const char *owner);
/* The owner of a guest's device already selected or attached that shares a page with
 * [base, base + size), or NULL: asks, reserves nothing. */
const char *passthrough_owner(uint64_t base, uint64_t size);
/* Reads which devices g asks for (gdt: its device tree from the bundle) and
 * checks them against the host; those refused are reported and left out.
 * True when some remain: g then needs its RAM 1:1. */
bool passthrough_select(struct guest *g, const struct fdt *gdt);
/* The end of the physical range g's RAM must lie below for the DMA of its selected
 * devices to reach it (their buses' dma-ranges; UINT64_MAX: anywhere). */
uint64_t passthrough_ram_limit(const struct guest *g);
/* g's RAM is at [base, base + size): each selected device whose DMA cannot reach all
 * of it is refused (one boot line). True when some device is left. */
bool passthrough_ram_reach(struct guest *g, uint64_t base, uint64_t size);
/* After g's RAM is placed and its emulated devices exist: maps the selected
 * devices, hooks their interrupts up and makes g's device tree (with the
 * passed nodes and /memory at g->ram_ipa) its image's tree. 0, or -1 when the
 * guest cannot be set up (said why). */
int passthrough_attach(struct guest *g, const struct fdt *gdt);
/* g's creation failed: every device it selected or attached is given back (stopped,
 * its interrupts disabled and unregistered), free for another guest. */
void passthrough_release(struct guest *g);
/* Before a guest reset loads the new boot, and when it halts: its devices' interrupts
 * masked at the host and the devices stopped (a device left running would go on writing
 * into the buffers of the boot before, in RAM the next one uses). */
void passthrough_stop(struct guest *g);
/* After a guest reset has loaded the new boot: forwarded interrupts unmasked at the host,
 * nothing pending. */
void passthrough_reset(struct guest *g);
/* The guest completed forwarded interrupt virq (called by the vGIC). */
void passthrough_eoi(struct guest *g, unsigned virq);
/* One line per device of g ("virtio_mmio@a000000 (virtio,mmio) irq 48 -> 48")
 * on con, each after indent. */
void passthrough_list(struct console *con, const struct guest *g, const char *indent);

#endif
