/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host driver of the FDT writer (core/lib/fdt_write.c) and of the passthrough logic
 * (core/lib/passthrough_lib.c), run by tests/unit/test_passthrough_host.py:
 *   passthrough_check copy IN OUT           the whole tree copied unchanged
 *   passthrough_check guest GUEST HOST OUT RAMBASE PATH...
 *                                           the guest tree with PATHs of HOST added
 *   passthrough_check shared HOST PATH      the enabled nodes on PATH's first interrupt
 *                                           line (pt_next_sharing), one name a line
 *   passthrough_check sdroute pi3|pi4 GPFSEL4 GPFSEL5 [SDMUX]
 *                                           whether the Pis' SD host reaches the board's
 *                                           SD card (boards/raspberrypi/rpi_sd_route.c)
 *   passthrough_check dma HOST PATH RAMBASE RAMSIZE
 *                                           PATH's DMA windows (pt_dma_windows), one a line
 *                                           "bus 0x.. cpu 0x.. size 0x..", then whether they
 *                                           reach the RAM ("reaches" / "does not reach")
 *   passthrough_check power HOST PATH       the firmware power device of PATH's
 *                                           power-domains ("device N"), or the error
 *   passthrough_check selftest              the checks below
 * A file that fdt_init refuses prints "error: <why>" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mamoru/fdt_write.h>
#include <mamoru/libc.h>
#include <mamoru/passthrough_lib.h>

#include "hostcheck.h"
#include "../../boards/raspberrypi/rpi_sd_route.h"
#include "../../drivers/firmware/rpi_fw_msg.h"

/* Inputs and outputs live in static buffers (two trees in, one out). */
#define FILE_MAX (1 << 20)
static uint8_t files[2][FILE_MAX], outbuf[2 * FILE_MAX];
static char namesbuf[FILE_MAX];
static int nfiles;

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = nfiles < 2 ? fopen(path, "rb") : NULL;
	if (!f)
		return NULL;
	uint8_t *buf = files[nfiles++];
	*len = fread(buf, 1, FILE_MAX, f);
	fclose(f);
	return buf;
}

static int spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		return -1;
	return fclose(f);
}

static int open_fdt(const char *path, struct fdt *f)
{
	size_t len;
	uint8_t *b = slurp(path, &len);
	if (!b) {
		printf("error: cannot read %s\n", path);
		return -1;
	}
	int err = fdt_init(f, b, len);
	if (err) {
		printf("error: %s\n", fdt_strerror(err));
		return -1;
	}
	return 0;
}

/* Writes out and checks that the reader accepts what the writer made. */
static int finish(const char *out, uint8_t *buf, size_t size)
{
	struct fdt check;
	int err = fdt_init(&check, buf, size);
	if (err) {
		printf("error: the written tree is refused: %s\n", fdt_strerror(err));
		return 1;
	}
	return spit(out, buf, size) ? 1 : 0;
}

static int do_copy(const char *in, const char *out)
{
	struct fdt src;
	if (open_fdt(in, &src))
		return 1;
	size_t cap = src.totalsize + 64, size;
	uint8_t *buf = outbuf;
	struct fdt_writer w;
	fdtw_init(&w, buf, cap, namesbuf, src.strings_size + 1);
	for (int i = 0; i < fdt_num_mem_rsv(&src); i++) {
		uint64_t a, s;
		if (!fdt_get_mem_rsv(&src, i, &a, &s))
			fdtw_reserve(&w, a, s);
	}
	fdtw_copy_node(&w, &src, fdt_root(&src), NULL);
	int err = fdtw_finish(&w, &size);
	if (err) {
		printf("error: %s\n", fdtw_strerror(err));
		return 1;
	}
	return finish(out, buf, size);
}

