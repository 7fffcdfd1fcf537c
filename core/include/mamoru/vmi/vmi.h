/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest introspection (VMI): reads a Linux guest's kernel data from outside.
 *
 * Portable: guest memory is a list of banks (guest-physical range + where
 * the bytes are in our address space), vCPU state a struct of registers,
 * kernel layout a profile. Nothing here is hypervisor-specific.
 *
 * The guest controls every byte read: every loop is bounded, every pointer
 * validated, reads never leave the banks. Functions return VMI_OK (0) or a
 * negative enum vmi_err; vmi_error(v) then says what was tried and why it
 * failed, e.g. "reading task_struct.comm of task at 0xffff...: 0xffff...:
 * level 3 translation fault at descriptor 0x... (entry 0x0, index 5): ...".
 *
 * Not thread-safe: one struct vmi per user. While the guest runs, call
 * vmi_flush() before each new look (translations may have changed).
 */
#ifndef MAMORU_VMI_VMI_H
#define MAMORU_VMI_VMI_H

#include <arch/guest_walk.h>
#include <mamoru/types.h>
#include <mamoru/vmi/walk_short.h>

struct profile;

struct vmi_bank {
	uint64_t gpa;
	uint64_t size;
	const uint8_t *host; /* where guest-physical gpa is readable */
};

/*
 * The guest's translation regime, from the profile (str.arch; a profile
 * without it is arm64): it decides the walker, the pointer size and which
 * registers below mean something.
 */
enum vmi_arch {
	VMI_ARCH_ARM64 = 0, /* AArch64 EL1&0, TTBR0/TTBR1 + TCR (guest_walk.h) */
	VMI_ARCH_ARMV5 = 1, /* 32-bit ARMv5 short descriptors, TTBR0 only (walk_short.h) */
};

/* The vCPU state the introspection reads, architecture-neutral names:
 *   arm64: ttbr0/ttbr1/tcr/sctlr/vbar = TTBR0_EL1, TTBR1_EL1, TCR_EL1,
 *          SCTLR_EL1, VBAR_EL1; cur = SP_EL0 (the current task in the kernel).
 *   ARMv5: ttbr0 = the cp15 c2 translation table base, sctlr = the cp15 c1
 *          control register (M, V bits); ttbr1, tcr, vbar, cur unused (0). */
#define VMI_MAX_VCPUS 8

struct vmi_regs {
	uint64_t ttbr0, ttbr1, tcr, sctlr, vbar, cur, pc;
	/* VBAR_EL1 of each vCPU of a guest of several; ncpus 0 or 1: only vbar above. Looked
	 * at for the vCPUs that are on with their MMU on (bits of cpu_on): a rootkit may
	 * redirect the vectors of some CPUs only. */
	uint64_t cpu_vbar[VMI_MAX_VCPUS];
	unsigned ncpus;
	uint32_t cpu_on;
	/* Not a register but as trustworthy: the guest-physical address where the
	 * hypervisor loaded the kernel Image (0: unknown, e.g. a memory dump). */
	uint64_t image_pa;
};

enum vmi_err {
	VMI_OK = 0,
	VMI_EINVAL = -1,    /* bad argument */
	VMI_EPHYS = -2,     /* guest-physical address outside the banks */
	VMI_EFAULT = -3,    /* virtual address does not translate */
	VMI_ENOKEY = -4,    /* the profile lacks a symbol/member/constant */
	VMI_EKASLR = -5,    /* the kernel's slide could not be established */
	VMI_EBADPTR = -6,   /* a guest pointer failed validation */
	VMI_ELOOP = -7,     /* a cycle in a guest list or tree */
	VMI_ELIMIT = -8,    /* iteration limit reached */
	VMI_ECORRUPT = -9,  /* inconsistent guest data (next->prev, bad node) */
	VMI_ETRUNC = -10,   /* string longer than the buffer: truncated */
	VMI_ESTATE = -11,   /* vCPU state unusable (MMU off, ...) */
};

