/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IDS reporters on the host (commands/ids/report_{text,json}.c):
 *   report_check text|json|check <string>
 * emits one record of every type, with <string> (any bytes: quotes,
 * backslashes, control bytes, invalid UTF-8, thousands of bytes) in every
 * string field and as the guest's name, through the reporter that the
 * `ids` commands use, to stdout. tests/vmi/test_ids_report.py checks that
 * each JSON line parses and gives the bytes back, and that no control byte
 * reaches the terminal in text.
 */
#include <stdio.h>
#include <string.h>

#include "../../../commands/ids/report.h"

static void out(struct console *con, const char *buf, size_t len)
{
	(void)con;
	fwrite(buf, 1, len, stdout);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "text") && strcmp(argv[1], "json") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: report_check text|json|check <string>\n");
		return 2;
	}
	const char *h = argv[2];
	struct console con = {.write = out};
	struct ids_reporter r;
	ids_reporter_init(&r, &con, !strcmp(argv[1], "json"), !strcmp(argv[1], "check"), h);

	const struct ids_record recs[] = {
		{.type = IDS_REC_BANNER, .banner = {.text = h, .slide = 0x1230000}},
		{.type = IDS_REC_PROCESS, .process = {.pid = 42, .ppid = 1, .uid = 0, .state = 'S',
						      .name = h, .task = 0xffff000012345678ull}},
		{.type = IDS_REC_PROCESS, .findings = 1, .process = {.pid = 43, .ppid = 1, .state = 'R',
						      .kthread = true, .name = h, .finding = h}},
		{.type = IDS_REC_SYSCALL, .findings = 1, .syscall = {
			.table = "sys_call_table", .nr = 61, .addr = 0xffff800001000000ull, .symbol = h,
			.in_text = false, .owner = h, .owner_hidden = true, .expected = h}},
		{.type = IDS_REC_SYSCALL, .findings = 1, .syscall = {
			.table = "compat_sys_call_table", .compat = true, .nr = 1, .addr = 0x10,
			.symbol = h, .in_text = true, .differs = true}},
		{.type = IDS_REC_MODULE, .module = {.name = h, .base = 0x1000, .size = 4096, .addr = 0x2000}},
		{.type = IDS_REC_HOOK, .findings = 1, .hook = {.kind = "kprobe", .object = 0x3000,
							       .target = h, .handler = h, .hidden = true}},
		{.type = IDS_REC_SOCKET, .socket = {.proto = "tcp", .laddr = "0.0.0.0", .lport = 23,
						    .raddr = "0.0.0.0", .state = "LISTEN", .pid = 77,
						    .name = h, .sk = 0x5000, .hidden = h}},
		{.type = IDS_REC_SOCKET, .socket = {.proto = "tcp6", .laddr = "::", .lport = 24,
						    .raddr = "::", .state = "LISTEN", .pid = 78,
						    .name = h, .sk = 0x5400, .info = h}},
		{.type = IDS_REC_INTEGRITY, .findings = 1, .integrity = {.region = "text", .addr = 0x4000,
									 .at = h, .now = h, .kind = h}},
		{.type = IDS_REC_FINDING, .findings = 1, .finding = {.check = h, .text = h}},
		{.type = IDS_REC_ELIDED, .findings = 3, .elided = {.check = h, .count = 3}},
		{.type = IDS_REC_NOTE, .note = h},
		{.type = IDS_REC_ERROR, .error = h},
		{.type = IDS_REC_PARTIAL, .finding = {.check = h, .text = h}},
		{.type = IDS_REC_TOTALS, .totals = {.scan = IDS_SCAN_INTEGRITY, .findings = 9, .count = 9,
						    .text_bytes = 4096, .rodata_bytes = 8192, .pages = 3}},
		{.type = IDS_REC_TOTALS, .totals = {.scan = IDS_SCAN_NET, .findings = 1, .count = 2,
						    .partial = 1}},
		{.type = IDS_REC_TOTALS, .totals = {.scan = IDS_SCAN_CHECK, .findings = 0, .partial = 2}},
		{.type = IDS_REC_TOTALS, .totals = {.scan = IDS_SCAN_CHECK, .findings = 9, .partial = 1}},
		{.type = IDS_REC_TOTALS, .totals = {.scan = IDS_SCAN_CHECK, .findings = 9}},
	};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		r.sink.emit(&r.sink, &recs[i]);
	return 0;
}
