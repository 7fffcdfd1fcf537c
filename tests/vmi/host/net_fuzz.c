/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for `ids net`'s walks (core/vmi/net.c) and its scan with
 * the verdicts on unlinked sockets (commands/ids/net_scan.c): a synthetic
 * guest (tests/vmi/vmi_fake_net.py writes it into $MAMORU_NET_FUZZ_DIR:
 * mem.bin, regs.txt, guest.profile) whose socket tables, fd tables and
 * /proc/net tree the input overwrites. The regions the input covers, as
 * byte offsets into mem.bin, are in $MAMORU_NET_FUZZ_REGIONS ("off:len,...").
 * Every input must end in a result or a clean error: no sanitizer report,
 * no hang (libFuzzer's -timeout). Run briefly by tests/vmi/test_vmi_net.py.
 */
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../commands/ids/net_scan.h"
#include "regs_file.h"

#define MAX_REGIONS 4

static uint8_t *orig, *mem;
static size_t mem_len;
static struct vmi_bank bank;
static struct vmi_regs regs;
static struct profile prof;
static uint8_t *prof_data;
static struct vmi v;
static size_t region_off[MAX_REGIONS], region_len[MAX_REGIONS], nregions;
static volatile uint64_t sink;
static struct net_sock scan_socks[NET_MAX_SOCKS];
static struct sk_ref scan_by_sk[NET_MAX_SOCKS];
static uint64_t scan_in_table[NET_WALK_LIMIT];
static struct net_scan scan = {.socks = scan_socks, .by_sk = scan_by_sk,
			       .in_table = scan_in_table};
static uint64_t progress;
static struct net_memo memo;

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (*len = (size_t)ftell(f), fseek(f, 0, SEEK_SET))) {
		perror(path);
		exit(2);
	}
	uint8_t *p = malloc(*len ? *len : 1);
	if (!p || fread(p, 1, *len, f) != *len)
		exit(2);
	fclose(f);
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("MAMORU_NET_FUZZ_DIR"), *spec = getenv("MAMORU_NET_FUZZ_REGIONS");
	const char *gpa = getenv("MAMORU_NET_FUZZ_GPA");
	char path[512], err[160];
	size_t plen;
	if (!dir || !spec || !gpa) {
		fprintf(stderr, "net_fuzz: set MAMORU_NET_FUZZ_DIR, _REGIONS and _GPA\n");
		exit(2);
	}
	orig = slurp(dir, "mem.bin", &mem_len);
	mem = malloc(mem_len);
	if (!mem)
		exit(2);
	memcpy(mem, orig, mem_len);
	prof_data = slurp(dir, "guest.profile", &plen);
	snprintf(path, sizeof(path), "%s/regs.txt", dir);
	if (read_regs_file(path, &regs) || profile_load(&prof, prof_data, plen, err, sizeof(err))) {
		fprintf(stderr, "net_fuzz: bad regs or profile\n");
		exit(2);
	}
	for (const char *p = spec; *p && nregions < MAX_REGIONS; ) {
		char *end;
		region_off[nregions] = strtoul(p, &end, 0);
		region_len[nregions] = strtoul(end + 1, &end, 0);
		if (region_off[nregions] > mem_len || region_len[nregions] > mem_len - region_off[nregions])
			exit(2);
		nregions++;
		p = *end ? end + 1 : end;
	}
	bank = (struct vmi_bank){strtoull(gpa, NULL, 0), mem_len, mem};
	if (vmi_init(&v, &bank, 1, &regs, &prof)) {
		fprintf(stderr, "net_fuzz: vmi_init: %s\n", vmi_error(&v));
		exit(2);
	}
	return 0;
}

static int on_sock(void *ctx, const struct vmi_sock *s)
{
	char a[VMI_ADDR_LEN];
	(void)ctx;
	sink += vmi_format_addr(s->family, s->laddr, a, sizeof(a)) + strlen(a);
	sink += vmi_format_addr(s->family, s->raddr, a, sizeof(a)) + s->lport + s->state;
	return 0;
}

static int on_file(void *ctx, const struct vmi_task *t, uint32_t fd, uint64_t sk)
{
	(void)ctx;
	sink += (uint64_t)t->pid + fd + sk;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmi_proc_entry e;
	for (size_t i = 0; i < nregions; i++) {
		size_t n = size < region_len[i] ? size : region_len[i];
		memcpy(mem + region_off[i], orig + region_off[i], region_len[i]);
		memcpy(mem + region_off[i], data, n);
		data += n;
		size -= n;
	}
	vmi_flush(&v);
	sink += (uint64_t)vmi_sock_foreach(&v, 4096, on_sock, NULL);
	sink += (uint64_t)vmi_sock_file_foreach(&v, 1024, 4096, 1u << 16, on_file, NULL, NULL);
	sink += (uint64_t)vmi_proc_net_entry(&v, "tcp", &e) + e.show;
	sink += (uint64_t)vmi_proc_net_entry(&v, "raw", &e);
	sink += strlen(vmi_error(&v));
	/* Three times: later scans judge against the memory of earlier ones, one of a
	 * guest that did not run in between. */
	for (int i = 0; i < 3; i++) {
		net_scan_run(&v, &scan, &memo, 1, progress += i != 1);
		sink += scan.n + scan.beyond + scan.nsuspects + scan.files.skipped + memo.n;
	}
	return 0;
}
