/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BCM2835/BCM2711 GPIO function select (BCM2835 ARM Peripherals, section
 * 6.1; BCM2711 ARM Peripherals, section 5.2): ten pins per 32-bit GPFSELn
 * register, three bits each. A "brcm,bcm2835-gpio" pin group node lists
 * its pins in brcm,pins and their functions in brcm,function (one value
 * for all pins, or one per pin), with the hardware's encoding.
 * Pure logic, built for the host tests too.
 */
#ifndef DRIVERS_BCM2835_FSEL_H
#define DRIVERS_BCM2835_FSEL_H

#include <mamoru/fdt.h>

#define FSEL_IN 0u
#define FSEL_OUT 1u
#define FSEL_ALT5 2u
#define FSEL_ALT4 3u
#define FSEL_ALT0 4u
#define FSEL_ALT1 5u
#define FSEL_ALT2 6u
#define FSEL_ALT3 7u
#define FSEL_MASK 7u

#define FSEL_MAX_GROUP_PINS 16   /* more than any group of the upstream DTBs */

struct fsel_pin {
	uint8_t pin;
	uint8_t func;
};

/* The (pin, function) pairs of pin group node group for a controller with
 * npins pins: fills out (room for max) and returns how many, or a negative
 * FDT error (FDT_ERR_NOTFOUND: no brcm,pins; FDT_ERR_BADVALUE: a pin beyond
 * npins, a function above 7, or brcm,function neither one value nor one
 * per pin; more pins than max). */
int fsel_group(const struct fdt *fdt, int group, unsigned npins, struct fsel_pin *out, size_t max);

/* Byte offset of the GPFSELn register that holds pin. */
static inline unsigned fsel_reg_offset(unsigned pin)
{
	return (pin / 10u) * 4u;
}

/* reg (the value of pin's GPFSELn) with pin's field set to func. */
static inline uint32_t fsel_update(uint32_t reg, unsigned pin, unsigned func)
{
	unsigned shift = (pin % 10u) * 3u;
	return (reg & ~(FSEL_MASK << shift)) | ((func & FSEL_MASK) << shift);
}

/* pin's function in reg (the value of its GPFSELn). */
static inline unsigned fsel_get(uint32_t reg, unsigned pin)
{
	return (reg >> ((pin % 10u) * 3u)) & FSEL_MASK;
}

/* "in", "out", "alt0" ... "alt5". */
const char *fsel_name(unsigned func);

#endif
