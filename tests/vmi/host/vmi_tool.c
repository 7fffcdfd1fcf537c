/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmi_tool: the introspection library (core/vmi) on the host, over a guest
 * RAM dump, a register file and a profile.
 *
 *   vmi_tool DUMP GPA REGS PROFILE [--no-tlb] CMD [ARG]...
 *
 * REGS: "name value" lines (regs_file.h). Commands (each prints lines, then the next command runs):
 *   info               "slide 0x.. <source>"
 *   banner             "banner <linux_banner>"
 *   tasks | pids       "task PID TGID PPID UID KTHREAD COMM"
 *   modules            "module NAME BASE SIZE"
 *   syscalls N [TABLE] "syscall I 0xADDR SYMBOL"  (TABLE[0..N), default sys_call_table)
 *   str ADDR MAX       "str <rc> <text>"
 *   list HEAD LIMIT FLAGS  "node 0xADDR" per list_head (FLAGS 1: check prev)
 *   bench N            timing lines "bench <what> <ns>"
 *   netscan BOOT       `ids net`'s scan (commands/ids/net_scan.c), its memory of unlinked
 *                      sockets kept from one netscan to the next: "netscan ..." totals,
 *                      "netsock ..." per listed socket, "unlinked ..." per unlinked one
 *   pause | resume     the guest's progress value stops / moves again (it moves
 *                      before each netscan of a running guest)
 *   poke GPA HEX       writes bytes into (a private copy of) the dump
 * A failure prints "error <code>: <message>" and exits 1.
 */
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../../commands/ids/net_scan.h"
#include "regs_file.h"

/* The work counters, printed last on every path: tests bound the work a hostile guest
 * can cause by these counts, not by the wall clock. */
static void print_stats(const struct vmi *v)
{
	printf("stats walks %llu tlb_hits %llu phys_reads %llu find_reads %llu\n",
	       (unsigned long long)v->stats.walks, (unsigned long long)v->stats.tlb_hits,
	       (unsigned long long)v->stats.phys_reads, (unsigned long long)v->stats.find_reads);
}

static int fail(struct vmi *v, int rc)
{
	printf("error %s: %s\n", vmi_strerror(rc), vmi_error(v));
	print_stats(v);
	exit(1);
}

