/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/guest_layout.c on the host.
 *   layout_test                 built-in cases, the load contract, a seeded random run
 *   layout_test one R S T I K N D   one layout: RAM ipa/size, text_offset, image_size,
 *                                   kernel/initrd/dtb file sizes -> "ok ..." or "refused: ..."
 */
#include <inttypes.h>
#include <string.h>

#include <mamoru/guest_layout.h>

#include "check.h"
#include "layout_check.h"

#define MIB (1ull << 20)

static const char *place(uint64_t ram_ipa, uint64_t ram_size, uint64_t text_offset, uint64_t image_size,
			 uint64_t kernel_size, uint64_t initrd_size, uint64_t dtb_size, struct guest_layout *l)
{
	struct guest_layout_in in = {ram_ipa, ram_size, text_offset, image_size, kernel_size, initrd_size,
				     dtb_size};
	const char *why = guest_layout(&in, l);
	if (!why) {
		const char *bad = layout_violation(&in, l);
		if (bad) {
			fprintf(stderr, "accepted a bad layout: %s\n", bad);
			abort();
		}
	}
	return why;
}

static void cases(void)
{
	struct guest_layout l;
	/* The default guest: 256 MiB at 1 GiB. */
	CHECK(!place(0x40000000, 256 * MIB, 0, 40 * MIB, 30 * MIB, 10 * MIB, 4096, &l));
	CHECK(l.kernel == 0 && l.kernel_end == 40 * MIB && l.dtb == 254 * MIB && l.initrd == 244 * MIB);
	/* Pre-3.17 kernels give no image_size: the file size counts. */
	CHECK(!place(0, 64 * MIB, 0x80000, 0, 20 * MIB, 0, 100, &l) && l.kernel_end == 0x80000 + 20 * MIB);
	/* An initrd that fits exactly, and one byte more. */
	uint64_t room = 62 * MIB - 8 * MIB;
	CHECK(!place(0, 64 * MIB, 0, 8 * MIB, 8 * MIB, room, 100, &l) && l.initrd == 8 * MIB);
	CHECK(place(0, 64 * MIB, 0, 8 * MIB, 8 * MIB, room + 1, 100, &l));
	/* RAM at IPA 0 and an initrd larger than RAM: dtb - initrd_size wrapped around before. */
	CHECK(place(0, 64 * MIB, 0, 8 * MIB, 8 * MIB, 1ull << 30, 100, &l));
	CHECK(place(0, 64 * MIB, 0, 8 * MIB, 8 * MIB, UINT64_MAX, 100, &l));
	/* Image headers with a huge image_size or text_offset. */
	CHECK(place(0x40000000, 64 * MIB, 0, UINT64_MAX, 8 * MIB, 0, 100, &l));
	CHECK(place(0x40000000, 64 * MIB, 0x1000, UINT64_MAX - 0x800, 8 * MIB, 0, 100, &l));
	CHECK(place(0x40000000, 64 * MIB, 1ull << 63, 8 * MIB, 8 * MIB, 0, 100, &l));
	CHECK(place(0x40000000, 64 * MIB, 62 * MIB, 1, 1, 0, 100, &l));
	/* The file longer than image_size says; a device tree over 2 MiB. */
	CHECK(place(0x40000000, 64 * MIB, 0, 4 * MIB, 8 * MIB, 0, 100, &l));
	CHECK(place(0x40000000, 64 * MIB, 0, 8 * MIB, 8 * MIB, 0, 2 * MIB + 1, &l));

	/* The guest's RAM itself. */
	uint64_t limit = 1ull << 39;
	CHECK(!guest_ram_check(0x40000000, 256 * MIB, limit));
	CHECK(guest_ram_check(0x40000000, 16 * MIB, limit));                 /* too small */
	CHECK(guest_ram_check(0x40000000, 2048 * MIB, limit));               /* too large */
	CHECK(guest_ram_check(0x40100000, 256 * MIB, limit));                /* misaligned */
	CHECK(guest_ram_check(limit - 64 * MIB, 128 * MIB, limit));          /* past the IPA space */
	CHECK(guest_ram_check(UINT64_MAX - 2 * MIB + 1 - 62 * MIB, 64 * MIB, limit));  /* wraps */
}

/* Loading fills every byte of RAM: images where the layout says, zero elsewhere. */
static void load_contract(void)
{
	uint64_t ram_size = 32 * MIB;
	uint8_t *ram = malloc(ram_size);
	uint8_t kernel[5000], initrd[7001], dtb[333];
	memset(kernel, 0x4b, sizeof(kernel));
	memset(initrd, 0x49, sizeof(initrd));
	memset(dtb, 0x44, sizeof(dtb));
	struct guest_layout l;
	for (int with_initrd = 0; with_initrd < 2; with_initrd++) {
		memset(ram, 0xaa, ram_size);       /* what an earlier boot left */
		uint64_t isize = with_initrd ? sizeof(initrd) : 0;
		CHECK(!place(0, ram_size, 0x80000, 0x10000, sizeof(kernel), isize, sizeof(dtb), &l));
		guest_layout_load(ram, ram_size, &l, kernel, sizeof(kernel), initrd, isize, dtb, sizeof(dtb));
		uint64_t bad = 0;
		for (uint64_t i = 0; i < ram_size; i++) {
			uint8_t want = 0;
			if (i >= l.kernel && i < l.kernel + sizeof(kernel))
				want = 0x4b;
			else if (i >= l.initrd && i < l.initrd + isize)
				want = 0x49;
			else if (i >= l.dtb && i < l.dtb + sizeof(dtb))
				want = 0x44;
			bad += ram[i] != want;
		}
		CHECK(bad == 0);
	}
	free(ram);
}

