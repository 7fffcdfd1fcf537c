/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids protect`: prevention, not only detection. Once a guest kernel has
 * finished booting, the guest-physical pages of its system call tables (and,
 * with IDS_PROTECT_RODATA, all of its .rodata) are made read-only in stage 2
 * (core/guest_wp.c, arch/arm/cpu/arm64/stage2.c). A guest write to them is refused by
 * the vCPU code (arch/arm/cpu/arm64/vcpu_run.c: the instruction is skipped) and
 * reported here, from the main loop, without anyone asking:
 *
 *   [ids protect] guest0: finding: write to sys_call_table+0x1e8 (ipa 0x...)
 *   refused at pc 0xffff... (module mamoru_attack+0x...)
 *
 * "Finished booting" is read from the guest's own page tables: the kernel
 * maps its .rodata writable while it boots (relocations, __ro_after_init
 * set-up) and read-only from mark_rodata_ro() on, just before it starts
 * init. A periodic task watches for that (the sys_call_table mapping in
 * swapper_pg_dir becoming read-only) and arms, quietly (`ids protect
 * status` shows it); a reset or halt disarms (core/guest.c) and the watch
 * starts over with the next boot.
 *
 * Everything is placed from the profile and the load address: a kernel
 * image address is at kernel_ipa + (link - _text) whatever the KASLR slide.
 */
#include <arch/cpu.h>
#include <arch/guest_regs.h>
#include <arch/guest_walk.h>
#include <mamoru/libc.h>
#include <mamoru/periodic.h>
#include <mamoru/vcpu_pin.h>

#include "ids.h"
#include "protect_plan.h"

#ifdef CONFIG_IDS_PROTECT

#ifdef CONFIG_IDS_PROTECT_AUTO
#define AUTO_ARM true
#else
#define AUTO_ARM false
#endif
#ifdef CONFIG_IDS_PROTECT_RODATA
#define PROTECT_RODATA true
#else
#define PROTECT_RODATA false
#endif

#define TASK_INTERVAL_NS 1ull             /* every pass of the main loop: reports precede the guest */
#define POLL_INTERVAL_NS 100000000ull     /* a booting guest is looked at every 100 ms */
#define SUMMARY_INTERVAL_NS 5000000000ull /* at most one summary line per 5 s */
#define TEXT_LEN 192
#define DATA_SYM_REACH 0x1000             /* "sym+off" only this close to a profile symbol */

struct prot_state {
	bool seen;                  /* want initialised for this slot */
	bool want;                  /* armed when booted (auto, or `ids protect on`) */
	bool have_profile;
	struct profile prof;
	uint64_t next_poll_ns;
	char why[TEXT_LEN];         /* why it is not armed (status) */
	struct protect_rate rate;
	uint64_t shown;             /* refused writes reported one by one */
	uint64_t summarised;        /* ... and in summary lines */
	uint64_t last_summary_ns;
	char last[TEXT_LEN];        /* the last report's text (status) */
};

static struct prot_state state[GUEST_MAX];

static struct prot_state *state_of(struct guest *g)
{
	struct prot_state *st = &state[g->id];
	if (!st->seen) {
		st->seen = true;
		st->want = AUTO_ARM;
		m_snprintf(st->why, sizeof(st->why), AUTO_ARM ? "waiting for the guest kernel to boot" :
			   "off (arm it with 'ids protect on')");
	}
	return st;
}

static const struct profile *profile_of(struct guest *g, char *why, size_t n)
{
	struct prot_state *st = state_of(g);
	if (st->have_profile)
		return &st->prof;
	if (!g->image.profile) {
		m_snprintf(why, n, "%s has no IDS profile", g->name);
		return NULL;
	}
	char err[96];
	if (profile_load(&st->prof, g->image.profile, g->image.profile_size, err, sizeof(err))) {
		m_snprintf(why, n, "%s's profile is unusable: %s", g->name, err);
		return NULL;
	}
	st->have_profile = true;
	return &st->prof;
}

static int layout_of(const struct profile *p, struct protect_layout *l, char *why, size_t n)
{
	uint64_t entries;
	memset(l, 0, sizeof(*l));
	if (profile_value(p, "sym._text", &l->text) || profile_value(p, "sym.sys_call_table", &l->sct) ||
	    profile_value(p, "const.sct_entries", &entries) || !entries || entries > 4096) {
		m_snprintf(why, n, "the profile lacks _text, sys_call_table or its size");
		return -1;
	}
	l->sct_size = entries * 8;
	if (!profile_value(p, "sym.compat_sys_call_table", &l->csct) &&
	    !profile_value(p, "const.csct_entries", &entries) && entries && entries <= 4096)
		l->csct_size = entries * 8;
	if (profile_value(p, "sym.__start_rodata", &l->rodata) ||
	    profile_value(p, "sym.__end_rodata", &l->rodata_end))
		l->rodata = l->rodata_end = 0;
	return 0;
}

static int read64(void *ctx, uint64_t pa, uint64_t *val)
{
	return guest_read_phys(ctx, pa, val, sizeof(*val));
}

/*
 * Has the kernel finished booting? Its sys_call_table, at the virtual address
 * kimage_voffset (read from guest memory) says, must be mapped read-only in
 * swapper_pg_dir (the kernel's own tables; TTBR1_EL1 may hold the KPTI
 * trampoline while the guest is in user mode) onto the page where the image
 * was loaded. 1 yes, 0 not yet (why says what is missing).
 */
static int kernel_booted(struct guest *g, const struct profile *p, const struct protect_layout *l,
			 char *why, size_t n)
{
	uint64_t kvo_link, swapper_link, voffset;
	if (profile_value(p, "sym.kimage_voffset", &kvo_link) ||
	    profile_value(p, "sym.swapper_pg_dir", &swapper_link) || kvo_link < l->text ||
	    swapper_link < l->text) {
		m_snprintf(why, n, "the profile lacks kimage_voffset or swapper_pg_dir");
		return -1;
	}
	guest_snapshot(g);
	if (!arch_guest_mmu_on(g)) {
		m_snprintf(why, n, "waiting for the guest kernel to boot (its MMU is off)");
		return 0;
	}
	uint64_t sct_pa = g->kernel_ipa + (l->sct - l->text);
	if (guest_read_phys(g, g->kernel_ipa + (kvo_link - l->text), &voffset, sizeof(voffset)) ||
	    !voffset) {
		m_snprintf(why, n, "waiting for the guest kernel to boot (kimage_voffset not set)");
		return 0;
	}
	struct vmi_regs now;
	arch_guest_vmi_regs(g, &now);
	struct gw_regs regs = {.ttbr0 = 0, .ttbr1 = g->kernel_ipa + (swapper_link - l->text),
			       .tcr = now.tcr};
	struct gw_mem mem = {.read64 = read64, .ctx = g};
	struct gw_result res;
	uint64_t va = sct_pa + voffset;
	if (gw_translate(&regs, &mem, va, &res)) {
		m_snprintf(why, n, "waiting for the guest kernel to boot (sys_call_table at 0x%llx not "
			   "mapped yet)", (unsigned long long)va);
		return 0;
	}
	if (res.pa != sct_pa) {
		m_snprintf(why, n, "sys_call_table at 0x%llx maps to 0x%llx, not to 0x%llx where the image "
			   "was loaded", (unsigned long long)va, (unsigned long long)res.pa,
			   (unsigned long long)sct_pa);
		return 0;
	}
	if (!(res.ap & 2)) {
		m_snprintf(why, n, "waiting for the guest kernel to boot (it still maps sys_call_table "
			   "writable)");
		return 0;
	}
	return 1;
}

static const char *what_is_protected(void)
{
	return PROTECT_RODATA ? "kernel .rodata (with the syscall tables)" :
		"the syscall tables' pages";
}

/* Arms g when its kernel has booted: 1 armed, 0 not yet, -1 cannot (st->why). */
static int try_arm(struct guest *g)
{
	struct prot_state *st = state_of(g);
	struct protect_layout l;
	struct guest_wp_range r[GUEST_WP_RANGES];
	const struct profile *p = profile_of(g, st->why, sizeof(st->why));
	if (!p || layout_of(p, &l, st->why, sizeof(st->why)))
		return -1;
	int booted = kernel_booted(g, p, &l, st->why, sizeof(st->why));
	if (booted <= 0)
		return booted;
	int n = protect_plan(&l, g->kernel_ipa, PROTECT_RODATA, r, GUEST_WP_RANGES, st->why,
			     sizeof(st->why));
	if (n < 0)
		return -1;
	if (guest_wp_arm(g, r, (unsigned)n)) {
		m_snprintf(st->why, sizeof(st->why), "stage 2 could not be changed (out of table memory?)");
		return -1;
	}
	st->why[0] = '\0';
	return 1;
}

/* -- naming what was written and who wrote it ---------------------------------------------- */

struct module_hit {
	uint64_t addr;
	char name[VMI_MODNAME_LEN + 1];
	uint64_t off;
	bool found;
};

static int find_module(void *ctx, const struct vmi_module *m)
{
	struct module_hit *h = ctx;
	if (m->size && h->addr >= m->base && h->addr - m->base < m->size) {
		memcpy(h->name, m->name, sizeof(h->name));
		h->off = h->addr - m->base;
		h->found = true;
		return 1;
	}
	return 0;
}

/* "module x+0x10", "kernel_fn+0x4", "memory no listed module owns", ... */
static void name_pc(struct ids_session *s, bool have_vmi, const struct guest_wp_event *ev, char *buf,
		    size_t n)
{
	if ((ev->pstate & 0xc) == 0) {
		m_snprintf(buf, n, "user mode");
		return;
	}
	if (!have_vmi) {
		m_snprintf(buf, n, "not symbolized: the guest kernel could not be located");
		return;
	}
	if (vmi_symbolize(s->vmi, ev->pc, buf, n) == 0)
		return;
	struct module_hit h = {.addr = ev->pc};
	vmi_module_foreach(s->vmi, IDS_MODULE_LIMIT, find_module, &h);
	if (h.found)
		m_snprintf(buf, n, "module %s+0x%llx", h.name, (unsigned long long)h.off);
	else
		m_snprintf(buf, n, "memory no listed module owns");
}

/* The name of a protected guest-physical address: a syscall table slot, the
 * nearest profile data symbol below it (section markers such as _etext or
 * __start_rodata, which begin with '_', do not count), or an offset into
 * .rodata. */
static void name_target(struct guest *g, const struct profile *p, uint64_t ipa, char *buf, size_t n)
{
	struct protect_layout l;
	char why[8];
	if (!p || layout_of(p, &l, why, sizeof(why)) || ipa < g->kernel_ipa) {
		m_snprintf(buf, n, "guest memory");
		return;
	}
	uint64_t link = l.text + (ipa - g->kernel_ipa);
	if (protect_name_table(&l, link, buf, n))
		return;
	struct {
		uint64_t addr;
		const char *name;
	} best = {0, NULL};
	struct profile_entry e;
	for (size_t i = 0; profile_entry_at(p, i, &e) == 0; i++) {
		if (e.kind != PROFILE_ADDRESS || strncmp(e.key, "sym.", 4) || e.key[4] == '_' ||
		    e.value > link || link - e.value >= DATA_SYM_REACH || (best.name && e.value <= best.addr))
			continue;
		best.addr = e.value;
		best.name = e.key + 4;
	}
	if (best.name)
		m_snprintf(buf, n, "%s+0x%llx", best.name, (unsigned long long)(link - best.addr));
	else if (l.rodata && link >= l.rodata && link < l.rodata_end)
		m_snprintf(buf, n, "kernel .rodata+0x%llx", (unsigned long long)(link - l.rodata));
	else
		m_snprintf(buf, n, "kernel image+0x%llx", (unsigned long long)(link - l.text));
}

static void describe(struct ids_session *s, bool have_vmi, struct guest *g,
		     const struct guest_wp_event *ev, char *buf, size_t n)
{
	char target[80], who[96];
	name_target(g, profile_of(g, target, sizeof(target)), ev->ipa, target, sizeof(target));
	name_pc(s, have_vmi, ev, who, sizeof(who));
	m_snprintf(buf, n, "write to %s (ipa 0x%llx) refused at pc 0x%llx (%s)", target,
		   (unsigned long long)ev->ipa, (unsigned long long)ev->pc, who);
}

/* Reports g's queued refused writes (rate-limited) and summarises the rest. */
static bool report(struct guest *g, uint64_t now)
{
	struct prot_state *st = state_of(g);
	struct guest_wp *wp = &g->wp;
	uint64_t unreported = wp->refused - st->shown - st->summarised - wp->q_len;
	if (!wp->q_len && (!unreported || now - st->last_summary_ns < SUMMARY_INTERVAL_NS))
		return false;

	/* One look at the guest for all of it: it is stopped while we print. */
	static char errbuf[256];
	struct buffer_console quiet;
	struct ids_session s;
	struct ids_args a = {.guest = g->name};
	buffer_console_init(&quiet, errbuf, sizeof(errbuf));
	bool have_vmi = ids_open(&s, &quiet.con, &a) == 0;

	struct guest_wp_event ev;
	bool printed = false;
	while (guest_wp_take(g, &ev)) {
		if (!protect_rate_take(&st->rate, now))
			continue;               /* counted in the next summary */
		describe(&s, have_vmi, g, &ev, st->last, sizeof(st->last));
		con_printf(sys_console, "\n[ids protect] %s: finding: %s\n", g->name, st->last);
		st->shown++;
		printed = true;
	}
	unreported = wp->refused - st->shown - st->summarised - wp->q_len;
	if (unreported && now - st->last_summary_ns >= SUMMARY_INTERVAL_NS) {
		describe(&s, have_vmi, g, &wp->last, st->last, sizeof(st->last));
		con_printf(sys_console, "\n[ids protect] %s: finding: %llu more write%s refused, not shown "
			   "one by one (%llu in all); the last: %s\n", g->name,
			   (unsigned long long)unreported, unreported == 1 ? "" : "s",
			   (unsigned long long)wp->refused, st->last);
		st->summarised += unreported;
		st->last_summary_ns = now;
		printed = true;
	}
	return printed;
}

static bool protect_run(struct periodic *p)
{
	(void)p;
	bool printed = false;
	uint64_t now = timer_now_ns();
	for (int i = 0; i < GUEST_MAX; i++) {
		struct guest *g = &guests[i];
		if (g->state == GUEST_EMPTY || g->state == GUEST_FAILED)
			continue;
		struct prot_state *st = state_of(g);
		bool to_report = g->wp.q_len || g->wp.refused != st->shown + st->summarised;
		bool to_arm = g->state == GUEST_RUNNING && st->want && !g->wp.armed &&
			      now >= st->next_poll_ns;
		if (!to_report && !to_arm)
			continue;
		/* Work that reads the guest and its write-protection queue: vCPUs on
		 * other cores stop meanwhile (the task runs every pass of the main
		 * loop, so only then). */
		vcpus_stop_others();
		if (to_report)
			printed |= report(g, now);
		if (to_arm) {
			st->next_poll_ns = now + POLL_INTERVAL_NS;
			/* Quietly: arming is routine (`ids protect status` shows it); only
			 * refused writes are news worth interrupting the operator for. */
			if (try_arm(g) < 0)
				st->want = false;        /* it cannot work for this guest (status says why) */
		}
		vcpus_resume_others();
	}
	return printed;
}

static struct periodic protect_task = {
	.name = "ids protect",
	.interval_ns = TASK_INTERVAL_NS,
	.run = protect_run,
	.guests = PERIODIC_ITS_OWN,
};
PERIODIC_TASK(protect_task);

/* -- the command ---------------------------------------------------------------------------- */

static void print_status(struct console *con, struct guest *g)
{
	struct prot_state *st = state_of(g);
	struct guest_wp *wp = &g->wp;
	if (wp->armed) {
		con_printf(con, "%s: armed: %s read-only in stage 2, %llu pages", g->name, what_is_protected(),
			   (unsigned long long)wp->pages);
		for (unsigned i = 0; i < wp->nranges; i++)
			con_printf(con, "%s0x%llx-0x%llx", i ? ", " : " (ipa ",
				   (unsigned long long)wp->range[i].ipa,
				   (unsigned long long)(wp->range[i].ipa + wp->range[i].size - 1));
		con_printf(con, ")\n");
	} else if (st->want && g->state != GUEST_RUNNING && g->state != GUEST_PAUSED) {
		con_printf(con, "%s: not armed: the guest is %s; it arms again once it has booted\n",
			   g->name, guest_state_name(g->state));
	} else if (st->want) {
		con_printf(con, "%s: not armed yet: %s\n", g->name, st->why[0] ? st->why : "waiting");
	} else {
		con_printf(con, "%s: off%s%s\n", g->name, st->why[0] ? ": " : "", st->why);
	}
	con_printf(con, "%s: writes refused: %llu (cache maintenance skipped: %llu)\n", g->name,
		   (unsigned long long)wp->refused, (unsigned long long)wp->cm_skipped);
	if (wp->refused)
		con_printf(con, "%s: last offender: %s\n", g->name, st->last[0] ? st->last : "(not yet reported)");
}

int ids_protect(struct console *con, int argc, char **argv)
{
	const char *action = "status", *name = NULL;
	if (argc > 3)
		return CMD_USAGE;
	if (argc >= 2) {
		if (!strcmp(argv[1], "on") || !strcmp(argv[1], "off") || !strcmp(argv[1], "status")) {
			action = argv[1];
			name = argc == 3 ? argv[2] : NULL;
		} else if (argc == 2 && argv[1][0] != '-') {
			name = argv[1];
		} else {
			return CMD_USAGE;
		}
	}
	struct guest *g = guest_lookup(con, name);
	if (!g)
		return CMD_FAIL;
	struct prot_state *st = state_of(g);
	if (!strcmp(action, "status")) {
		print_status(con, g);
		return CMD_OK;
	}
	if (!strcmp(action, "off")) {
		st->want = false;
		guest_wp_disarm(g);
		m_snprintf(st->why, sizeof(st->why), "disarmed with 'ids protect off'");
		con_printf(con, "%s: protection off: guest writes to its kernel's read-only data are "
			   "allowed\n", g->name);
		return CMD_OK;
	}
	st->want = true;
	if (g->wp.armed) {
		con_printf(con, "%s: already armed (%llu pages)\n", g->name, (unsigned long long)g->wp.pages);
		return CMD_OK;
	}
	int r = -1;
	if (g->state == GUEST_RUNNING || g->state == GUEST_PAUSED) {
		r = try_arm(g);
	} else {
		m_snprintf(st->why, sizeof(st->why), "waiting for the guest to run and boot (%s)",
			   guest_state_name(g->state));
		r = 0;
	}
	if (r > 0) {
		con_printf(con, "%s: armed: %s read-only in stage 2 (%llu pages)\n", g->name,
			   what_is_protected(), (unsigned long long)g->wp.pages);
		return CMD_OK;
	}
	if (r == 0) {
		st->next_poll_ns = 0;
		con_printf(con, "%s: not armed yet: %s; it arms by itself when the kernel has booted\n",
			   g->name, st->why);
		return CMD_OK;
	}
	st->want = false;
	con_printf(con, "error: %s: cannot protect: %s\n", g->name, st->why);
	return CMD_FAIL;
}

#else /* !CONFIG_IDS_PROTECT */

int ids_protect(struct console *con, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	con_printf(con, "error: stage-2 write protection is not in this build (Kconfig IDS_PROTECT)\n");
	return CMD_FAIL;
}

#endif