#define VMI_TLB_SIZE 64
#define VMI_KEY_CACHE 64
#define VMI_ERR_LEN 384

struct vmi_tlb_entry {
	uint64_t vpage; /* VA >> 12, plus 1 (0 = empty) */
	uint64_t ppage; /* PA >> 12 */
};

struct vmi_key_entry {
	uint32_t hash;
	bool found;
	uint64_t value;
	char key[48];
};

struct vmi_stats {
	uint64_t walks, tlb_hits, phys_reads;
	uint64_t find_reads;       /* descriptors read by vmi_init's searches for the image */
};

/*
 * What vmi_init checked to locate the kernel. Each anchor is an independent
 * piece of evidence (the Image header where the kernel was loaded, TTBR1_EL1,
 * the kernel's own mapping of its image, VBAR_EL1, linux_banner, init_task);
 * one that disagrees is evidence of tampering, kept here for the caller to
 * report, while the others still locate the kernel.
 */
#define VMI_MAX_ANCHORS 10
#define VMI_ANCHOR_LEN 200

struct vmi_anchor {
	const char *name;
	bool ok;
	char detail[VMI_ANCHOR_LEN]; /* what was expected and what was found */
};

struct vmi {
	const struct vmi_bank *banks;
	size_t nbanks;
	struct vmi_regs regs;
	struct gw_regs walk;       /* what the walker uses (TTBR1 may be corrected;
				    * ARMv5: ttbr0 is the table kernel VAs go through) */
	const struct profile *prof;
	enum vmi_arch arch;        /* from the profile */
	unsigned ptr_size;         /* the guest's pointer size: 8 or 4 */
	uint64_t slide;            /* runtime - link address of kernel image symbols */
	uint64_t kva_start;        /* lowest kernel VA (arm64: of the TTBR1 half) */
	uint64_t kva_end;          /* highest kernel VA */
	const char *slide_source;  /* "kernel mapping", "VBAR_EL1", "banner scan" */
	uint64_t image_pa;         /* regs.image_pa: where the Image was loaded */
	struct vmi_anchor anchors[VMI_MAX_ANCHORS];
	unsigned nanchors;
	bool use_tlb;
	struct vmi_tlb_entry tlb[VMI_TLB_SIZE];
	struct vmi_key_entry keys[VMI_KEY_CACHE];
	struct vmi_stats stats;
	char err[VMI_ERR_LEN];
};

/* Sets up v (no allocation; v keeps pointers to banks and prof) and finds
 * the KASLR slide from independent anchors (see struct vmi_anchor and
 * kaslr.c). Succeeds when any trustworthy anchor gives the slide; anchors
 * that disagree are recorded in v->anchors (ok = false), not fatal. Fails
 * (VMI_EKASLR, VMI_ESTATE, ...) only when the kernel cannot be located at
 * all; vmi_error(v) then says what was tried. */
int vmi_init(struct vmi *v, const struct vmi_bank *banks, size_t nbanks,
	     const struct vmi_regs *regs, const struct profile *prof);
/* Forgets cached translations (call when the guest ran since). */
void vmi_flush(struct vmi *v);

const char *vmi_strerror(int err);
const char *vmi_error(const struct vmi *v);   /* the last failure, in words */
/* Records a failure (printf-style message) and returns err. */
int vmi_fail(struct vmi *v, int err, const char *fmt, ...) __printf(3, 4);
/* Prefixes the last failure with context: "reading X: <old message>". */
int vmi_context(struct vmi *v, int err, const char *fmt, ...) __printf(3, 4);

/* Raw access. */
int vmi_read_phys(struct vmi *v, uint64_t gpa, void *buf, size_t len);
int vmi_translate(struct vmi *v, uint64_t gva, uint64_t *gpa);
/* The walker's view of guest RAM (descriptor reads confined to the banks). */
struct gw_mem vmi_walk_mem(struct vmi *v);
int vmi_read_virt(struct vmi *v, uint64_t gva, void *buf, size_t len);
int vmi_read_u32(struct vmi *v, uint64_t gva, uint32_t *out);
int vmi_read_u64(struct vmi *v, uint64_t gva, uint64_t *out);
/* Reads a guest `unsigned long` (v->ptr_size bytes), zero-extended. */
int vmi_read_ulong(struct vmi *v, uint64_t gva, uint64_t *out);
/* Reads a pointer (v->ptr_size bytes) and checks it is a kernel VA (NULL
 * allowed if null_ok). */
