/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ARMv5 load/store decoder on the host (under ASan/UBSan).
 *   ldst_tool decode   reads one hex instruction word a line, prints its decoding:
 *                      "<word> ld|st|swp size=N sx=0|1 rt=N rt2=N rn=N wb=0|1 user=0|1"
 *                      or "<word> unsupported"
 *   ldst_tool exec     carries out hand-picked accesses on a fake register file and memory
 *                      and checks the values; prints "exec: <checks> checks, <n> failures"
 */
#include "arch/arm/cpu/arm32/virt/v5_ldst.h"
#include "hostcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int decode(void)
{
	char line[128];
	while (fgets(line, sizeof(line), stdin)) {
		char *end;
		unsigned long w = strtoul(line, &end, 16);
		if (end == line)
			continue;
		struct v5_access a;
		if (v5_ldst_decode((uint32_t)w, &a) != V5_LDST_OK) {
			printf("%08lx unsupported\n", w);
			continue;
		}
		printf("%08lx %s size=%u sx=%d rt=%u rt2=%u rn=%u wb=%d user=%d\n", w,
		       a.swap ? "swp" : a.write ? "st" : "ld", a.size, a.sign_extend, a.rt, a.rt2,
		       a.rn, a.writeback, a.user);
	}
	return 0;
}

/* A fake vCPU: sixteen registers, carry flag; 64 bytes of memory at 0x1000. */
static uint32_t regs[16];
static bool carry;
static uint8_t mem[64];

static uint32_t get(void *c, unsigned r) { (void)c; return regs[r]; }
static void set(void *c, unsigned r, uint32_t v) { (void)c; regs[r] = v; }
static bool get_c(void *c) { (void)c; return carry; }

static bool rd(void *c, uint32_t va, unsigned size, uint32_t *v)
{
	(void)c;
	if (va < 0x1000 || va - 0x1000 + size > sizeof(mem))
		return false;
	*v = 0;
	for (unsigned i = 0; i < size; i++)
		*v |= (uint32_t)mem[va - 0x1000 + i] << (8 * i);
	return true;
}

static bool wr(void *c, uint32_t va, unsigned size, uint32_t v)
{
	(void)c;
	if (va < 0x1000 || va - 0x1000 + size > sizeof(mem))
		return false;
	for (unsigned i = 0; i < size; i++)
		mem[va - 0x1000 + i] = (uint8_t)(v >> (8 * i));
	return true;
}

static enum v5_ldst_status run(uint32_t insn, uint32_t pc)
{
	static const struct v5_regs R = { NULL, get, set, get_c };
	static const struct v5_ldst_mem M = { NULL, rd, wr };
	struct v5_access a;
	if (v5_ldst_decode(insn, &a) != V5_LDST_OK)
		return V5_LDST_UNSUPPORTED;
	return v5_ldst_execute(&a, pc, &R, &M);
}

static void reset(void)
{
	for (unsigned i = 0; i < 16; i++)
		regs[i] = 0x1111u * i;
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(0x80 + i);
	carry = false;
}

