/* SPDX-License-Identifier: GPL-2.0-only */
/* Matching device-tree nodes to the drivers built into the image. */
#include <mamoru/driver.h>
#include <mamoru/libc.h>

extern const struct driver *const __start_mamoru_drivers[], *const __stop_mamoru_drivers[];

/* A node is usable unless its "status" says otherwise. */
static bool node_enabled(const struct fdt *fdt, int node)
{
	const char *status = fdt_getprop_str(fdt, node, "status");
	return !status || !strcmp(status, "okay") || !strcmp(status, "ok");
}

const struct driver *driver_by_compatible(const char *compat, enum driver_class cls)
{
	for (const struct driver *const *d = __start_mamoru_drivers; d < __stop_mamoru_drivers; d++) {
		if ((*d)->cls != cls)
			continue;
		for (const char *const *c = (*d)->compatible; *c; c++)
			if (!strcmp(*c, compat))
				return *d;
	}
	return NULL;
}

const struct driver *driver_for_node(const struct fdt *fdt, int node, enum driver_class cls)
{
	if (node < 0 || !node_enabled(fdt, node))
		return NULL;
	for (const struct driver *const *d = __start_mamoru_drivers; d < __stop_mamoru_drivers; d++) {
		if ((*d)->cls != cls)
			continue;
		for (const char *const *c = (*d)->compatible; *c; c++)
			if (fdt_is_compatible(fdt, node, *c))
				return *d;
	}
	return NULL;
}

int driver_find_node(const struct fdt *fdt, enum driver_class cls, const struct driver **drv)
{
	int best = FDT_ERR_NOTFOUND;
	*drv = NULL;
	for (const struct driver *const *d = __start_mamoru_drivers; d < __stop_mamoru_drivers; d++) {
		if ((*d)->cls != cls)
			continue;
		for (const char *const *c = (*d)->compatible; *c; c++) {
			for (int n = fdt_find_compatible(fdt, -1, *c); n >= 0; n = fdt_find_compatible(fdt, n, *c)) {
				if (!node_enabled(fdt, n))
					continue;
				if (best < 0 || n < best) {
					best = n;
					*drv = *d;
				}
				break;
			}
		}
	}
	return best;
}