static int do_guest(int argc, char **argv)
{
	struct fdt guest, host;
	if (argc < 6 || open_fdt(argv[2], &guest) || open_fdt(argv[3], &host))
		return 1;
	struct pt_node nodes[8];
	int n = 0;
	uint32_t used[64 / 32] = {0};
	pt_mark_guest_irqs(&guest, used, 64);
	for (int a = 6; a < argc && n < 8; a++) {
		struct pt_node *p = &nodes[n];
		memset(p, 0, sizeof(*p));
		char *hz = strchr(argv[a], '=');      /* PATH=HZ: its clock's rate */
		if (hz) {
			*hz = 0;
			p->clock_hz = (uint32_t)strtoul(hz + 1, NULL, 0);
		}
		p->host_node = fdt_path_offset(&host, argv[a]);
		if (p->host_node < 0) {
			printf("error: no %s\n", argv[a]);
			return 1;
		}
		while (p->nreg < PT_MAX_REGS &&
		       !fdt_get_reg(&host, p->host_node, p->nreg, &p->reg[p->nreg][0], &p->reg[p->nreg][1]))
			p->nreg++;
		uint32_t cells[4];
		int nc;
		while (p->nirq < PT_MAX_IRQS &&
		       !fdt_get_interrupt(&host, p->host_node, p->nirq, cells, 4, &nc) && nc == 3) {
			unsigned hirq = (cells[0] ? 16 : 32) + cells[1];
			int v = pt_guest_irq(hirq, used, 64);
			if (v < 0) {
				printf("error: no free guest interrupt\n");
				return 1;
			}
			used[v / 32] |= 1u << (v % 32);
			p->virq[p->nirq] = (unsigned)v;
			p->irq_flags[p->nirq++] = cells[2];
			printf("%s irq %u -> %d\n", argv[a], hirq, v);
		}
		n++;
	}
	size_t cap = guest.totalsize + host.totalsize, size;
	uint8_t *buf = outbuf;
	char *names = namesbuf;
	uint64_t ram = strtoull(argv[5], NULL, 0);
	int err = pt_build_guest_dt(&guest, &host, nodes, n, ram, 256ull << 20, buf, cap, names,
				    4096, &size);
	if (err) {
		printf("error: %s\n", fdtw_strerror(err));
		return 1;
	}
	return finish(argv[4], buf, size);
}

/* --- selftest ------------------------------------------------------------- */

static size_t small_tree(uint8_t *buf, size_t cap, char *names, size_t ncap, int *err)
{
	struct fdt_writer w;
	size_t size = 0;
	fdtw_init(&w, buf, cap, names, ncap);
	fdtw_reserve(&w, 0x1000, 0x2000);
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "#address-cells", 2);
	fdtw_prop_u32(&w, "#size-cells", 2);
	fdtw_begin_node(&w, "dev@a000000");
	static const char compat[] = "vendor,other\0virtio,mmio";
	fdtw_prop(&w, "compatible", compat, sizeof(compat));
	const uint32_t reg[] = {0, 0x0a000000, 0, 0x200};
	fdtw_prop_cells(&w, "reg", reg, 4);
	fdtw_prop(&w, "dma-coherent", NULL, 0);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	*err = fdtw_finish(&w, &size);
	return size;
}

static void selftest_writer(void)
{
	uint8_t buf[512];
	char names[128];
	int err;
	size_t size = small_tree(buf, sizeof(buf), names, sizeof(names), &err);
	CHECK(err == 0);
	struct fdt f;
	CHECK(fdt_init(&f, buf, size) == 0);
	int dev = fdt_path_offset(&f, "/dev@a000000");
	CHECK(dev >= 0);
	uint64_t a, s;
	CHECK(fdt_get_reg(&f, dev, 0, &a, &s) == 0 && a == 0x0a000000 && s == 0x200);
	CHECK(fdt_num_mem_rsv(&f) == 1 && !fdt_get_mem_rsv(&f, 0, &a, &s) && a == 0x1000 && s == 0x2000);
	const char *which = NULL;
	static const char *const allow[] = {"virtio,mmio", NULL};
	static const char *const deny[] = {"arm,pl011", NULL};
	CHECK(pt_allowed(&f, dev, allow, &which) && which && !strcmp(which, "virtio,mmio"));
	CHECK(!pt_allowed(&f, dev, deny, NULL) && !pt_allowed(&f, dev, NULL, NULL));

	/* Where 1:1 RAM may go: not over a device of the tree (memory nodes do not count). */
	CHECK(pt_find_overlap(&f, 0x40000000, 0x10000000) == FDT_ERR_NOTFOUND);
	CHECK(pt_find_overlap(&f, 0x09e00000, 0x00200000) == FDT_ERR_NOTFOUND);   /* ends there */
	CHECK(pt_find_overlap(&f, 0x09e00000, 0x00201000) == dev);
	CHECK(pt_find_overlap(&f, 0x0a000000, 0x00200000) == dev);

	/* Every buffer too small fails cleanly (ASan watches the writes). */
	for (size_t cap = 0; cap < size; cap++) {
		uint8_t *tight = malloc(cap ? cap : 1);
		small_tree(tight, cap, names, sizeof(names), &err);
		CHECK_MSG(err == FDTW_ERR_NOSPACE, "cap %zu: %d", cap, err);
		free(tight);
	}
	for (size_t ncap = 0; ncap < 40; ncap++) {
		char *tight = malloc(ncap ? ncap : 1);
		small_tree(buf, sizeof(buf), tight, ncap, &err);
		CHECK_MSG(err == FDTW_ERR_NOSPACE, "names %zu: %d", ncap, err);
		free(tight);
	}

	/* Misuse is an error, never a malformed tree. */
	struct fdt_writer w;
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_prop_u32(&w, "x", 1);                     /* a property outside any node */
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_begin_node(&w, "child");
	fdtw_end_node(&w);
	fdtw_prop_u32(&w, "late", 1);                  /* a property after a child */
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_begin_node(&w, "open");
	fdtw_end_node(&w);
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);   /* the root left open */
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_begin_node(&w, "");                       /* a child without a name */
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_BADNAME);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_end_node(&w);
	fdtw_reserve(&w, 1, 1);                        /* a reservation after the nodes */
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_end_node(&w);
	fdtw_begin_node(&w, "");                       /* two roots */
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_end_node(&w);
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);   /* nothing at all */
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_begin_node(&w, longname);
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_BADNAME);
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	for (int i = 0; i < FDT_MAX_DEPTH + 1; i++)
		fdtw_begin_node(&w, "d");
	CHECK(fdtw_finish(&w, &size) == FDTW_ERR_ORDER);
	/* Names are shared in the strings block. */
	fdtw_init(&w, buf, sizeof(buf), names, sizeof(names));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "same", 1);
	fdtw_begin_node(&w, "a");
	fdtw_prop_u32(&w, "same", 2);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	CHECK(fdtw_finish(&w, &size) == 0 && w.names_len == 5);
}

