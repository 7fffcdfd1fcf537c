/* SPDX-License-Identifier: GPL-2.0-only */
/* Mini UART baud divisor arithmetic (see mu_baud.h). */
#include "mu_baud.h"

uint32_t mu_baud_divisor(uint32_t clock_hz, uint32_t baud)
{
	if (!baud)
		return 0;
	uint64_t step = 8ull * baud;
	uint64_t n = ((uint64_t)clock_hz + step / 2) / step;   /* rounded clock / (8 * baud) */
	if (n < 2 || n - 1 > MU_BAUD_MAX)
		return 0;
	return (uint32_t)(n - 1);
}

uint32_t mu_baud_rate(uint32_t clock_hz, uint32_t divisor)
{
	return (uint32_t)((uint64_t)clock_hz / (8ull * ((uint64_t)divisor + 1)));
}

int mu_dt_clock(const struct fdt *fdt, int node, uint32_t *hz)
{
	uint32_t v;
	if (!fdt_getprop_u32(fdt, node, "clock-frequency", &v) && v) {
		*hz = v;
		return 0;
	}
	int len;
	const void *clocks = fdt_getprop(fdt, node, "clocks", &len);
	if (!clocks || len < 4)
		return FDT_ERR_NOTFOUND;
	int clk = fdt_node_by_phandle(fdt, fdt32_to_cpu(clocks));
	if (clk < 0 || !fdt_is_compatible(fdt, clk, "fixed-clock") ||
	    fdt_getprop_u32(fdt, clk, "clock-frequency", &v) || !v)
		return FDT_ERR_NOTFOUND;
	*hz = v;
	return 0;
}
