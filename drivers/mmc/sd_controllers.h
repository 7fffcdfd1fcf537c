/* SPDX-License-Identifier: GPL-2.0-only */
/* The SD controllers under the protocol layer (sd_host.h): each fills in h's
 * operations and limits; sdcard.c finds the controller and its clock. */
#ifndef DRIVERS_MMC_SD_CONTROLLERS_H
#define DRIVERS_MMC_SD_CONTROLLERS_H

#include "sd_host.h"

void sdhci_host(struct sd_host *h);             /* sdhci.c: EMMC2, the Arasan */
void bcm2835_sdhost_host(struct sd_host *h);    /* bcm2835_sdhost.c: sdhost */

#endif
