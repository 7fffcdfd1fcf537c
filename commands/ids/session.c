/* SPDX-License-Identifier: GPL-2.0-only */
/* What every IDS command does first: find the guest, its profile and its kernel. */
#include <arch/cpu.h>
#include <mamoru/libc.h>

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

void ids_json_str(struct console *con, const char *s)
{
	con_write(con, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			con_printf(con, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			con_printf(con, "\\u%04x", c);
		else
			con_write(con, (const char *)&c, 1);
	}
	con_write(con, "\"", 1);
}

static void text_escaped(struct console *con, const char *s, unsigned flags)
{
	char out[64];
	/* Fifteen input bytes at most per piece: 4 * 15 + 1 fits. */
	for (size_t len = strlen(s); len; ) {
		size_t n = MIN(len, (size_t)15);
		con_write(con, out, str_escape(out, sizeof(out), s, n, flags));
		s += n;
		len -= n;
	}
}

void ids_text_str(struct console *con, const char *s)
{
	text_escaped(con, s, 0);
}

static void vfinding(struct ids_session *s, const char *check, const char *fmt, va_list ap)
{
	char text[VMI_ERR_LEN + 160];
	m_vsnprintf(text, sizeof(text), fmt, ap);
	s->findings++;
	if (s->json) {
		con_printf(s->con, "{\"type\":\"finding\",\"guest\":\"%s\",\"check\":\"%s\",\"finding\":",
			   s->g ? s->g->name : "?", check);
		ids_json_str(s->con, text);
		con_printf(s->con, "}\n");
	} else {
		/* Built from escaped names and library messages (which quote guest
		 * bytes as \xNN): no control character gets through, nothing is
		 * escaped twice. */
		con_printf(s->con, "finding: %s: ", check);
		text_escaped(s->con, text, ESC_KEEP_BACKSLASH);
		con_printf(s->con, "\n");
	}
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

int ids_error(struct ids_session *s, const char *doing)
{
	if (s->json) {
		con_printf(s->con, "{\"type\":\"error\",\"guest\":\"%s\",\"error\":", s->g ? s->g->name : "?");
		ids_json_str(s->con, vmi_error(s->vmi));
		con_printf(s->con, ",\"doing\":\"%s\"}\n", doing);
	} else {
		con_printf(s->con, "error: %s: %s\n", doing, vmi_error(s->vmi));
	}
	return -1;
}

static const struct profile *guest_profile(struct console *con, struct guest *g)
{
	int i = g->id;
	if (profile_ok[i])
		return &profiles[i];
	if (!g->image.profile) {
		con_printf(con, "error: %s has no IDS profile (build one with './mamoru profile' and put it "
			   "in the guest bundle as %s/profile)\n", g->name, g->name);
		return NULL;
	}
	char err[128];
	if (profile_load(&profiles[i], g->image.profile, g->image.profile_size, err, sizeof(err))) {
		con_printf(con, "error: %s's profile is unusable: %s\n", g->name, err);
		return NULL;
	}
	profile_ok[i] = true;
	return &profiles[i];
}

int ids_open(struct ids_session *s, struct console *con, const struct ids_args *a)
{
	memset(s, 0, sizeof(*s));
	s->con = con;
	s->json = a->json;
	s->vmi = &vmi_state;
	s->started_ns = timer_now_ns();
	s->g = guest_lookup(con, a->guest);
	if (!s->g)
		return IDS_CANNOT_CHECK;
	struct guest *g = s->g;
	if (g->state != GUEST_RUNNING && g->state != GUEST_PAUSED) {
		con_printf(con, "error: %s is %s; the IDS inspects a guest that is running or paused\n", g->name,
			   guest_state_name(g->state));
		return IDS_CANNOT_CHECK;
	}
	s->prof = guest_profile(con, g);
	if (!s->prof)
		return IDS_CANNOT_CHECK;

	/* The guest does not run while a command runs: its state is frozen. */
	guest_snapshot(g);
	const struct vcpu *v = &g->vcpu;
	struct vmi_regs regs = {
		.ttbr0_el1 = v->el1.ttbr0, .ttbr1_el1 = v->el1.ttbr1, .tcr_el1 = v->el1.tcr,
		.sctlr_el1 = v->el1.sctlr, .vbar_el1 = v->el1.vbar, .sp_el0 = v->el1.sp_el0, .pc = v->pc,
		.image_pa = g->kernel_ipa,
	};
	s->bank.gpa = g->ram_ipa;
	s->bank.size = g->ram_size;
	s->bank.host = (const uint8_t *)g->ram_host;
	if (vmi_init(s->vmi, &s->bank, 1, &regs, s->prof)) {
		/* A running guest whose kernel cannot be found where its profile
		 * says: evidence, not an excuse to stay silent. */
		ids_tampered(s, "kernel", "locating the guest kernel");
		return IDS_OPEN_TAMPERED;
	}
	s->located = true;
	for (unsigned i = 0; i < s->vmi->nanchors; i++) {
		const struct vmi_anchor *an = &s->vmi->anchors[i];
		if (!an->ok)
			ids_finding(s, "kernel", "TAMPERED: %s: %s", an->name, an->detail);
	}
	return IDS_OPEN_OK;
}

void ids_close(struct ids_session *s, const char *what)
{
	uint64_t us = (timer_now_ns() - s->started_ns) / 1000;
	if (s->json)
		con_printf(s->con, "{\"type\":\"summary\",\"guest\":\"%s\",\"scan\":\"%s\",\"findings\":%u,"
			   "\"stopped_us\":%llu}\n", s->g->name, what, s->findings, (unsigned long long)us);
}