int vmi_read_ptr(struct vmi *v, uint64_t gva, uint64_t *out, bool null_ok);
/* Reads a NUL-terminated string of at most max-1 bytes into buf (always
 * terminated). Longer: truncated, returns VMI_ETRUNC. */
int vmi_read_str(struct vmi *v, uint64_t gva, char *buf, size_t max);

/* Profile look-ups, cached. */
int vmi_sym(struct vmi *v, const char *name, uint64_t *gva); /* slid */
int vmi_field(struct vmi *v, const char *member, uint64_t *off); /* "task_struct.pid" */
int vmi_const(struct vmi *v, const char *key, uint64_t *value); /* full key: "const.x" */
/* "symbol+0xoff" for a runtime kernel address; returns VMI_ENOKEY when
 * nothing covers it (buf then holds the hex address). */
int vmi_symbolize(struct vmi *v, uint64_t addr, char *buf, size_t size);

/* Is gva in the kernel's address range [kva_start, kva_end]? Mapped is not
 * checked. */
bool vmi_is_kva(const struct vmi *v, uint64_t gva);
/* A kernel VA aligned to the guest's pointer size (a list node, a struct). */
bool vmi_is_kptr(const struct vmi *v, uint64_t gva);

/* -- kernel lists ------------------------------------------------------------ */

#define VMI_LIST_CHECK_PREV 1u /* verify next->prev == node at each step */

struct vmi_list_iter {
	struct vmi *v;
	uint64_t head, cur;
	uint32_t count, limit, flags;
	uint64_t tortoise;          /* Brent's cycle detection */
	uint32_t power, lam;
	bool done;
};

/* Iterates the list_head at head (not itself an entry), at most limit nodes. */
void vmi_list_init(struct vmi_list_iter *it, struct vmi *v, uint64_t head, uint32_t limit,
		   uint32_t flags);
/* 1 and *node = the next list_head's address; 0 at the end; < 0 on error. */
int vmi_list_next(struct vmi_list_iter *it, uint64_t *node);

/* -- tasks, PIDs, modules ---------------------------------------------------- */

#define VMI_COMM_LEN 16
#define PF_KTHREAD 0x00200000u

struct vmi_task {
	uint64_t addr;       /* the task_struct */
	int32_t pid, tgid, ppid;
	uint32_t uid;
	uint32_t flags;
	uint64_t state;      /* __state (or state) */
	uint64_t mm;
	bool kthread;        /* PF_KTHREAD or no mm */
	char comm[VMI_COMM_LEN + 1];
};

/* cb returns 0 to go on, non-zero to stop (returned as is). */
typedef int (*vmi_task_cb)(void *ctx, const struct vmi_task *t);
/* init_task, then its tasks list (thread-group leaders), at most limit. */
/* 1 when the guest kernel holds a lock it changes the task list or the PID table
 * under (*which names it): a listing read now may be torn (core/vmi/quiesce.c).
 * 0 when none is held; a negative VMI error when the profile names a lock that
 * cannot be read (*which names it, vmi_error says why). */
int vmi_lists_busy(struct vmi *v, const char **which);
int vmi_task_foreach(struct vmi *v, uint32_t limit, vmi_task_cb cb, void *ctx);
/* Every PID in init_pid_ns's IDR -> struct pid -> its task (threads too). */
int vmi_pid_foreach(struct vmi *v, uint32_t limit, vmi_task_cb cb, void *ctx);

#define VMI_MODNAME_LEN 56

#define VMI_MODULE_LIVE 0   /* enum module_state: LIVE, COMING, GOING, UNFORMED */

