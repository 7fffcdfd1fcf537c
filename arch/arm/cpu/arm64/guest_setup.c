/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Creating a guest on AArch64 (arch/guest_setup.h): an arm64 Linux Image, guest RAM
 * mapped in stage 2 (one VMID per guest), the vCPU at EL1h with x0 = the DTB.
 */
#include <arch/guest_setup.h>
#include <arch/stage2.h>
#include <arch/vcpu.h>
#include <arch/vgic.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>

#define IMAGE_MAGIC 0x644d5241u        /* "ARM\x64" at offset 0x38 */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

const char *arch_guest_kernel(const uint8_t *kernel, size_t size, uint64_t *text_offset,
			      uint64_t *image_size)
{
	if (!kernel || size < 64 || (uint32_t)le64(kernel + 0x38) != IMAGE_MAGIC)
		return "kernel is not an arm64 Linux Image (no ARM\\x64 magic at 0x38)";
	*text_offset = le64(kernel + 8);
	*image_size = le64(kernel + 16);   /* 0 before Linux 3.17: guest_layout takes the file */
	return NULL;
}

uint64_t arch_guest_ipa_limit(void)
{
	return 1ull << S2_IPA_BITS;
}

int arch_guest_init(struct guest *g)
{
	return stage2_init(&g->arch.s2, (uint16_t)(g->id + 1));
}

int arch_guest_map_ram(struct guest *g)
{
	return stage2_map(&g->arch.s2, g->ram_ipa, g->ram_host, g->ram_size, S2_RAM);
}

/* S2_DEVICE: Device-nGnRE, execute-never (stage2.c). */
int arch_guest_map_device(struct guest *g, uint64_t ipa, uint64_t pa, uint64_t size)
{
	if ((ipa | pa | size) & (PAGE_SIZE - 1) || !size)
		return -1;
	return stage2_map(&g->arch.s2, ipa, pa, size, S2_DEVICE);
}

/* vCPU 0 starts at the kernel's entry; the others wait, off, for the kernel's PSCI
 * CPU_ON (the cpu nodes of the guest's device tree say enable-method "psci"). */
unsigned arch_guest_max_vcpus(void)
{
	return ARCH_GUEST_VCPUS;
}

/* What the vGIC asks of the CPU side (arch/vgic.h). */
unsigned vgic_guest_vcpus(const struct guest *g)
{
	return g->nr_vcpus;
}

void arch_guest_reset(struct guest *g, uint64_t entry, uint64_t dtb)
{
	for (unsigned i = 0; i < ARCH_GUEST_VCPUS; i++) {
		struct vcpu *v = &g->arch.vcpus[i];
		vcpu_reset(v, entry, dtb);
		v->id = i;
		v->online = i == 0;
	}
}

/* Stage-2 tables are not given back: a guest slot is set up once per boot. */
void arch_guest_free(struct guest *g)
{
	(void)g;
}

int arch_guest_set_write(struct guest *g, uint64_t ipa, uint64_t size, bool writable)
{
	return stage2_set_write(&g->arch.s2, ipa, size, writable, NULL);
}
