/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device drivers register themselves with DRIVER() and are matched against
 * device-tree "compatible" strings. Each class has its own ops structure.
 */
#ifndef MAMORU_DRIVER_H
#define MAMORU_DRIVER_H

#include <mamoru/fdt.h>

enum driver_class {
	DRV_SERIAL,
	DRV_IRQCHIP,
	DRV_POWER,
	DRV_PINCTRL,
	DRV_TIMER,        /* a tick and clock where the CPU has no generic timer (ops unused) */
};

struct driver {
	const char *name;
	enum driver_class cls;
	const char *const *compatible;   /* NULL-terminated */
	const void *ops;                 /* struct serial_ops / irqchip_ops / power_ops / pinctrl_ops */
};

#define DRIVER(var)                                                           \
	static const struct driver *const __drv_ptr_##var                     \
		__attribute__((section("mamoru_drivers"), used, aligned(sizeof(void *)))) = &(var)

/* The driver of class cls with this compatible string, or NULL. */
const struct driver *driver_by_compatible(const char *compat, enum driver_class cls);
/* The driver of class cls that handles node (if enabled), or NULL. */
const struct driver *driver_for_node(const struct fdt *fdt, int node, enum driver_class cls);
/* The first node (document order) that some driver of class cls handles,
 * or FDT_ERR_NOTFOUND; *drv set to that driver. */
int driver_find_node(const struct fdt *fdt, enum driver_class cls, const struct driver **drv);

/* MMIO accessors. */
static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	*(volatile uint32_t *)addr = val;
}
static inline uint64_t mmio_read64(uintptr_t addr)
{
	return *(volatile uint64_t *)addr;
}
static inline void mmio_write64(uintptr_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}
static inline uint8_t mmio_read8(uintptr_t addr)
{
	return *(volatile uint8_t *)addr;
}
static inline void mmio_write8(uintptr_t addr, uint8_t val)
{
	*(volatile uint8_t *)addr = val;
}

#endif
