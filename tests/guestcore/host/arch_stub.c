/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host stand-ins for what the guest-device code calls outside itself: the
 * vGIC's CPU-interface backend (emulated CPU interface: nothing to do on the
 * host), the CPU side's vCPU count and accessing vCPU (set by the tests), the
 * hypervisor heap, the raw console output and passthrough's EOI hook.
 */
#include <stdlib.h>

#include <arch/vgic.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/serial.h>

#include "stub.h"

uint64_t stub_gicc_ipa;
char stub_raw_out[256];
size_t stub_raw_len;

/* vgic_sw_test links the real one (arch/arm/vgic/vgic_sw.c). */
#ifndef STUB_REAL_VGIC_SW
static int host_init(void)
{
	return 0;
}

static int guest_init(struct vgic *v, uint64_t gicc_ipa, uint64_t gicc_size)
{
	(void)v;
	(void)gicc_size;
	stub_gicc_ipa = gicc_ipa;
	return 0;
}

static void nothing(struct vgic *v)
{
	(void)v;
}

static void nothing_cpu(struct vgic *v, unsigned cpu)
{
	(void)v;
	(void)cpu;
}

const struct vgic_backend vgic_sw_backend = {
	.name = "host stub",
	.host_init = host_init,
	.guest_init = guest_init,
	.flush = nothing_cpu,
	.sync = nothing_cpu,
	.reset = nothing,
};
#endif

unsigned stub_vcpus = 1, stub_current_vcpu;

unsigned vgic_guest_vcpus(const struct guest *g)
{
	(void)g;
	return stub_vcpus;
}

unsigned vgic_current_vcpu(const struct guest *g)
{
	(void)g;
	return stub_current_vcpu;
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

unsigned stub_eoi_calls, stub_eoi_virq;

/* The vGIC reports a forwarded interrupt's completion (core/passthrough.c). */
void passthrough_eoi(struct guest *g, unsigned virq)
{
	(void)g;
	stub_eoi_calls++;
	stub_eoi_virq = virq;
}

bool serial_console_hold(struct serial_hold *h)
{
	(void)h;
	return true;
}

void serial_console_guest_putc(char c)
{
	if (stub_raw_len < sizeof(stub_raw_out))
		stub_raw_out[stub_raw_len++] = c;
}

void serial_console_release(const struct serial_hold *h)
{
	(void)h;
}