struct vmi_module {
	uint64_t addr;
	uint64_t base, size; /* core text range, 0 when the profile lacks it */
	uint32_t state;      /* VMI_MODULE_LIVE when the profile lacks it */
	char name[VMI_MODNAME_LEN + 1];
};

typedef int (*vmi_module_cb)(void *ctx, const struct vmi_module *m);
int vmi_module_foreach(struct vmi *v, uint32_t limit, vmi_module_cb cb, void *ctx);
/* Reads the struct module at mod (one not on the list, found elsewhere). */
int vmi_module_read(struct vmi *v, uint64_t mod, struct vmi_module *m);

/* -- what a module unlinking itself from the list leaves behind, and hooks ----- */

/* A module's sysfs object (/sys/module/<name>): module_kset's list. mod is
 * 0 for built-in code that only has parameters there. */
struct vmi_sysfs_module {
	uint64_t kobj, mod;
	char name[VMI_MODNAME_LEN + 1];
};
typedef int (*vmi_sysfs_module_cb)(void *ctx, const struct vmi_sysfs_module *m);
int vmi_sysfs_module_foreach(struct vmi *v, uint32_t limit, vmi_sysfs_module_cb cb, void *ctx);

/* A registered kprobe (kprobe_table). */
struct vmi_kprobe {
	uint64_t addr;            /* the struct kprobe */
	uint64_t target;          /* the probed instruction */
	uint64_t pre_handler, post_handler;
	uint32_t flags;
};
typedef int (*vmi_kprobe_cb)(void *ctx, const struct vmi_kprobe *k);
int vmi_kprobe_foreach(struct vmi *v, uint32_t limit, vmi_kprobe_cb cb, void *ctx);

/* A registered ftrace callback (ftrace_ops_list, up to ftrace_list_end). */
struct vmi_ftrace_ops {
	uint64_t addr, func, flags;
};
typedef int (*vmi_ftrace_cb)(void *ctx, const struct vmi_ftrace_ops *o);
int vmi_ftrace_foreach(struct vmi *v, uint32_t limit, vmi_ftrace_cb cb, void *ctx);

/* -- sockets (`ids net`) ------------------------------------------------------ */

#define VMI_AF_INET 2
#define VMI_AF_INET6 10

enum vmi_sock_proto { VMI_PROTO_TCP = 0, VMI_PROTO_UDP = 1, VMI_PROTO_OTHER = 2 };

/* Linux's TCP states (include/net/tcp_states.h numbering); UDP uses
 * ESTABLISHED for a connected socket and CLOSE otherwise. */
#define VMI_TCP_ESTABLISHED 1
#define VMI_TCP_TIME_WAIT 6
#define VMI_TCP_CLOSE 7
#define VMI_TCP_LISTEN 10
#define VMI_TCP_NEW_SYN_RECV 12

/* One socket found in the kernel's hash tables. */
struct vmi_sock {
	uint64_t sk;                 /* the struct sock (or sock_common of a time-wait/request sock) */
	uint64_t socket;             /* sk->sk_socket; 0 for a time-wait or request sock */
	uint64_t net;                /* the network namespace (struct net) */
	enum vmi_sock_proto proto;
	uint16_t family;             /* VMI_AF_INET or VMI_AF_INET6 (others are skipped) */
	uint8_t state;               /* VMI_TCP_* */
	uint16_t lport, rport;       /* host byte order */
	uint8_t laddr[16], raddr[16];/* network order; IPv4 in the first 4 bytes */
	const char *table;           /* where it was found: "listen", "established", "udp";
				      * "file" from vmi_sock_read */
	uint16_t protocol, type;     /* sk_protocol, sk_type: vmi_sock_read only */
};
typedef int (*vmi_sock_cb)(void *ctx, const struct vmi_sock *s);
/* TCP's listening (tcp_hashinfo.lhash2) and established (tcp_hashinfo.ehash)
 * tables, then udp_table: every IPv4/IPv6 socket of every namespace, at most
 * limit sockets in all. Each chain is checked for cycles (Brent). */
