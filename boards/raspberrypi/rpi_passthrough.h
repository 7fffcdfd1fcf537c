/* SPDX-License-Identifier: GPL-2.0-only */
/* The Pis' board_desc passthrough hooks (see mamoru/board.h). */
#ifndef BOARDS_RPI_PASSTHROUGH_H
#define BOARDS_RPI_PASSTHROUGH_H

#include <mamoru/types.h>

struct fdt;

int rpi_passthrough_clock(const struct fdt *host, int node, uint32_t *hz);
const char *rpi_passthrough_check(const struct fdt *host, int node);
int rpi_passthrough_quiesce(const struct fdt *host, int node);
const char *rpi_passthrough_power(const struct fdt *host, int node);

#endif
