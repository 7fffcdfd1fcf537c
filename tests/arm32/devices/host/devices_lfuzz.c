/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer front end of the hostile-guest steps (devices_fuzz.c): the input
 * bytes, 8 at a time, are the choices, so coverage guides the fuzzer to
 * device states random accesses rarely reach. The device tree comes from
 * MAMORU_DEVICES_DTB; every input starts from reset devices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "stubs.h"

struct bytes {
	const uint8_t *p;
	size_t left;
};

static uint64_t from_bytes(void *ctx)
{
	struct bytes *b = ctx;
	uint64_t v = 0;
	size_t n = b->left < 8 ? b->left : 8;
	memcpy(&v, b->p, n);
	b->p += n;
	b->left -= n;
	return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *path = getenv("MAMORU_DEVICES_DTB");
	const char *err = path ? devices_setup(path) : "MAMORU_DEVICES_DTB is not set";
	if (err) {
		fprintf(stderr, "devices_lfuzz: %s\n", err);
		exit(2);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes b = {data, size};
	stub_now_ns = 1000000000ull;
	guest_reset_vdevs(&g);
	for (unsigned long step = 0; b.left; step++)
		if (fuzz_step(step, from_bytes, &b))
			abort();             /* an invariant broke: libFuzzer keeps the input */
	(void)vsysregs_take_reset(&g);
	return 0;
}