/* A reload over what the previous boot left (the same images, partly changed: a guest
 * reset) gives the same RAM as a load over garbage, whatever the images' alignment. */
static void reload_contract(void)
{
	uint64_t ram_size = 32 * MIB;
	uint8_t *ram = malloc(ram_size), *want = malloc(ram_size);
	static uint8_t kbuf[6001], ibuf[7003], dbuf[401];
	for (size_t i = 0; i < sizeof(kbuf); i++)
		kbuf[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(ibuf); i++)
		ibuf[i] = (uint8_t)(i * 13 + 5);
	for (size_t i = 0; i < sizeof(dbuf); i++)
		dbuf[i] = (uint8_t)(i * 3 + 2);
	struct guest_layout l;
	for (unsigned skew = 0; skew < 8; skew++) {
		/* Sources at every alignment relative to RAM (the buffers leave room for the skew). */
		const uint8_t *kernel = kbuf + skew, *initrd = ibuf + (7 - skew), *dtb = dbuf + skew;
		uint64_t ksize = 5000, isize = 6990 - skew, dsize = 333;
		CHECK(!place(0, ram_size, 0x80000, 0x10000, ksize, isize, dsize, &l));
		memset(want, 0xaa, ram_size);
		guest_layout_load(want, ram_size, &l, kernel, ksize, initrd, isize, dtb, dsize);
		/* Byte for byte, at every skew (word copies take 8- and 4-byte steps). */
		CHECK(!memcmp(want + l.kernel, kernel, ksize) && !memcmp(want + l.initrd, initrd, isize) &&
		      !memcmp(want + l.dtb, dtb, dsize));
		uint64_t stray = 0;
		for (uint64_t i = 0; i < ram_size; i++)
			stray += want[i] && !(i - l.kernel < ksize || i - l.initrd < isize || i - l.dtb < dsize);
		CHECK(stray == 0);
		memcpy(ram, want, ram_size);
		for (uint64_t i = skew; i < ram_size; i += 4093)     /* the guest changed some bytes */
			ram[i] ^= (uint8_t)(0x5a + i);
		ram[l.kernel + skew] ^= 1;
		ram[l.initrd + isize - 1] ^= 0x80;
		ram[l.dtb] ^= 0xff;
		guest_layout_load(ram, ram_size, &l, kernel, ksize, initrd, isize, dtb, dsize);
		CHECK(!memcmp(ram, want, ram_size));
		CHECK(ram[l.kernel] == kernel[0] && ram[l.kernel + ksize] == 0 && ram[ram_size - 1] == 0);
	}
	free(ram);
	free(want);
}

/* xorshift64*: the same sequence on every run. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

/* Mostly values near the interesting edges, sometimes anything. */
static uint64_t pick(uint64_t scale)
{
	switch (rnd() % 4) {
	case 0: return rnd();
	case 1: return UINT64_MAX - rnd() % (scale + 1);
	case 2: return rnd() % (scale + 1);
	default: return (rnd() % 4) * scale / 4 + rnd() % 4096;
	}
}

static void random_run(unsigned long n)
{
	unsigned long accepted = 0;
	struct guest_layout l;
	for (unsigned long i = 0; i < n; i++) {
		uint64_t ram = (rnd() % 2) ? 256 * MIB : GUEST_RAM_MIN << (rnd() % 6);
		uint64_t t, img, k, ini, d;
		if (rnd() % 2) {        /* plausible sizes, often near the limits */
			t = rnd() % (ram / 4);
			img = rnd() % (ram / 2);
			k = img ? img - rnd() % (img + 1) : rnd() % (ram / 2);
			ini = rnd() % (ram / 2);
			d = rnd() % (GUEST_DTB_AREA + 2);
		} else {
			t = pick(ram), img = pick(ram), k = pick(ram), ini = pick(ram), d = pick(4 * MIB);
		}
		if (!place(rnd() % 2 ? 0 : 0x40000000, ram, t, img, k, ini, d, &l))
			accepted++;
	}
	printf("random: %lu layouts, %lu accepted, all inside RAM without overlap\n", n, accepted);
	CHECK(accepted > n / 100);      /* the run exercised the accepting path too */
}

int main(int argc, char **argv)
{
	if (argc == 9 && !strcmp(argv[1], "one")) {
		uint64_t v[7];
		for (int i = 0; i < 7; i++)
			v[i] = strtoull(argv[2 + i], NULL, 0);
		struct guest_layout l;
		const char *why = place(v[0], v[1], v[2], v[3], v[4], v[5], v[6], &l);
		if (why)
			printf("refused: %s\n", why);
		else
			printf("ok kernel=0x%" PRIx64 " kernel_end=0x%" PRIx64 " initrd=0x%" PRIx64 " dtb=0x%" PRIx64
			       "\n", l.kernel, l.kernel_end, l.initrd, l.dtb);
		return 0;
	}
	cases();
	load_contract();
	reload_contract();
	random_run(argc == 2 ? strtoul(argv[1], NULL, 0) : 1000000);
	return check_summary("layout_test");
}
