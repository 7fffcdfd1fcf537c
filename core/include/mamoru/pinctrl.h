/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pin multiplexing from the device tree: a device node's "pinctrl-<n>"
 * properties list the pin group nodes of its states ("pinctrl-names" names
 * them, "default" first by convention). A group node is a child of its pin
 * controller, whose driver (class DRV_PINCTRL) programs the pins.
 */
#ifndef MAMORU_PINCTRL_H
#define MAMORU_PINCTRL_H

#include <mamoru/driver.h>

#define PINCTRL_MAX_GROUPS 4

struct pinctrl_ops {
	/* Puts the pins of group (a child node of the controller ctrl, whose
	 * registers are mapped at base) into the functions the group names.
	 * Returns the number of pins set or a negative FDT error. */
	int (*apply)(const struct fdt *fdt, int ctrl, int group, uintptr_t base);
};

/* The group nodes of node's pin state called state: the index of state in
 * pinctrl-names (index 0 when there is no pinctrl-names and state is
 * "default"), then that pinctrl-<index>'s phandles. Fills groups (room for
 * max) and returns how many: 0 if node has no such state, a negative FDT
 * error for a phandle that names no node or more groups than max. */
int pinctrl_state_groups(const struct fdt *fdt, int node, const char *state, int *groups, int max);

struct pinctrl_result {
	int ngroups;                        /* groups applied */
	int groups[PINCTRL_MAX_GROUPS];     /* their nodes */
	int err;                            /* 0, or the first error */
	int err_node;                       /* the group or controller it concerns */
};

/* Applies node's "default" pin state through the pin controllers' drivers.
 * Returns 0 when every group was applied (or there are none). */
int pinctrl_apply_default(const struct fdt *fdt, int node, struct pinctrl_result *res);

#endif
