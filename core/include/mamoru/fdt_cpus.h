/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CPUs a device tree describes (/cpus/cpu@N) and how each is started: by
 * PSCI CPU_ON (QEMU virt) or by the spin table the Raspberry Pi firmware (and
 * QEMU's raspi machines) leaves the secondary cores in: each waits in a loop
 * for a nonzero entry address at its "cpu-release-addr".
 */
#ifndef MAMORU_FDT_CPUS_H
#define MAMORU_FDT_CPUS_H

#include <mamoru/fdt.h>

#define FDT_CPUS_MAX 8

enum cpu_enable {
	CPU_ENABLE_NONE,        /* no enable-method: the boot CPU on many trees */
	CPU_ENABLE_PSCI,
	CPU_ENABLE_SPIN_TABLE,  /* release_addr is valid */
	CPU_ENABLE_BAD,         /* a method we do not know, or a malformed spin table */
};

struct fdt_cpu {
	uint64_t mpidr;         /* "reg": the affinity fields of MPIDR_EL1 */
	uint64_t release_addr;  /* spin table: where the core reads its entry point */
	enum cpu_enable enable;
	int node;
};

/* Fills out[0..max) with the CPU nodes of /cpus in document order; returns
 * how many there are (may exceed max: only max are filled) or an FDT error
 * (no /cpus, a cpu node without a usable reg). */
int fdt_cpus(const struct fdt *fdt, struct fdt_cpu *out, int max);

const char *cpu_enable_name(enum cpu_enable e);

/* A guest's vCPUs as its device tree gives them (core/guest.c). */
enum fdt_vcpus {
	FDT_VCPUS_OK,           /* *n: how many (1 for a tree without /cpus) */
	FDT_VCPUS_NONE,         /* /cpus holds no usable cpu node */
	FDT_VCPUS_TOO_MANY,     /* more than FDT_CPUS_MAX */
	FDT_VCPUS_BAD_REG,      /* cpu node *n has a reg other than *n: vCPU i is MPIDR Aff0 i */
};
enum fdt_vcpus fdt_guest_vcpus(const struct fdt *fdt, unsigned *n);

/* The spin-table release slots a tree names, for reserving their pages: a core the
 * hypervisor did not move (refused, silent, beyond FDT_CPUS_MAX) goes on reading its
 * slot, so no guest may ever get that memory. The next cpu node of /cpus after node
 * (-1: the first) with a cpu-release-addr of one or two cells, whatever its
 * enable-method and whether its address is usable; the address in *addr. Returns the
 * node, or FDT_ERR_NOTFOUND after the last (or without /cpus). */
int fdt_next_release_slot(const struct fdt *fdt, int node, uint64_t *addr);

#endif