int vmi_sock_foreach(struct vmi *v, uint32_t limit, vmi_sock_cb cb, void *ctx);

/* A socket file in a task's fd table (file->f_op == &socket_file_ops). */
typedef int (*vmi_sock_file_cb)(void *ctx, const struct vmi_task *t, uint32_t fd, uint64_t sk);
/* What a walk of the fd tables left out: slots past fd_limit (a process may
 * raise its fd limit; that is no sign of tampering, only a partial check). */
struct vmi_sock_file_stats {
	uint64_t skipped;            /* fd slots not walked */
	uint32_t tasks;              /* tables cut short */
	int32_t first_pid;           /* the first of them */
	uint32_t first_max;          /* ... and its max_fds */
	/* Tasks marked kernel threads (PF_KTHREAD) with a user mm and an fd table other
	 * than init_task's: a process disguised as a kernel thread (a kernel thread that
	 * borrows a user mm, kthread_use_mm, keeps init's table). Walked all the same. */
	uint32_t disguised;
	int32_t disguised_pid;       /* the first of them */
	char disguised_comm[VMI_COMM_LEN + 1];
};
/* Every thread-group leader with an mm (the task list, at most task_limit;
 * PF_KTHREAD does not exempt one: see disguised above) and each open file in
 * its fd table (its first fd_limit slots; the rest are counted
 * in *st, which may be NULL). An fd array already walked in this scan is not
 * walked again (shared or aliased tables). budget bounds the whole scan: a
 * unit per task's table, per fd slot and per file, two more per socket file;
 * spent, it is VMI_ELIMIT. VMI_SOCK_FILE_BUDGET suits a real guest (a few
 * thousand open files). */
#define VMI_SOCK_FILE_BUDGET (1u << 20)
int vmi_sock_file_foreach(struct vmi *v, uint32_t task_limit, uint32_t fd_limit,
			  uint32_t budget, vmi_sock_file_cb cb, void *ctx,
			  struct vmi_sock_file_stats *st);

/* The sock a socket file leads to, read on its own (proto from sk_protocol:
 * TCP 6, UDP 17, else VMI_PROTO_OTHER). */
int vmi_sock_read(struct vmi *v, uint64_t sk, struct vmi_sock *s);
/* Whether the profile describes what vmi_sock_read reads (VMI_OK), else the
 * error (VMI_ENOKEY: a profile made before `ids net`, or sk_protocol still a
 * bitfield, kernels before 5.6), without reading guest memory. */
int vmi_sock_layout(struct vmi *v);
/* Must the kernel have this sock in its hash tables? A TCP stream socket in
 * any state but CLOSE (listening: lhash2; connecting or connected: ehash), a
 * UDP datagram socket with a local port (bound: udp_table). One that is not
 * there was unlinked: hidden from /proc/net, ss and the walks above. */
bool vmi_sock_must_be_hashed(const struct vmi_sock *s);

/* A /proc/net entry (a child of init_net.proc_net) and what its reads run. */
struct vmi_proc_entry {
	uint64_t pde;                /* the struct proc_dir_entry */
	uint64_t proc_ops;           /* its file operations (proc_net_seq_ops for seq files) */
	uint64_t seq_ops;            /* its struct seq_operations */
	uint64_t start, next, stop, show;   /* seq_ops' functions (0 when seq_ops is 0) */
};
/* Finds /proc/net/<name> in init_net's proc_net directory (a bounded walk of
 * its rb-tree of children, not a search that trusts the tree's order).
 * VMI_ECORRUPT when there is no such entry. */
int vmi_proc_net_entry(struct vmi *v, const char *name, struct vmi_proc_entry *e);

/* An address as netstat prints it: 10.0.2.15, ::, fe80::1, ::ffff:127.0.0.1
 * (VMI_AF_INET: the first 4 bytes). Returns the length (buf always
 * terminated; at most 45 characters + NUL are needed). */
#define VMI_ADDR_LEN 48
size_t vmi_format_addr(uint16_t family, const uint8_t addr[16], char *buf, size_t size);

#endif
