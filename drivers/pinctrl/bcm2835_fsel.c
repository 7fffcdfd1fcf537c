/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading a BCM2835 pin group node (see bcm2835_fsel.h). */
#include "bcm2835_fsel.h"

int fsel_group(const struct fdt *fdt, int group, unsigned npins, struct fsel_pin *out, size_t max)
{
	int plen, flen;
	const uint8_t *pins = fdt_getprop(fdt, group, "brcm,pins", &plen);
	const uint8_t *funcs = fdt_getprop(fdt, group, "brcm,function", &flen);
	if (!pins || !funcs)
		return FDT_ERR_NOTFOUND;
	if (plen <= 0 || plen % 4 || flen <= 0 || flen % 4)
		return FDT_ERR_BADVALUE;
	size_t n = (size_t)plen / 4, nf = (size_t)flen / 4;
	if (n > max || (nf != 1 && nf != n))
		return FDT_ERR_BADVALUE;
	for (size_t i = 0; i < n; i++) {
		uint32_t pin = fdt32_to_cpu(pins + 4 * i);
		uint32_t func = fdt32_to_cpu(funcs + 4 * (nf == 1 ? 0 : i));
		if (pin >= npins || func > FSEL_MASK)
			return FDT_ERR_BADVALUE;
		out[i].pin = (uint8_t)pin;
		out[i].func = (uint8_t)func;
	}
	return (int)n;
}

const char *fsel_name(unsigned func)
{
	static const char *const names[] = {"in", "out", "alt5", "alt4", "alt0", "alt1", "alt2", "alt3"};
	return names[func & FSEL_MASK];
}
