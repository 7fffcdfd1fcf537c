/* SPDX-License-Identifier: GPL-2.0-only */
/* An SD card's capacity from its CSD (see sd_csd.h). */
#include "sd_csd.h"

/* CSD bits [hi:lo] (hi - lo < 32), CSD bit n being response bit n - 8. */
static uint32_t bits(const uint32_t resp[4], unsigned hi, unsigned lo)
{
	uint32_t v = 0;
	for (unsigned b = hi + 1; b-- > lo;) {
		unsigned r = b - 8;
		v = v << 1 | ((resp[r / 32] >> (r % 32)) & 1);
	}
	return v;
}

uint64_t sd_csd_sectors(const uint32_t resp[4])
{
	switch (bits(resp, 127, 126)) {
	case 0: {                /* version 1.0: (C_SIZE + 1) * 2^(C_SIZE_MULT + 2) blocks */
		uint32_t c_size = bits(resp, 73, 62), mult = bits(resp, 49, 47);
		uint32_t bl_len = bits(resp, 83, 80);
		if (bl_len < 9 || bl_len > 11)
			return 0;        /* READ_BL_LEN is 512, 1024 or 2048 bytes */
		return ((uint64_t)c_size + 1) << (mult + 2 + bl_len - 9);
	}
	case 1:                  /* version 2.0: (C_SIZE + 1) * 512 KiB */
		return ((uint64_t)bits(resp, 69, 48) + 1) * 1024;
	default:
		return 0;
	}
}