static void selftest_logic(void)
{
	uint64_t b, s;
	CHECK(pt_page_span(0x0a000000, 0x200, &b, &s) == 0 && b == 0x0a000000 && s == 0x1000);
	CHECK(pt_page_span(0x0a000e00, 0x400, &b, &s) == 0 && b == 0x0a000000 && s == 0x2000);
	CHECK(pt_page_span(0x1000, 0, &b, &s) == -1);
	CHECK(pt_page_span(UINT64_MAX - 10, 100, &b, &s) == -1);
	CHECK(pt_page_span(UINT64_MAX - 0x1000, 0x10, &b, &s) == -1);

	const struct pt_range busy[] = {
		{0x09000000, 0x1000, "console UART"},
		{0x0a000200, 0x200, "guest1's virtio_mmio@a000200"},
		{0x40000000, 0x40000000, "RAM"},
	};
	const struct pt_range *c = pt_conflict(0x09000000, 0x200, busy, 3);
	CHECK(c && !strcmp(c->owner, "console UART"));
	c = pt_conflict(0x0a000000, 0x200, busy, 3);       /* the same page as guest1's */
	CHECK(c && !strcmp(c->owner, "guest1's virtio_mmio@a000200"));
	CHECK(pt_conflict(0x0a001000, 0x200, busy, 3) == NULL);
	c = pt_conflict(0x3ffff000, 0x2000, busy, 3);
	CHECK(c && !strcmp(c->owner, "RAM"));
	CHECK(pt_conflict(0x3ffff000, 0x1000, busy, 3) == NULL);
	/* Empty or wrapping: a conflict (fails closed), not "nothing in the way". */
	c = pt_conflict(0x0a001000, 0, busy, 3);
	CHECK(c && c->size == 0);
	c = pt_conflict(UINT64_MAX - 0x10, 0x100, busy, 0);
	CHECK(c && c->size == 0);

	uint32_t used[2] = {0, 0};
	used[1] |= 1u << (33 - 32);                        /* the guest's UART */
	CHECK(pt_guest_irq(48, used, 64) == 48);
	CHECK(pt_guest_irq(33, used, 64) == 32);           /* taken: the lowest free SPI */
	CHECK(pt_guest_irq(79, used, 64) == 32);           /* beyond the guest's GIC */
	CHECK(pt_guest_irq(27, used, 64) == 32);           /* a PPI never maps to itself */
	used[1] = 0xffffffffu;
	CHECK(pt_guest_irq(48, used, 64) == -1);

	static const char list[] = "/a\0/b@1";
	int pos = 0;
	const char *p = pt_next_string(list, sizeof(list), &pos);
	CHECK(p && !strcmp(p, "/a"));
	p = pt_next_string(list, sizeof(list), &pos);
	CHECK(p && !strcmp(p, "/b@1"));
	CHECK(pt_next_string(list, sizeof(list), &pos) == NULL);
	pos = 0;
	CHECK(pt_next_string("/a\0/unterminated", 16, &pos) && !pt_next_string("/a\0/unterminated", 16, &pos));
	pos = 0;
	CHECK(pt_next_string(NULL, 0, &pos) == NULL);
}