static uint8_t *map_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		exit(2);
	}
	*len = (size_t)st.st_size;
	/* Private: poke changes this process's copy, never the file. */
	void *p = mmap(NULL, *len ? *len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror(path);
		exit(2);
	}
	return p;
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end) {
		fprintf(stderr, "vmi_tool: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int print_task(void *ctx, const struct vmi_task *t)
{
	(void)ctx;
	printf("task %d %d %d %u %d %s\n", t->pid, t->tgid, t->ppid, t->uid, t->kthread, t->comm);
	return 0;
}

static int print_module(void *ctx, const struct vmi_module *m)
{
	(void)ctx;
	printf("module %s 0x%llx 0x%llx\n", m->name, (unsigned long long)m->base,
	       (unsigned long long)m->size);
	return 0;
}

static int print_sysfs_module(void *ctx, const struct vmi_sysfs_module *m)
{
	(void)ctx;
	printf("sysfs %s 0x%llx 0x%llx\n", m->name, (unsigned long long)m->kobj,
	       (unsigned long long)m->mod);
	return 0;
}

static int print_kprobe(void *ctx, const struct vmi_kprobe *k)
{
	(void)ctx;
	printf("kprobe 0x%llx 0x%llx 0x%llx\n", (unsigned long long)k->addr,
	       (unsigned long long)k->target, (unsigned long long)k->pre_handler);
	return 0;
}

static int print_ftrace(void *ctx, const struct vmi_ftrace_ops *o)
{
	(void)ctx;
	printf("ftrace 0x%llx 0x%llx\n", (unsigned long long)o->addr, (unsigned long long)o->func);
	return 0;
}

static int print_sock(void *ctx, const struct vmi_sock *s)
{
	char l[VMI_ADDR_LEN], r[VMI_ADDR_LEN];
	(void)ctx;
	vmi_format_addr(s->family, s->laddr, l, sizeof(l));
	vmi_format_addr(s->family, s->raddr, r, sizeof(r));
	printf("sock %s %s%s %s %u %s %u state %u sk 0x%llx socket 0x%llx\n", s->table,
	       s->proto == VMI_PROTO_TCP ? "tcp" : s->proto == VMI_PROTO_UDP ? "udp" : "other", s->family == VMI_AF_INET6 ? "6" : "",
	       l, s->lport, r, s->rport, s->state, (unsigned long long)s->sk,
	       (unsigned long long)s->socket);
	return 0;
}

static int print_sock_file(void *ctx, const struct vmi_task *t, uint32_t fd, uint64_t sk)
{
	(void)ctx;
	printf("sockfile %d %s %u 0x%llx\n", t->pid, t->comm, fd, (unsigned long long)sk);
	return 0;
}

static struct net_sock scan_socks[NET_MAX_SOCKS];
static struct sk_ref scan_by_sk[NET_MAX_SOCKS];
static uint64_t scan_in_table[NET_WALK_LIMIT];
static struct net_scan scan = {.socks = scan_socks, .by_sk = scan_by_sk,
			       .in_table = scan_in_table};
static struct net_memo memo;
static uint64_t progress;        /* the guest's progress: moves before each netscan unless paused */
static bool paused;

static void netscan(struct vmi *v, uint64_t boot)
{
	struct net_scan *c = &scan;
	if (!paused)
		progress++;
	net_scan_run(v, c, &memo, boot, progress);
	printf("netscan socks %u beyond %u tables %d owners %d checked %d layout %d skipped %llu "
	       "tasks %u unread %u unreadable %u dropped %u reads %u ntable %u disguised %u memo %u\n",
	       c->n, c->beyond, c->tables_rc, c->owners_rc, c->checked, c->layout,
	       (unsigned long long)c->files.skipped, c->files.tasks, c->unread, c->unreadable,
	       c->suspects_dropped, c->reads, c->ntable, c->files.disguised, memo.n);
	if (!c->layout)
		printf("netscan layout_err %s\n", c->layout_err);
	if (c->tables_rc < 0)
		printf("netscan tables_err %s\n", c->tables_err);
	if (c->owners_rc < 0)
		printf("netscan owners_err %s\n", c->owners_err);
	for (unsigned i = 0; i < c->n; i++)
		if (c->socks[i].owned)
			printf("netsock %u %d %s\n", c->socks[i].s.lport, c->socks[i].pid,
			       c->socks[i].comm);
	for (unsigned i = 0; i < c->nsuspects; i++) {
		const struct net_suspect *o = &c->suspects[i];
		static const char *const why[] = {"-", "again", "rehashed", "no_room"};
		printf("unlinked %s pid %d %s fd %u port %u state %u sk 0x%llx why %s\n",
		       !c->checked ? "unjudged"
				   : o->verdict == NET_UNLINKED_HIDDEN ? "HIDDEN" : "confirming",
		       o->pid, o->comm, o->fd, o->s.lport, o->s.state, (unsigned long long)o->s.sk,
		       why[o->why]);
	}
}

static int count_task(void *ctx, const struct vmi_task *t)
{
	(void)t;
	(*(unsigned *)ctx)++;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void bench(struct vmi *v, unsigned n)
{
	uint64_t init, x, t0;
	unsigned tasks = 0;
	int rc;

	if ((rc = vmi_sym(v, "init_task", &init)))
		fail(v, rc);
	for (int tlb = 1; tlb >= 0; tlb--) {
		v->use_tlb = tlb;
		vmi_flush(v);
		t0 = now_ns();
		for (unsigned i = 0; i < n; i++)
			if ((rc = vmi_read_ulong(v, init + v->ptr_size * (i % 64), &x)))
				fail(v, rc);
		printf("bench read_u64%s %llu\n", tlb ? "" : "_notlb",
		       (unsigned long long)((now_ns() - t0) / n));
		t0 = now_ns();
		for (unsigned i = 0; i < n / 100 + 1; i++) {
			tasks = 0;
			vmi_flush(v);
			if ((rc = vmi_task_foreach(v, 100000, count_task, &tasks)))
				fail(v, rc);
		}
		uint64_t per_walk = (now_ns() - t0) / (n / 100 + 1);
		printf("bench task_walk%s %llu tasks %u per_task %llu\n", tlb ? "" : "_notlb",
		       (unsigned long long)per_walk, tasks,
		       (unsigned long long)(tasks ? per_walk / tasks : 0));
	}
	v->use_tlb = true;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: vmi_tool DUMP GPA REGS PROFILE [--no-tlb] CMD [ARG]...\n");
		return 2;
	}
	size_t dump_len, prof_len;
	uint8_t *dump = map_file(argv[1], &dump_len);
	const uint8_t *pdata = map_file(argv[4], &prof_len);
	struct vmi_bank bank = { num(argv[2]), dump_len, dump };
	struct vmi_regs regs;
	struct profile prof;
	char err[160];
	static struct vmi v;

	if (read_regs_file(argv[3], &regs)) {
		perror(argv[3]);
		exit(2);
	}
	if (profile_load(&prof, pdata, prof_len, err, sizeof(err))) {
		printf("error profile: %s\n", err);
		return 1;
	}
	int i = 5, rc;
	bool tlb = true;
	if (!strcmp(argv[i], "--no-tlb")) {
		tlb = false;
		i++;
	}
	if ((rc = vmi_init(&v, &bank, 1, &regs, &prof)))
		fail(&v, rc);
	v.use_tlb = tlb;
	for (; i < argc; i++) {
		const char *cmd = argv[i];
		if (!strcmp(cmd, "info")) {
			printf("slide 0x%llx %s\n", (unsigned long long)v.slide, v.slide_source);
		} else if (!strcmp(cmd, "arch")) {
			printf("arch %s ptr %u kva 0x%llx-0x%llx\n",
			       v.arch == VMI_ARCH_ARMV5 ? "armv5" : "arm64", v.ptr_size,
			       (unsigned long long)v.kva_start, (unsigned long long)v.kva_end);
		} else if (!strcmp(cmd, "anchors")) {
			for (unsigned k = 0; k < v.nanchors; k++)
				printf("anchor %s %s %s\n", v.anchors[k].name, v.anchors[k].ok ? "ok" : "FAILED",
				       v.anchors[k].detail);
		} else if (!strcmp(cmd, "busy")) {
			const char *which = "";
			rc = vmi_lists_busy(&v, &which);
			if (rc < 0)
				fail(&v, rc);
			printf("busy %d %s\n", rc, rc ? which : "-");
		} else if (!strcmp(cmd, "sysfs")) {
			if ((rc = vmi_sysfs_module_foreach(&v, 10000, print_sysfs_module, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "kprobes")) {
			if ((rc = vmi_kprobe_foreach(&v, 10000, print_kprobe, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "ftrace")) {
			if ((rc = vmi_ftrace_foreach(&v, 10000, print_ftrace, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "net")) {
			if ((rc = vmi_sock_foreach(&v, 10000, print_sock, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "sockfiles")) {
			struct vmi_sock_file_stats st;
			if ((rc = vmi_sock_file_foreach(&v, 10000, 4096, VMI_SOCK_FILE_BUDGET,
							print_sock_file, NULL, &st)))
				fail(&v, rc);
			printf("sockfiles skipped %llu tasks %u first_pid %d first_max %u\n",
			       (unsigned long long)st.skipped, st.tasks, st.first_pid, st.first_max);
			if (st.disguised)
				printf("sockfiles disguised %u first_pid %d %s\n", st.disguised,
				       st.disguised_pid, st.disguised_comm);
		} else if (!strcmp(cmd, "sockfiles_budget") && i + 1 < argc) {
			uint32_t budget = (uint32_t)num(argv[++i]);
			if ((rc = vmi_sock_file_foreach(&v, 10000, 4096, budget, print_sock_file, NULL,
							NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
			paused = !strcmp(cmd, "pause");
		} else if (!strcmp(cmd, "netscan") && i + 1 < argc) {
			netscan(&v, num(argv[++i]));
		} else if (!strcmp(cmd, "poke") && i + 2 < argc) {
			uint64_t gpa = num(argv[++i]);
			const char *h = argv[++i];
			size_t n = strlen(h) / 2;
			if (gpa < bank.gpa || gpa - bank.gpa > dump_len || n > dump_len - (gpa - bank.gpa)) {
				fprintf(stderr, "vmi_tool: poke outside the dump\n");
				exit(2);
			}
			for (size_t k = 0; k < n; k++) {
				char byte[3] = {h[2 * k], h[2 * k + 1], 0};
				dump[gpa - bank.gpa + k] = (uint8_t)strtoul(byte, NULL, 16);
			}
		} else if (!strcmp(cmd, "sockread") && i + 1 < argc) {
			struct vmi_sock s;
			if ((rc = vmi_sock_read(&v, num(argv[++i]), &s)))
				fail(&v, rc);
			print_sock(NULL, &s);
			printf("sockread protocol %u type %u must_be_hashed %d net 0x%llx\n", s.protocol,
			       s.type, vmi_sock_must_be_hashed(&s), (unsigned long long)s.net);
		} else if (!strcmp(cmd, "proc") && i + 1 < argc) {
			struct vmi_proc_entry e;
			const char *name = argv[++i];
			if ((rc = vmi_proc_net_entry(&v, name, &e)))
				fail(&v, rc);
			printf("proc %s pde 0x%llx proc_ops 0x%llx seq_ops 0x%llx show 0x%llx\n", name,
			       (unsigned long long)e.pde, (unsigned long long)e.proc_ops,
			       (unsigned long long)e.seq_ops, (unsigned long long)e.show);
		} else if (!strcmp(cmd, "addr") && i + 2 < argc) {
			/* addr FAMILY HEX32: vmi_format_addr on 16 bytes given in hex. */
			uint8_t a[16] = {0};
			char out[VMI_ADDR_LEN];
			uint16_t fam = (uint16_t)num(argv[++i]);
			const char *h = argv[++i];
			for (size_t k = 0; k < 16 && h[2 * k] && h[2 * k + 1]; k++) {
				char byte[3] = {h[2 * k], h[2 * k + 1], 0};
				a[k] = (uint8_t)strtoul(byte, NULL, 16);
			}
			size_t n = vmi_format_addr(fam, a, out, sizeof(out));
			printf("addr %s %zu\n", out, n);
		} else if (!strcmp(cmd, "banner")) {
			uint64_t a;
			char buf[512];
			if ((rc = vmi_sym(&v, "linux_banner", &a)) || (rc = vmi_read_str(&v, a, buf, sizeof(buf))))
				fail(&v, rc);
			buf[strcspn(buf, "\n")] = 0;
			printf("banner %s\n", buf);
		} else if (!strcmp(cmd, "tasks")) {
			if ((rc = vmi_task_foreach(&v, 100000, print_task, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "pids")) {
			if ((rc = vmi_pid_foreach(&v, 100000, print_task, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "modules")) {
			if ((rc = vmi_module_foreach(&v, 10000, print_module, NULL)))
				fail(&v, rc);
		} else if (!strcmp(cmd, "syscalls") && i + 1 < argc) {
			uint64_t table, n = num(argv[++i]), h;
			const char *tname = "sys_call_table";
			char name[128];
			if (i + 1 < argc && strstr(argv[i + 1], "call_table"))
				tname = argv[++i];
			if ((rc = vmi_sym(&v, tname, &table)))
				fail(&v, rc);
			for (uint64_t k = 0; k < n; k++) {
				if ((rc = vmi_read_ulong(&v, table + v.ptr_size * k, &h)))
					fail(&v, rc);
				vmi_symbolize(&v, h, name, sizeof(name));
				printf("syscall %llu 0x%llx %s\n", (unsigned long long)k,
				       (unsigned long long)h, name);
			}
		} else if (!strcmp(cmd, "str") && i + 2 < argc) {
			uint64_t a = num(argv[i + 1]);
			size_t max = (size_t)num(argv[i + 2]);
			char *buf = malloc(max ? max : 1);
			i += 2;
			rc = vmi_read_str(&v, a, buf, max);
			printf("str %d %s\n", rc, rc == VMI_OK || rc == VMI_ETRUNC ? buf : vmi_error(&v));
			free(buf);
		} else if (!strcmp(cmd, "list") && i + 3 < argc) {
			struct vmi_list_iter it;
			uint64_t node;
			vmi_list_init(&it, &v, num(argv[i + 1]), (uint32_t)num(argv[i + 2]),
				      (uint32_t)num(argv[i + 3]));
			i += 3;
			while ((rc = vmi_list_next(&it, &node)) == 1)
				printf("node 0x%llx\n", (unsigned long long)node);
			if (rc)
				fail(&v, rc);
		} else if (!strcmp(cmd, "bench") && i + 1 < argc) {
			bench(&v, (unsigned)num(argv[++i]));
		} else {
			fprintf(stderr, "vmi_tool: unknown command '%s'\n", cmd);
			return 2;
		}
	}
	print_stats(&v);
	return 0;
}
