/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shadow page tables for an ARMv5 guest whose kernel runs in the CPU's USR mode
 * (issue 15). Pure logic: every function takes its state; guest descriptors are read
 * through a bounds-checked callback; the hardware operations it needs (TLB invalidation)
 * are requested through callbacks. docs/armv5-virt.md, "Shadow MMU and MMIO decoding",
 * explains the design (domains and AP mapping, the hypervisor window, invalidation).
 */
#ifndef ARM32_VIRT_SHADOW_MMU_H
#define ARM32_VIRT_SHADOW_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHADOW_L1_ENTRIES 4096u
#define SHADOW_L2_ENTRIES 256u
#define SHADOW_MAX_ROOTS 8u          /* cached shadow L1 tables (one per guest TTBR) */
#define SHADOW_MAX_L2 512u           /* shadow coarse tables in the pool */
#define SHADOW_MAX_MMIO 16u

/* The kinds of shadow MiB: what the two views (virtual modes) make of a page's AP. */
#define SHADOW_KIND_SAME 0u  /* both virtual modes get the same rights: client/client */
#define SHADOW_KIND_MGR 1u   /* privileged RW: manager in privileged view, client in user */
#define SHADOW_KIND_KERN 2u  /* user none: client in privileged view, no access in user */

/* The shadow domains: 0 the hypervisor's entries (they must use it), the MMU-off map and
 * the pinned page's MiB while the guest has nothing there: client always; 2 + 3 * slot + kind
 * the MiBs of the guest domain in slot 0..3; 14 + (kind == KERN) the pinned page's MiB. The
 * guest's DACR folds into the shadow DACR: a guest DACR write drops nothing (but the pinned
 * MiB when its domain becomes or stops being manager). */
#define SHADOW_DOM_HYP 0u
#define SHADOW_DOM_PIN 14u
#define SHADOW_SLOTS 4u

/* Guest TLB operations (the vCPU core's tlb_op codes map onto these). */
enum shadow_tlb_op { SHADOW_TLB_ALL = 0, SHADOW_TLB_MVA = 1, SHADOW_TLB_ASID = 2 };

enum shadow_result {
	SHADOW_FILLED,       /* a shadow entry now allows the access: resume the guest */
	SHADOW_GUEST_FAULT,  /* the guest's own tables refuse it: inject an abort (fsr, far) */
	SHADOW_MMIO,         /* an emulated device page: decode the instruction, emulate (gpa) */
	SHADOW_EMULATE,      /* guest RAM the shadow cannot map this way (reserved VA, or a
	                      * right only one virtual mode has in a shared MiB): decode and
	                      * perform this one data access in software on guest RAM (gpa) */
	SHADOW_ERROR,        /* unsupported guest setup (error says which): report, stop guest */
};

enum shadow_error {
	SHADOW_E_NONE,
	SHADOW_E_FINE_TABLE,     /* the guest uses a fine (1 KiB tiny page) table: refused */
	SHADOW_E_FCSE,           /* the guest set a non-zero FCSE PID: refused */
	SHADOW_E_RESERVED_EXEC,  /* instruction fetch from a VA the hypervisor reserves */
	SHADOW_E_NO_PROGRESS,    /* an allowed access the shadow cannot express (exec) */
};

struct shadow_outcome {
	enum shadow_result kind;
	uint32_t fsr, far;        /* GUEST_FAULT: guest FSR (domain << 4 | status) and FAR */
	uint32_t gpa;             /* MMIO, EMULATE */
	enum shadow_error error;  /* ERROR */
};

struct shadow_range { uint32_t base, size; };

struct shadow_guest_ram { uint32_t gpa_base; uint32_t size; uint8_t *host; uint32_t host_pa; };

