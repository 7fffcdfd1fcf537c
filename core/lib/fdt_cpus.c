/* SPDX-License-Identifier: GPL-2.0-only */
/* The CPUs of a device tree and their enable methods (see fdt_cpus.h). */
#include <mamoru/fdt_cpus.h>
#include <mamoru/libc.h>

static bool is_cpu_node(const struct fdt *fdt, int node)
{
	const char *type = fdt_getprop_str(fdt, node, "device_type");

	return type && strcmp(type, "cpu") == 0;
}

static void read_enable(const struct fdt *fdt, int node, struct fdt_cpu *c)
{
	const char *method = fdt_getprop_str(fdt, node, "enable-method");
	const void *addr;
	int len;

	c->enable = CPU_ENABLE_NONE;
	c->release_addr = 0;
	if (!method)
		return;
	if (strcmp(method, "psci") == 0) {
		c->enable = CPU_ENABLE_PSCI;
		return;
	}
	c->enable = CPU_ENABLE_BAD;
	if (strcmp(method, "spin-table") != 0)
		return;
	/* Always 64 bits (two cells), whatever #address-cells says. */
	addr = fdt_getprop(fdt, node, "cpu-release-addr", &len);
	if (!addr || len != 8)
		return;
	c->release_addr = fdt_read_cells(addr, 2);
	if (c->release_addr && (c->release_addr & 7) == 0)
		c->enable = CPU_ENABLE_SPIN_TABLE;
}

int fdt_cpus(const struct fdt *fdt, struct fdt_cpu *out, int max)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	uint32_t cells;
	int n = 0;

	if (cpus < 0)
		return FDT_ERR_NOTFOUND;
	cells = fdt_address_cells(fdt, cpus);
	if (cells < 1 || cells > 2)
		return FDT_ERR_BADVALUE;
	for (int node = fdt_first_child(fdt, cpus); node >= 0; node = fdt_next_sibling(fdt, node)) {
		const void *reg;
		int len;

		if (!is_cpu_node(fdt, node))
			continue;           /* cpu-map, l2-cache, ... */
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg || len < 0 || (uint32_t)len < 4 * cells)
			return FDT_ERR_BADVALUE;
		if (n < max) {
			out[n].mpidr = fdt_read_cells(reg, cells);
			out[n].node = node;
			read_enable(fdt, node, &out[n]);
		}
		n++;
	}
	return n;
}

const char *cpu_enable_name(enum cpu_enable e)
{
	switch (e) {
	case CPU_ENABLE_NONE: return "none";
	case CPU_ENABLE_PSCI: return "psci";
	case CPU_ENABLE_SPIN_TABLE: return "spin-table";
	case CPU_ENABLE_BAD: break;
	}
	return "unusable";
}

int fdt_next_release_slot(const struct fdt *fdt, int node, uint64_t *addr)
{
	int cpus = fdt_path_offset(fdt, "/cpus");

	if (cpus < 0)
		return FDT_ERR_NOTFOUND;
	node = node < 0 ? fdt_first_child(fdt, cpus) : fdt_next_sibling(fdt, node);
	for (; node >= 0; node = fdt_next_sibling(fdt, node)) {
		int len;
		const void *p = is_cpu_node(fdt, node) ?
				fdt_getprop(fdt, node, "cpu-release-addr", &len) : NULL;

		if (p && (len == 4 || len == 8)) {
			*addr = fdt_read_cells(p, (uint32_t)len / 4);
			return node;
		}
	}
	return FDT_ERR_NOTFOUND;
}

enum fdt_vcpus fdt_guest_vcpus(const struct fdt *fdt, unsigned *n)
{
	struct fdt_cpu cpus[FDT_CPUS_MAX];
	*n = 1;
	if (fdt_path_offset(fdt, "/cpus") < 0)
		return FDT_VCPUS_OK;
	int count = fdt_cpus(fdt, cpus, FDT_CPUS_MAX);
	if (count < 1)
		return FDT_VCPUS_NONE;
	if (count > FDT_CPUS_MAX)
		return FDT_VCPUS_TOO_MANY;
	for (int i = 0; i < count; i++)
		if (cpus[i].mpidr != (uint64_t)i) {
			*n = (unsigned)i;
			return FDT_VCPUS_BAD_REG;
		}
	*n = (unsigned)count;
	return FDT_VCPUS_OK;
}
