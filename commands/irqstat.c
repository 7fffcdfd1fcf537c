/* SPDX-License-Identifier: GPL-2.0-only */
/* `irqstat`: per-interrupt counters. */
#include <arch/guest_irq.h>
#include <mamoru/command.h>
#include <mamoru/irq.h>

static int cmd_irqstat(struct console *con, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CMD_USAGE;
	con_printf(con, "controller: %s\n", irq_chip_name());
	for (unsigned i = 0; i < IRQ_MAX; i++)
		if (irq_registered(i))
			con_printf(con, "%4u %10llu %s\n", i, (unsigned long long)irq_count(i), irq_name(i));
	con_printf(con, "unhandled: %llu\n", (unsigned long long)irq_unhandled());
	con_printf(con, "guest interrupts: %s\n", arch_guest_irq_model());
	return CMD_OK;
}

static const struct command irqstat_cmd = {
	.name = "irqstat",
	.summary = "show interrupt counts per interrupt",
	.usage = "irqstat",
	.exec = cmd_irqstat,
};
COMMAND(irqstat_cmd);
