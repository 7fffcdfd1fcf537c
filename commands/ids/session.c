/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IDS session: what every scan does first (find the guest, its profile
 * and its kernel), and how its records reach the reporter and are counted.
 */
#include <arch/cpu.h>
#include <arch/guest_regs.h>
#include <mamoru/libc.h>
#include <mamoru/vcpu_pin.h>

#include "ids.h"

/* Parsed profiles, one per guest slot; the bundle memory stays in place. */
static struct profile profiles[GUEST_MAX];
static bool profile_ok[GUEST_MAX];
/* One scan at a time: the introspection state is large, keep it off the stack. */
static struct vmi vmi_state;

int ids_parse(int argc, char **argv, unsigned allowed, struct ids_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--json"))
			a->json = true;
		else if (!strcmp(arg, "--hooked") && (allowed & IDS_OPT_HOOKED))
			a->hooked = true;
		else if (!strcmp(arg, "--hidden") && (allowed & IDS_OPT_HIDDEN))
			a->hidden = true;
		else if (arg[0] == '-' || a->guest)
			return -1;
		else
			a->guest = arg;
	}
	return 0;
}

void ids_emit(struct ids_session *s, const struct ids_record *rec)
{
	s->findings += rec->findings;
	s->sink->emit(s->sink, rec);
}

static void vfinding(struct ids_session *s, const char *check, const char *fmt, va_list ap)
{
	char text[VMI_ERR_LEN + 160];
	m_vsnprintf(text, sizeof(text), fmt, ap);
	struct ids_record rec = {.type = IDS_REC_FINDING, .findings = 1,
				 .finding = {.check = check, .text = text}};
	ids_emit(s, &rec);
}

void ids_finding(struct ids_session *s, const char *check, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfinding(s, check, fmt, ap);
	va_end(ap);
}

void ids_tampered(struct ids_session *s, const char *check, const char *doing)
{
	ids_finding(s, check, "TAMPERED: %s: %s", doing, vmi_error(s->vmi));
}

void ids_partial(struct ids_session *s, const char *check, const char *fmt, ...)
{
	char text[VMI_ERR_LEN + 160];
	va_list ap;
	size_t n = (size_t)m_snprintf(text, sizeof(text), "partially checked: ");
	va_start(ap, fmt);
	m_vsnprintf(text + n, sizeof(text) - n, fmt, ap);
	va_end(ap);
	struct ids_record rec = {.type = IDS_REC_PARTIAL, .finding = {.check = check, .text = text}};
	s->partial++;
	ids_emit(s, &rec);
}

static void message(struct ids_session *s, enum ids_rec_type type, const char *fmt, va_list ap)
{
	char text[VMI_ERR_LEN + 160];
	m_vsnprintf(text, sizeof(text), fmt, ap);
	struct ids_record rec = {.type = type};
	if (type == IDS_REC_ERROR)
		rec.error = text;
	else
		rec.note = text;
	ids_emit(s, &rec);
}

void ids_error(struct ids_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	message(s, IDS_REC_ERROR, fmt, ap);
	va_end(ap);
}

void ids_note(struct ids_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	message(s, IDS_REC_NOTE, fmt, ap);
	va_end(ap);
}

static const struct profile *guest_profile(struct ids_session *s, struct guest *g)
{
	int i = g->id;
	if (profile_ok[i])
		return &profiles[i];
	if (!g->image.profile) {
		ids_error(s, "%s has no IDS profile (build one with './mamoru profile' and put it "
			   "in the guest bundle as %s/profile)", g->name, g->name);
		return NULL;
	}
	char err[128];
	if (profile_load(&profiles[i], g->image.profile, g->image.profile_size, err, sizeof(err))) {
		ids_error(s, "%s's profile is unusable: %s", g->name, err);
		return NULL;
	}
	profile_ok[i] = true;
	return &profiles[i];
}

/* How long the IDS lets a guest it stopped inside a critical section run on
 * before it reads (vmi_lists_busy), at most QUIESCE_TRIES times. */
#define QUIESCE_NS 1000000ull
#define QUIESCE_TRIES 50

/* Snapshots g's registers and finds its kernel; false (and the finding said) when
 * the kernel is not where its profile says. */
