/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the input is guest table memory (a level 1 table and eight coarse
 * tables) and a sequence of guest operations (accesses, table writes, TLB operations, DACR,
 * TTBR, control, mode, FCSE). After each operation the shadow must not grant more than the
 * guest's tables, the reserved addresses stay unreachable, and faults give the guest's
 * answer (shadow_ref.c). The same bytes also go through the load/store decoder.
 */
#include "arch/arm/cpu/arm32/virt/v5_ldst.h"
#include "shadow_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L1T 0x00100000u
#define L2T 0x00110000u

static struct harness h;
static bool ready;

static uint32_t word(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t fake_get(void *c, unsigned r) { (void)c; return 0x1000u * r; }
static void fake_set(void *c, unsigned r, uint32_t v) { (void)c; (void)r; (void)v; }
static bool fake_rd(void *c, uint32_t va, unsigned s, uint32_t *v)
{
	(void)c; (void)s;
	*v = va;
	return va & 4u;
}
static bool fake_wr(void *c, uint32_t va, unsigned s, uint32_t v)
{
	(void)c; (void)s; (void)v;
	return va & 8u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		if (harness_init(&h, 3, 12))
			abort();
		ready = true;
	} else {
		free(h.s);
		free(h.ram);
		free(h.cfg.l1);
		free(h.cfg.l2);
		if (harness_init(&h, 3, 12))
			abort();
	}
	if (size < 4)
		return 0;
	size_t nops = (word(data) % 64) * 8;
	data += 4;
	size -= 4;
	if (nops > size)
		nops = size - size % 8;
	const uint8_t *ops = data;
	const uint8_t *tab = data + nops;
	size_t ntab = size - nops;
	/* table bytes: spread over the level 1 table's interesting words and the coarse tables */
	for (size_t i = 0; i + 4 <= ntab; i += 4) {
		uint32_t slot = (uint32_t)(i / 4);
		uint32_t at = slot < 64 ? L1T + ((slot * 67u) % 4096u) * 4u
					: L2T + ((slot - 64) % 2048u) * 4u;
		g_write32(&h, at, word(tab + i));
	}
	h_dacr(&h, 0x55555555u);
	h_ttbr(&h, L1T);
	h_control(&h, 1u | 1u << 8);
	static const struct v5_regs R = { NULL, fake_get, fake_set, NULL };
	static const struct v5_mem M = { NULL, fake_rd, fake_wr };
	for (size_t i = 0; i + 8 <= nops; i += 8) {
		uint8_t op = ops[i];
		uint32_t v = word(ops + i + 1);
		uint8_t f = ops[i + 5];
		const char *why = NULL;
		switch (op % 10) {
		case 0: case 1: case 2:
			why = check_access(&h, v, f & 1, (f & 6) == 6);
			break;
		case 3:
			g_write32(&h, (f & 1) ? L1T + (v % 4096u) * 4u : L2T + (v % 2048u) * 4u,
				  word(ops + i + 4) ^ v);
			shadow_tlb_op(h.s, SHADOW_TLB_ALL, 0);
			break;
		case 4:
			shadow_tlb_op(h.s, f & 1 ? SHADOW_TLB_MVA : SHADOW_TLB_ASID, v);
			break;
		case 5:
			h_dacr(&h, v);
			break;
		case 6:
			h_ttbr(&h, f & 1 ? v : L1T);
			break;
		case 7:
			h_control(&h, v & (1u | 1u << 8 | 1u << 9));
			break;
		case 8:
			h_mode(&h, f & 1);
			break;
		default: {
			struct v5_access a;
			if (v5_ldst_decode(v, &a) == V5_LDST_OK)
				(void)v5_ldst_execute(&a, 0x8000u, &R, &M);
			h.fcse = f & 1 ? v : 0;
			shadow_fcse_write(h.s, h.fcse);
		}
		}
		if (!why)
			why = check_no_stale(&h, v ^ 0x1000u);
		if (why) {
			fprintf(stderr, "shadow_fuzz: %s\n", why);
			abort();
		}
	}
	return 0;
}