static int exec(void)
{
	reset();
	regs[1] = 0x1008;
	CHECK_MSG(run(0xe5912004u, 0) == V5_LDST_OK && regs[2] == 0x8f8e8d8cu && regs[1] == 0x1008,
	          "ldr r2, [r1, #4]: %#x", regs[2]);
	CHECK_MSG(run(0xe5b12004u, 0) == V5_LDST_OK && regs[1] == 0x100c, "ldr r2, [r1, #4]!: %#x",
	          regs[1]);
	CHECK_MSG(run(0xe4912004u, 0) == V5_LDST_OK && regs[2] == 0x8f8e8d8cu && regs[1] == 0x1010,
	          "ldr r2, [r1], #4");
	reset();
	regs[1] = 0x1001;
	CHECK_MSG(run(0xe5912000u, 0) == V5_LDST_OK && regs[2] == 0x80838281u,
	          "unaligned ldr rotates: %#x", regs[2]);
	reset();
	regs[1] = 0x1000;
	regs[3] = 2;
	CHECK_MSG(run(0xe7912103u, 0) == V5_LDST_OK && regs[2] == 0x8b8a8988u,
	          "ldr r2, [r1, r3, lsl #2]: %#x", regs[2]);
	reset();
	regs[1] = 0x1010;
	regs[3] = 0x10;
	CHECK_MSG(run(0xe7112123u, 0) == V5_LDST_OK && regs[2] == 0x8f8e8d8cu,
	          "ldr r2, [r1, -r3, lsr #2]: %#x", regs[2]);
	reset();
	regs[1] = 0x1000;
	regs[3] = 0x10;
	carry = true;
	CHECK_MSG(run(0xe7912063u, 0) == V5_LDST_ABORT && regs[2] == 0x2222,
	          "ldr r2, [r1, r3, rrx] with C set: offset 0x80000008, outside memory");
	reset();
	regs[1] = 0x1000;
	regs[3] = 0x10;
	carry = false;
	CHECK_MSG(run(0xe7912063u, 0) == V5_LDST_OK && regs[2] == 0x8b8a8988u,
	          "ldr r2, [r1, r3, rrx]: %#x", regs[2]);
	reset();
	regs[1] = 0x1000;
	CHECK_MSG(run(0xe1d120f0u, 0) == V5_LDST_OK && regs[2] == 0xffff8180u, "ldrsh: %#x", regs[2]);
	CHECK_MSG(run(0xe1d120b0u, 0) == V5_LDST_OK && regs[2] == 0x8180u, "ldrh: %#x", regs[2]);
	CHECK_MSG(run(0xe1d120d3u, 0) == V5_LDST_OK && regs[2] == 0xffffff83u, "ldrsb: %#x", regs[2]);
	CHECK_MSG(run(0xe5d12003u, 0) == V5_LDST_OK && regs[2] == 0x83u, "ldrb: %#x", regs[2]);
	CHECK_MSG(run(0xe1c140d8u, 0) == V5_LDST_OK && regs[4] == 0x8b8a8988u &&
	          regs[5] == 0x8f8e8d8cu, "ldrd r4, [r1, #8]");
	regs[6] = 0x11223344u;
	regs[7] = 0x55667788u;
	CHECK_MSG(run(0xe1e160f8u, 0) == V5_LDST_OK && regs[1] == 0x1008 && mem[8] == 0x44 &&
	          mem[15] == 0x55, "strd r6, [r1, #8]!");
	reset();
	regs[1] = 0x1000;
	regs[2] = 0xaabbccddu;
	CHECK_MSG(run(0xe1c120b2u, 0) == V5_LDST_OK && mem[2] == 0xdd && mem[3] == 0xcc &&
	          mem[4] == 0x84, "strh r2, [r1, #2]");
	CHECK_MSG(run(0xe5c12001u, 0) == V5_LDST_OK && mem[1] == 0xdd && mem[0] == 0x80, "strb");
	CHECK_MSG(run(0xe1c120b1u, 0) == V5_LDST_UNSUPPORTED, "unaligned strh refused");
	reset();
	regs[1] = 0x1004;
	regs[3] = 0xdeadbeefu;
	CHECK_MSG(run(0xe1012093u, 0) == V5_LDST_OK && regs[2] == 0x87868584u && mem[4] == 0xef,
	          "swp r2, r3, [r1]");
	reset();
	regs[1] = 0x1004;
	regs[3] = 0xdeadbeefu;
	CHECK_MSG(run(0xe1412093u, 0) == V5_LDST_OK && regs[2] == 0x84u && mem[4] == 0xef &&
	          mem[5] == 0x85, "swpb r2, r3, [r1]");
	reset();
	regs[1] = 0x3000;
	uint32_t before[16];
	memcpy(before, regs, sizeof(regs));
	CHECK_MSG(run(0xe5b12004u, 0) == V5_LDST_ABORT && !memcmp(before, regs, sizeof(regs)),
	          "an aborted access changes no register");
	reset();
	CHECK_MSG(run(0xe59f2000u, 0x1000 - 8) == V5_LDST_OK && regs[2] == 0x83828180u,
	          "ldr r2, [pc]: pc reads as the instruction + 8");
	CHECK_MSG(run(0xe8910003u, 0) == V5_LDST_UNSUPPORTED, "ldm refused");
	CHECK_MSG(run(0xe5b11004u, 0) == V5_LDST_UNSUPPORTED, "ldr r1, [r1, #4]! refused");
	CHECK_MSG(run(0xe58ff000u, 0) == V5_LDST_UNSUPPORTED, "str pc refused");
	return check_summary("exec");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "decode"))
		return decode();
	if (argc > 1 && !strcmp(argv[1], "exec"))
		return exec();
	fprintf(stderr, "usage: ldst_tool decode|exec\n");
	return 2;
}