static bool locate(struct ids_session *s, struct guest *g)
{
	guest_snapshot(g);
	struct vmi_regs regs;
	arch_guest_vmi_regs(g, &regs);
	regs.image_pa = g->kernel_ipa;
	s->bank.gpa = g->ram_ipa;
	s->bank.size = g->ram_size;
	s->bank.host = (const uint8_t *)g->ram_host;
	if (vmi_init(s->vmi, &s->bank, 1, &regs, s->prof)) {
		/* A running guest whose kernel cannot be found where its profile
		 * says: evidence, not an excuse to stay silent. */
		ids_tampered(s, "kernel", "locating the guest kernel");
		return false;
	}
	return true;
}

int ids_open(struct ids_session *s, struct console *con, const struct ids_args *a)
{
	memset(s, 0, sizeof(*s));
	s->vmi = &vmi_state;
	s->started_ns = timer_now_ns();
	s->g = guest_lookup(con, a->guest);      /* says itself when there is no such guest */
	ids_reporter_init(&s->rep, con, a->json, a->check, s->g ? s->g->name : NULL);
	s->sink = &s->rep.sink;
	if (!s->g)
		return IDS_CANNOT_CHECK;
	struct guest *g = s->g;
	if (g->state != GUEST_RUNNING && g->state != GUEST_PAUSED) {
		ids_error(s, "%s is %s; the IDS inspects a guest that is running or paused", g->name,
			  guest_state_name(g->state));
		return IDS_CANNOT_CHECK;
	}
	s->prof = guest_profile(s, g);
	if (!s->prof)
		return IDS_CANNOT_CHECK;

	/* The guest does not run while a command runs: its state is frozen. If it
	 * froze inside fork or exit, it runs on a little first (quiesce). */
	uint64_t boots = g->boots;
	for (unsigned tries = 0;; tries++) {
		if (g->boots != boots) {
			/* It rebooted while it ran on: a fresh kernel, not yet one to read. */
			ids_error(s, "%s rebooted while the IDS waited for it", g->name);
			return IDS_CANNOT_CHECK;
		}
		if (!locate(s, g))
			return IDS_OPEN_TAMPERED;
		const char *lock;
		int busy = a->tasks ? vmi_lists_busy(s->vmi, &lock) : 0;
		if (busy < 0) {
			/* A lock the kernel has that cannot be read: fail closed. */
			ids_tampered(s, "task list", "reading the task list's locks");
			break;
		}
		if (!busy)
			break;
		if (g->state != GUEST_RUNNING) {
			ids_note(s, "%s is paused holding %s: its task list or PID table may be "
				 "mid-update", g->name, lock);
			break;
		}
		if (tries == QUIESCE_TRIES || !guest_run_for(g, QUIESCE_NS)) {
			/* Held all along: a kernel that never lets go of it hides its lists. */
			if (g->state == GUEST_RUNNING)
				ids_finding(s, "task list", "TAMPERED: %s held for over %u ms while the IDS "
					    "waited to read it", lock,
					    (unsigned)(QUIESCE_TRIES * QUIESCE_NS / 1000000));
			else
				ids_error(s, "%s stopped running while the IDS waited for it", g->name);
			if (g->state != GUEST_RUNNING && g->state != GUEST_PAUSED)
				return IDS_CANNOT_CHECK;
			break;
		}
		s->started_ns = timer_now_ns();    /* held from the snapshot that is read */
	}
	s->located = true;
	/* A core that did not stop for this command still runs its vCPU: what is
	 * read of the guest may change under the IDS. */
	uint32_t running = vcpus_of_guest_running(g);
	for (unsigned c = 0; c < g->nr_vcpus; c++)
		if (running & (1u << c))
			ids_finding(s, "vcpus", "vCPU %u on cpu%u did not stop within %u ms: the IDS "
				    "read a guest that was running", c, vcpu_core(g, c),
				    (unsigned)VCPU_STOP_TIMEOUT_MS);
	s->rep.addr_digits = 2u * s->vmi->ptr_size;
	for (unsigned i = 0; i < s->vmi->nanchors; i++) {
		const struct vmi_anchor *an = &s->vmi->anchors[i];
		if (!an->ok)
			ids_finding(s, "kernel", "TAMPERED: %s: %s", an->name, an->detail);
	}
	return IDS_OPEN_OK;
}

void ids_emit_totals(struct ids_session *s, struct ids_totals *t)
{
	t->findings = s->findings;
	t->partial = s->partial;
	t->stopped_us = (timer_now_ns() - s->started_ns) / 1000;
	struct ids_record rec = {.type = IDS_REC_TOTALS, .totals = *t};
	ids_emit(s, &rec);
}
