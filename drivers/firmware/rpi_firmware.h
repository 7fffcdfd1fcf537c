/* SPDX-License-Identifier: GPL-2.0-only */
/* The Raspberry Pi firmware, asked through its mailbox property interface. */
#ifndef DRIVERS_RPI_FIRMWARE_H
#define DRIVERS_RPI_FIRMWARE_H

#include "rpi_fw_msg.h"

/* The current rate of firmware clock clock_id (RPI_FW_CLOCK_*) in Hz, from
 * the mailbox of the device tree's "raspberrypi,bcm2835-firmware" node.
 * Polls the mailbox (no interrupts); 0 or an RPI_FW_ERR_*. */
int rpi_fw_clock_rate(const struct fdt *fdt, uint32_t clock_id, uint32_t *hz);
/* Switches firmware power device `device` (RPI_FW_POWER_*) on or off, waiting
 * until it is stable, and checks the answer; 0 or an RPI_FW_ERR_*. */
int rpi_fw_set_power(const struct fdt *fdt, uint32_t device, bool on);

#endif
