/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the profile parser: any input must be rejected or
 * loaded cleanly, and a loaded profile must answer every query in bounds.
 * Built by `scons host` with clang (-fsanitize=fuzzer,address,undefined);
 * tests/vmi/test_profile_c.py runs it for a short budget, longer by hand:
 *   build/host/vmi/profile_fuzz -max_total_time=600 CORPUS_DIR
 * Inputs with a wrong CRC are mostly rejected early, so the target also
 * tries each input with its CRC fixed up to reach the deeper checks.
 */
#include <mamoru/vmi/profile.h>

#include <stdlib.h>
#include <string.h>

static volatile uint64_t sink;

static void exercise(const uint8_t *data, size_t size)
{
	struct profile p;
	char err[96];
	if (profile_load(&p, data, size, err, sizeof(err)) != 0) {
		sink += strlen(err);
		return;
	}
	struct profile_entry e;
	for (size_t i = 0; profile_entry_at(&p, i, &e) == 0; i++) {
		uint64_t v;
		sink += strlen(e.key);
		if (e.string)
			sink += strlen(e.string) + (profile_string(&p, e.key) != NULL);
		else
			sink += (uint64_t)profile_value(&p, e.key, &v) + v;
	}
	uint64_t v, off, addr;
	const char *name;
	sink += (uint64_t)profile_value(&p, "task_struct.pid", &v);
	sink += profile_string(&p, "str.release") != NULL;
	size_t n = profile_text_count(&p);
	for (size_t i = 0; i < n && i < 64; i++) {
		if (profile_text_at(&p, i, &addr, &name) == 0) {
			sink += strlen(name);
			if (profile_symbolize(&p, addr + 1, &name, &off) == 0)
				sink += off + strlen(name);
			if (profile_symbolize(&p, addr - 1, &name, &off) == 0)
				sink += off;
		}
	}
	sink += (uint64_t)profile_text_symbol(&p, "__arm64_sys_ni_syscall", &addr);
	sink += (uint64_t)profile_symbolize(&p, ~0ull, &name, &off);
	sink += (uint64_t)profile_symbolize(&p, 0, &name, &off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	exercise(data, size);
	/* Again with a correct CRC (and total size, if it fits). */
	if (size >= 32 && size < (1u << 24)) {
		uint8_t *copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		uint32_t total = (uint32_t)copy[16] | (uint32_t)copy[17] << 8 |
				 (uint32_t)copy[18] << 16 | (uint32_t)copy[19] << 24;
		if (total < 32 || total > size)
			total = (uint32_t)size;
		copy[16] = (uint8_t)total;
		copy[17] = (uint8_t)(total >> 8);
		copy[18] = (uint8_t)(total >> 16);
		copy[19] = (uint8_t)(total >> 24);
		uint32_t crc = profile_crc32(copy + 32, total - 32);
		for (int i = 0; i < 4; i++)
			copy[20 + i] = (uint8_t)(crc >> (8 * i));
		exercise(copy, size);
		free(copy);
	}
	return 0;
}