/* GIC specifiers only (<type num flags>), as the hypervisor's GIC driver translates them. */
static int gic_xlate(const struct fdt *fdt, int ctrl, const uint32_t *cells, int nc, unsigned *irq)
{
	(void)fdt;
	(void)ctrl;
	if (nc != 3 || cells[0] > 1)
		return -1;
	*irq = (cells[0] ? 16u : 32u) + cells[1];
	return 0;
}

static int do_shared(const char *file, const char *path)
{
	struct fdt host;
	uint32_t cells[4];
	int nc, ctrl;
	unsigned irq;
	if (open_fdt(file, &host))
		return 1;
	int node = fdt_path_offset(&host, path);
	if (node < 0 || fdt_get_interrupt_ctrl(&host, node, 0, &ctrl, cells, 4, &nc) ||
	    gic_xlate(&host, ctrl, cells, nc, &irq)) {
		printf("error: no %s with an interrupt\n", path);
		return 1;
	}
	for (int n = -1; (n = pt_next_sharing(&host, node, ctrl, irq, n, gic_xlate)) >= 0; )
		printf("%s\n", fdt_node_name(&host, n));
	return 0;
}

/* Every function of each card pin on a Pi 3: only ALT3 (7) routes the SD host there; on
 * a Pi 4 those pins never reach the card, its own pins' mux (bit 1) does. */
static void selftest_sd_route(void)
{
	/* The firmware's default: GPIO 48-53 ALT0 (sdhost), three bits per pin. */
	static const uint32_t alt0 = 044u << 24, alt0_5 = 04444u;
	for (unsigned pin = 48; pin <= 53; pin++)
		for (uint32_t f = 0; f < 8; f++) {
			unsigned shift = (pin % 10) * 3;
			struct rpi_gpio_sd s = {.gpfsel4 = alt0, .gpfsel5 = alt0_5};
			uint32_t *reg = pin < 50 ? &s.gpfsel4 : &s.gpfsel5;
			*reg = (*reg & ~(7u << shift)) | f << shift;
			CHECK_MSG(!rpi_sd_route_refusal(&s) == (f != 7), "pi3 pin %u function %u", pin, f);
			s.bcm2711 = true;
			CHECK_MSG(!rpi_sd_route_refusal(&s), "pi4 pin %u function %u", pin, f);
		}
	struct rpi_gpio_sd s = {.bcm2711 = true, .sd_mux = RPI_SD_MUX_ARASAN};
	CHECK(rpi_sd_route_refusal(&s) != NULL);
	s.sd_mux = ~RPI_SD_MUX_ARASAN;
	CHECK(rpi_sd_route_refusal(&s) == NULL);
}

static int do_sdroute(char **argv, int argc)
{
	struct rpi_gpio_sd s = {
		.bcm2711 = !strcmp(argv[2], "pi4"),
		.gpfsel4 = (uint32_t)strtoul(argv[3], NULL, 0),
		.gpfsel5 = (uint32_t)strtoul(argv[4], NULL, 0),
		.sd_mux = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0,
	};
	const char *why = rpi_sd_route_refusal(&s);
	printf("%s%s\n", why ? "refused: " : "allowed", why ? why : "");
	return 0;
}

static int do_dma(char **argv)
{
	struct fdt host;
	if (open_fdt(argv[2], &host))
		return 1;
	int node = fdt_path_offset(&host, argv[3]);
	if (node < 0) {
		printf("error: no %s\n", argv[3]);
		return 1;
	}
	struct fdt_dma_range w[PT_MAX_DMA];
	int n = pt_dma_windows(&host, node, w, PT_MAX_DMA);
	if (n < 0) {
		printf("error: %s\n", fdt_strerror(n));
		return 1;
	}
	for (int i = 0; i < n; i++)
		printf("bus 0x%llx cpu 0x%llx size 0x%llx\n", (unsigned long long)w[i].bus,
		       (unsigned long long)w[i].parent, (unsigned long long)w[i].size);
	bool r = pt_dma_reaches(w, n, strtoull(argv[4], NULL, 0), strtoull(argv[5], NULL, 0));
	printf("%s\n", r ? "reaches" : "does not reach");
	return 0;
}

