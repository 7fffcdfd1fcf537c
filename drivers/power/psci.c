/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PSCI SYSTEM_OFF / SYSTEM_RESET (Arm DEN 0022), called through the SMC
 * Calling Convention: function ID in x0, arguments in x1-x3, result in x0.
 *
 * PSCI 0.1 ("arm,psci" alone) has neither function, so such a node is
 * refused. The conduit comes from the node's "method"; "hvc" is refused
 * while we run at EL2, since an HVC there would trap to ourselves.
 */
#include <arch/sysreg.h>
#include <mamoru/console.h>
#include <mamoru/libc.h>
#include <mamoru/power.h>

#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

enum conduit { CONDUIT_NONE, CONDUIT_SMC, CONDUIT_HVC };

static enum conduit conduit = CONDUIT_NONE;

/* SMCCC 1.0 lets the callee clobber x0-x17. */
static uint64_t psci_smc(uint64_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;
	__asm__ volatile("smc #0"
			 : "+r"(x0)
			 :
			 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return x0;
}

static uint64_t psci_hvc(uint64_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;
	__asm__ volatile("hvc #0"
			 : "+r"(x0)
			 :
			 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return x0;
}

static void psci_call(uint32_t fn)
{
	if (conduit == CONDUIT_SMC)
		psci_smc(fn);
	else if (conduit == CONDUIT_HVC)
		psci_hvc(fn);
	/* Returning at all means the call failed (e.g. NOT_SUPPORTED). */
}

static int psci_init(const struct fdt *fdt, int node)
{
	conduit = CONDUIT_NONE;
	if (!fdt_is_compatible(fdt, node, "arm,psci-0.2") &&
	    !fdt_is_compatible(fdt, node, "arm,psci-1.0")) {
		printk("psci: PSCI 0.1 has no SYSTEM_OFF/SYSTEM_RESET\n");
		return FDT_ERR_BADVALUE;
	}
	const char *method = fdt_getprop_str(fdt, node, "method");
	if (method == NULL) {
		printk("psci: no method property\n");
		return FDT_ERR_NOTFOUND;
	}
	if (strcmp(method, "smc") == 0) {
		conduit = CONDUIT_SMC;
	} else if (strcmp(method, "hvc") == 0) {
		if (current_el() >= 2) {
			printk("psci: method hvc is unusable at EL2\n");
			return FDT_ERR_BADVALUE;
		}
		conduit = CONDUIT_HVC;
	} else {
		printk("psci: unknown method\n");
		return FDT_ERR_BADVALUE;
	}
	return 0;
}

static void psci_reset(void)
{
	psci_call(PSCI_SYSTEM_RESET);
}

static void psci_poweroff(void)
{
	psci_call(PSCI_SYSTEM_OFF);
}

static const struct power_ops psci_ops = {
	.init = psci_init,
	.reset = psci_reset,
	.poweroff = psci_poweroff,
};

static const char *const psci_compat[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci", NULL };

static const struct driver psci_driver = {
	.name = "psci",
	.cls = DRV_POWER,
	.compatible = psci_compat,
	.ops = &psci_ops,
};
DRIVER(psci_driver);