struct shadow_config {
	struct shadow_guest_ram ram;
	/* The guest descriptor read (bounds-checked, 4-byte aligned); NULL: read ram.host. */
	bool (*read32)(void *ctx, uint32_t gpa, uint32_t *out);
	void *read_ctx;
	struct shadow_range mmio[SHADOW_MAX_MMIO];   /* emulated device pages (guest-physical) */
	unsigned nmmio;
	/* The hypervisor window: whole MiBs [win_base, win_base + win_size) whose level 1
	 * entries win_l1[] (one per MiB, domain 0, no user access) go verbatim into every
	 * shadow table; and optionally one 4 KiB page (e.g. the hardware vectors at VA 0)
	 * with its small page descriptor pin_desc (AP 01 in all four subpages). */
	uint32_t win_base, win_size;
	const uint32_t *win_l1;
	bool pin;
	uint32_t pin_va, pin_desc;
	/* Shadow table memory: nroots level 1 tables (16 KiB aligned, physical l1_pa onwards)
	 * and nl2 coarse tables (1 KiB each, physical l2_pa onwards), host pointers l1 / l2. */
	uint32_t (*l1)[SHADOW_L1_ENTRIES];
	uint32_t l1_pa;
	unsigned nroots;
	uint32_t (*l2)[SHADOW_L2_ENTRIES];
	uint32_t l2_pa;
	unsigned nl2;
	/* Let kernel read-only pages (privileged RO, user none) share a MiB with privileged
	 * read/write ones in the manager view: the guest kernel can then write its own read-only
	 * pages, but Linux's vectors MiB stops switching kind twice per system call. Off: exact. */
	bool relax_kernel_ro;
	/* Real TLB maintenance the caller must do (may be NULL in tests). */
	void (*tlb_flush_all)(void *ctx);
	void (*tlb_flush_mva)(void *ctx, uint32_t va);
	void *tlb_ctx;
};

struct shadow_stats {
	uint64_t faults, fills, guest_faults, mmio, emulate, errors;
	uint64_t desc_reads, l2_allocs, l2_evictions, kind_switches, drops;
	uint64_t roots_created, roots_reused, revalidations, flush_all_requests, slot_evictions;
};

/* What a shadow MiB was built from (the guest level 1 descriptor, raw). */
struct shadow_mib {
	uint32_t graw;
	uint16_t l2;      /* pool index of its coarse table, or SHADOW_NO_L2 */
	uint8_t state;    /* MIB_* in shadow_mmu.c */
	uint8_t kind;     /* SHADOW_KIND_* */
};
#define SHADOW_NO_L2 0xffffu

struct shadow_root {
	uint32_t key;     /* guest TTBR base, or 1 for the MMU-off (flat) map */
	bool used, stale;
	uint64_t stamp;
	struct shadow_mib mib[SHADOW_L1_ENTRIES];
};

struct shadow_l2meta {
	bool used, pinned;
	uint8_t root;
	uint16_t mib;
	uint64_t stamp;
	uint32_t graw[SHADOW_L2_ENTRIES];   /* the guest L2 descriptor each entry came from */
};

struct shadow_mmu {
	struct shadow_config cfg;
	/* guest state (written by the hooks) */
	uint32_t ttbr, dacr, control, fcse;
	bool privileged;
	unsigned cur;                /* current root */
	int8_t slot_of[16];          /* guest domain -> slot of shadow domains, or -1 */
	uint8_t slot_dom[SHADOW_SLOTS];
	uint64_t slot_stamp[SHADOW_SLOTS];
	uint64_t clock;
	struct shadow_root roots[SHADOW_MAX_ROOTS];
	struct shadow_l2meta l2m[SHADOW_MAX_L2];
	struct shadow_stats st;
};

/* Checks the configuration and starts with the MMU off (flat guest-physical map);
 * -1 for a bad configuration (alignment, sizes, a window entry with user access). */
int shadow_init(struct shadow_mmu *s, const struct shadow_config *cfg);

/* A guest access faulted at va (write/exec; privileged: the guest's virtual mode, false
 * for the LDRT/STRT family): fill, or say why not. Bounded work: at most two descriptor
 * reads, one coarse table cleared or evicted, and (a fifth guest domain) one scan of the
 * roots' level 1 entries. */
enum shadow_result shadow_fault(struct shadow_mmu *s, uint32_t va, bool write, bool exec,
				bool privileged, struct shadow_outcome *out);

/* A software walk of the guest's tables (no fill): SHADOW_FILLED with out->gpa when the
 * guest allows the access and it is RAM, else the outcome shadow_fault would give. */
enum shadow_result shadow_translate(struct shadow_mmu *s, uint32_t va, bool write, bool exec,
				    bool privileged, struct shadow_outcome *out);

/* What the world switch loads: the current shadow TTBR (physical) and DACR. */
uint32_t shadow_ttbr(const struct shadow_mmu *s);
uint32_t shadow_dacr(const struct shadow_mmu *s);

/* The hooks (struct v5_mmu_hooks of the vCPU core; ctx is the struct shadow_mmu). */
void shadow_ttbr_write(void *ctx, uint32_t ttbr);
void shadow_dacr_write(void *ctx, uint32_t dacr);
void shadow_control_write(void *ctx, uint32_t old, uint32_t new_);
void shadow_tlb_op(void *ctx, unsigned op, uint32_t mva_or_asid);
void shadow_mode_change(void *ctx, bool privileged);
void shadow_fcse_write(void *ctx, uint32_t pid);

#endif