static int do_power(char **argv)
{
	struct fdt host;
	if (open_fdt(argv[2], &host))
		return 1;
	int node = fdt_path_offset(&host, argv[3]);
	uint32_t dev = 0;
	int err = node < 0 ? RPI_FW_ERR_NODEV : rpi_fw_power_device(&host, node, &dev);
	if (err)
		printf("error: %s\n", rpi_fw_strerror(err));
	else
		printf("device %u\n", dev);
	return 0;
}

/* The firmware's SET_POWER_STATE message and every way its answer can be wrong. */
static void selftest_power(void)
{
	uint32_t m[RPI_FW_POWER_MSG_WORDS];
	rpi_fw_power_request(m, RPI_FW_POWER_USB_HCD, true);
	static const uint32_t want[] = {32, 0, 0x00028001, 8, 0, 3, 3, 0};
	CHECK(!memcmp(m, want, sizeof(want)));
	rpi_fw_power_request(m, 3, false);
	CHECK(m[6] == RPI_FW_POWER_WAIT);
	/* An answer: response code, the tag's response bit with its length, state on. */
	static const uint32_t ok[] = {32, 0x80000000u, 0x00028001, 8, 0x80000008u, 3, 1, 0};
	memcpy(m, ok, sizeof(ok));
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_OK);
	CHECK(rpi_fw_power_response(m, 3, false) == RPI_FW_ERR_POWER_STATE);
	CHECK(rpi_fw_power_response(m, 4, true) == RPI_FW_ERR_VALUE);
	m[6] = 2;                                   /* "no such device" */
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_POWER_MISSING);
	m[6] = 0;                                   /* still off */
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_POWER_STATE);
	CHECK(rpi_fw_power_response(m, 3, false) == RPI_FW_OK);
	memcpy(m, ok, sizeof(ok));
	m[4] = 8;                                   /* the tag not answered */
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_TAG);
	m[4] = 0x80000004u;                         /* a short answer */
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_TAG);
	memcpy(m, ok, sizeof(ok));
	m[2] = 0x00030002;                          /* another tag */
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_TAG);
	m[1] = 0x80000001u;
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_REFUSED);
	m[1] = 0;                                   /* untouched: no answer */
	CHECK(rpi_fw_power_response(m, 3, true) == RPI_FW_ERR_NOANSWER);
}

/* DMA windows: which RAM a bus master reaches. */
static void selftest_dma(void)
{
	const struct fdt_dma_range pi3 = {0xc0000000, 0, 0x3f000000};
	CHECK(pt_dma_reaches(NULL, 0, 0x80000000, 1));            /* no translation */
	CHECK(pt_dma_reaches(&pi3, 1, 0x2ee00000, 0x10000000));
	CHECK(pt_dma_reaches(&pi3, 1, 0x2f000000, 0x10000000));   /* ends at the window's end */
	CHECK(!pt_dma_reaches(&pi3, 1, 0x2f200000, 0x10000000));
	CHECK(!pt_dma_reaches(&pi3, 1, 0x3f000000, 0x1000));
	CHECK(!pt_dma_reaches(&pi3, 1, 0x1000, 0));               /* empty */
	CHECK(!pt_dma_reaches(&pi3, 1, UINT64_MAX - 10, 100));    /* wraps */
	const struct fdt_dma_range two[] = {{0, 0x80000000, 0x1000000}, {0x40000000, 0x1000000, 0x1000000}};
	CHECK(pt_dma_reaches(two, 2, 0x1800000, 0x800000) && !pt_dma_reaches(two, 2, 0x1800000, 0x800001));
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "dma"))
		return do_dma(argv);
	if (argc == 4 && !strcmp(argv[1], "power"))
		return do_power(argv);
	if (argc == 4 && !strcmp(argv[1], "shared"))
		return do_shared(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "sdroute"))
		return do_sdroute(argv, argc);
	if (argc == 4 && !strcmp(argv[1], "copy"))
		return do_copy(argv[2], argv[3]);
	if (argc >= 6 && !strcmp(argv[1], "guest"))
		return do_guest(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "selftest")) {
		selftest_writer();
		selftest_logic();
		selftest_sd_route();
		selftest_power();
		selftest_dma();
		return check_summary("passthrough selftest");
	}
	fprintf(stderr, "usage: passthrough_check copy IN OUT | guest GUEST HOST OUT RAMBASE "
		"PATH[=CLOCK_HZ]... | shared HOST PATH | dma HOST PATH RAMBASE RAMSIZE |\n"
		"       power HOST PATH | sdroute pi3|pi4 GPFSEL4 GPFSEL5 [SDMUX] | selftest\n");
	return 2;
}
