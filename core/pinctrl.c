/* SPDX-License-Identifier: GPL-2.0-only */
/* Applying a device's default pin state with the pin controllers' drivers. */
#include <mamoru/libc.h>
#include <mamoru/pinctrl.h>

int pinctrl_apply_default(const struct fdt *fdt, int node, struct pinctrl_result *res)
{
	memset(res, 0, sizeof(*res));
	res->err_node = -1;
	int groups[PINCTRL_MAX_GROUPS];
	int n = pinctrl_state_groups(fdt, node, "default", groups, PINCTRL_MAX_GROUPS);
	if (n < 0) {
		res->err = n;
		res->err_node = node;
		return n;
	}
	for (int i = 0; i < n; i++) {
		int ctrl = fdt_parent(fdt, groups[i]);
		const struct driver *drv = driver_for_node(fdt, ctrl, DRV_PINCTRL);
		uint64_t base, size;
		int err = FDT_ERR_NOTFOUND;
		if (drv && !(err = fdt_get_reg(fdt, ctrl, 0, &base, &size)))
			err = ((const struct pinctrl_ops *)drv->ops)->apply(fdt, ctrl, groups[i],
									    (uintptr_t)base);
		if (err < 0) {
			res->err = err;
			res->err_node = drv ? groups[i] : ctrl;
			return err;
		}
		res->groups[res->ngroups++] = groups[i];
	}
	return 0;
}
