/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding a node's pin groups in the device tree (see mamoru/pinctrl.h). */
#include <mamoru/libc.h>
#include <mamoru/pinctrl.h>

/* The index of state in the string list pinctrl-names, or -1. */
static int state_index(const struct fdt *fdt, int node, const char *state)
{
	int len;
	const char *names = fdt_getprop(fdt, node, "pinctrl-names", &len);
	if (!names)
		return strcmp(state, "default") ? -1 : 0;
	int idx = 0;
	for (int off = 0; off < len; idx++) {
		size_t n = strnlen(names + off, (size_t)(len - off));
		if (n == (size_t)(len - off))
			return -1;   /* not NUL-terminated */
		if (!strcmp(names + off, state))
			return idx;
		off += (int)n + 1;
	}
	return -1;
}

int pinctrl_state_groups(const struct fdt *fdt, int node, const char *state, int *groups, int max)
{
	int idx = state_index(fdt, node, state);
	if (idx < 0 || idx > 9)
		return 0;
	char prop[] = "pinctrl-0";
	prop[8] = (char)('0' + idx);
	int len;
	const uint8_t *list = fdt_getprop(fdt, node, prop, &len);
	if (!list)
		return 0;
	if (len % 4)
		return FDT_ERR_BADVALUE;
	int n = len / 4;
	if (n > max)
		return FDT_ERR_BADVALUE;
	for (int i = 0; i < n; i++) {
		int g = fdt_node_by_phandle(fdt, fdt32_to_cpu(list + 4 * i));
		if (g < 0)
			return FDT_ERR_NOTFOUND;
		groups[i] = g;
	}
	return n;
}
