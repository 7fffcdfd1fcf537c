/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids integrity`: the guest kernel's text, exception vectors and read-only
 * data compared with the kernel Image in the bundle, through the guest's
 * page tables, allowing exactly what the integrity manifest says the kernel
 * itself writes (relocations, alternatives, jump labels, ftrace entries).
 * See docs/integrity.md for the baseline, each accepted change and the limits.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/integrity.h>

#include "ids.h"

#define MAX_MODULES 64
#define MAX_PRINTED 64     /* findings printed in full per scan; the rest are counted */

static struct integ_manifest manifests[GUEST_MAX];
static bool manifest_ok[GUEST_MAX];

struct module_range {
	char name[VMI_MODNAME_LEN + 1];
	uint64_t base, size;
};

struct ictx {
	struct ids_session *s;
	const struct integ_manifest *m;
	bool skip_syscall_tables;
	uint64_t sct[2][2];        /* [start, end) link offsets of the syscall tables */
	struct module_range mods[MAX_MODULES];
	unsigned nmods;
	unsigned printed, elided;
	uint64_t text_start, text_end;
	uint64_t pages;            /* pages read by the last scan */
	bool ftrace_hook;          /* the finding is at ftrace_call / ftrace_graph_call */
};

static struct ictx ictx;       /* one scan at a time */

static const struct integ_manifest *guest_manifest(struct ids_session *s)
{
	struct guest *g = s->g;
	if (manifest_ok[g->id])
		return &manifests[g->id];
	char err[128];
	if (!g->image.integrity) {
		ids_error(s, "%s has no kernel integrity manifest (the bundle needs %s/integrity; "
			  "./mamoru build makes it)", g->name, g->name);
		return NULL;
	}
	if (integ_load(&manifests[g->id], g->image.integrity, g->image.integrity_size, err, sizeof(err)) ||
	    integ_match_image(&manifests[g->id], g->image.kernel, g->image.kernel_size, err, sizeof(err))) {
		ids_error(s, "%s's integrity manifest is unusable: %s", g->name, err);
		return NULL;
	}
	manifest_ok[g->id] = true;
	return &manifests[g->id];
}

static int add_module(void *ctx, const struct vmi_module *mod)
{
	struct ictx *c = ctx;
	if (c->nmods < MAX_MODULES) {
		memcpy(c->mods[c->nmods].name, mod->name, sizeof(c->mods[0].name));
		c->mods[c->nmods].base = mod->base;
		c->mods[c->nmods].size = mod->size;
		c->nmods++;
	}
	return 0;
}

/* Where a branch from changed text goes: "kernel text <sym>", "module x", ... */
static void where(struct ictx *c, uint64_t target, char *buf, size_t size)
{
	char sym[96];
	if (target >= c->text_start && target < c->text_end) {
		vmi_symbolize(c->s->vmi, target, sym, sizeof(sym));
		m_snprintf(buf, size, "into kernel text %s", sym);
		return;
	}
	for (unsigned i = 0; i < c->nmods; i++)
		if (c->mods[i].size && target >= c->mods[i].base && target - c->mods[i].base < c->mods[i].size) {
			/* A description: the guest's name escaped here (see report.h). */
			char name[4 * VMI_MODNAME_LEN + 1];
			str_escape(name, sizeof(name), c->mods[i].name, VMI_MODNAME_LEN, 0);
			m_snprintf(buf, size, "into module %s", name);
			return;
		}
	m_snprintf(buf, size, "into memory no listed module owns");
}

static const char *region_name(enum integ_region r)
{
	return r == INTEG_RODATA ? "rodata" : r == INTEG_VECTORS ? "vectors" : "text";
}

static const char *site_name(enum integ_site_kind k)
{
	switch (k) {
	case INTEG_SITE_ALT: return "alternative";
	case INTEG_SITE_JUMP: return "static key";
	case INTEG_SITE_FTRACE: return "ftrace entry";
	case INTEG_SITE_CALLBACK: return "alternative callback";
	case INTEG_SITE_KVM_CALLBACK: return "KVM alternative callback";
	case INTEG_SITE_HYP_RELOC: return "KVM hyp relocation";
	default: return "";
	}
}

/* "<sym>+0x<off>" for a finding's runtime address. */
static void locate(struct ictx *c, const struct integ_finding *f, uint64_t va, char *buf, size_t size)
{
	if (f->region == INTEG_RODATA) {
		uint32_t delta;
		const char *name = integ_rodata_symbol(c->m, f->off, &delta);
		if (name && *name)
			m_snprintf(buf, size, "%s+0x%x", name, delta);
		else
			m_snprintf(buf, size, "0x%llx", (unsigned long long)va);
		return;
	}
	if (vmi_symbolize(c->s->vmi, va, buf, size) == 0 && !strchr(buf, '+'))
		m_snprintf(buf + strlen(buf), size - strlen(buf), "+0x0");
}

/* What the changed text now is, and its kind in words. */
static void describe_text(struct ictx *c, const struct integ_finding *f, uint64_t va, char *insn, size_t isize,
			  char *kind, size_t ksize)
{
	uint32_t n = f->len / 4 ? f->len / 4 : 1;
	if (n > INTEG_MAX_SITE_WORDS)
		n = INTEG_MAX_SITE_WORDS;
	size_t used = 0;
	uint64_t target = 0;
	bool branch = false, kprobe = false, brk = false;
	for (uint32_t k = 0; k < n && used + 1 < isize; k++) {
		uint32_t w = f->words[k];
		uint64_t t;
		integ_describe(w, va + 4 * k, insn + used, isize - used, &t);
		bool direct = (w & 0x7c000000u) == 0x14000000u;
		/* adrp xN, page; [add xN, xN, #lo;] br xN: a far jump. */
		if ((w & 0x9f000000u) == 0x90000000u && k + 1 < n) {
			uint32_t nx = f->words[k + 1], reg = w & 31;
			if ((nx & 0xffc00000u) == 0x91000000u && (nx & 31) == reg && ((nx >> 5) & 31) == reg)
				t += (nx >> 10) & 0xfffu;
			else
				nx = 0;
			uint32_t at = k + 1 + (nx ? 1 : 0);
			uint32_t br = at < n ? f->words[at] : 0;
			if ((br & 0xfffffc1fu) == 0xd61f0000u && ((br >> 5) & 31) == reg)
				direct = true;
		}
		if (direct && !branch) {
			branch = true;
			target = t;
		}
		if ((w & 0xffe0001fu) == 0xd4200000u) {
			brk = true;
			kprobe |= ((w >> 5) & 0xffffu) == 0x4;
		}
		used = strlen(insn);
		if (k + 1 < n && used + 3 < isize) {
			memcpy(insn + used, "; ", 3);
			used += 2;
		}
	}
	if (f->what == INTEG_FTRACE) {
		char sym[96];
		uint64_t t;
		char tmp[48];
		integ_describe(f->words[1], va + 4, tmp, sizeof(tmp), &t);
		vmi_symbolize(c->s->vmi, t, sym, sizeof(sym));
		m_snprintf(kind, ksize, "ftrace, calls %s", sym);
	} else if (branch && c->ftrace_hook) {
		/* ftrace_call/ftrace_graph_call in ftrace's own trampoline: which tracer
		 * function (or a rootkit's callback) active ftrace entries reach. */
		char to[112];
		where(c, target, to, sizeof(to));
		m_snprintf(kind, ksize, "ftrace callback, %s", to);
	} else if (kprobe) {
		m_snprintf(kind, ksize, "kprobe");
	} else if (brk) {
		m_snprintf(kind, ksize, "breakpoint");
	} else if (branch) {
		where(c, target, kind, ksize);
	} else if (f->what == INTEG_SITE) {
		m_snprintf(kind, ksize, "not a state this %s can take", site_name(f->site));
	} else {
		m_snprintf(kind, ksize, "changed; the image has .inst 0x%08llx", (unsigned long long)f->was);
	}
}

static bool in_syscall_table(struct ictx *c, uint32_t off)
{
	for (int i = 0; i < 2; i++)
		if (off >= c->sct[i][0] && off < c->sct[i][1])
			return true;
	return false;
}

static int on_finding(void *ctx, const struct integ_finding *f)
{
	struct ictx *c = ctx;
	struct ids_session *s = c->s;
	if (c->skip_syscall_tables && f->region == INTEG_RODATA && in_syscall_table(c, f->off))
		return 0;          /* `ids check` reports these as syscall findings */
	if (c->printed >= MAX_PRINTED) {
		c->elided++;       /* counted, not shown */
		return 0;
	}
	c->printed++;
	uint64_t va = c->m->text_base + f->off + s->vmi->slide;
	char at[112], what[160], kind[112];
	locate(c, f, va, at, sizeof(at));
	c->ftrace_hook = !strcmp(at, "ftrace_call+0x0") || !strcmp(at, "ftrace_graph_call+0x0");
	kind[0] = '\0';
	switch (f->what) {
	case INTEG_REMAPPED:
		m_snprintf(what, sizeof(what), "page maps physical 0x%llx, the kernel's is 0x%llx",
			   (unsigned long long)f->pa, (unsigned long long)f->expected_pa);
		m_snprintf(kind, sizeof(kind), "remapped");
		break;
	case INTEG_UNMAPPED:
		m_snprintf(what, sizeof(what), "page not mapped or outside guest RAM");
		m_snprintf(kind, sizeof(kind), "unreadable");
		break;
	case INTEG_RELOC:
	case INTEG_CHANGED:
		if (f->region != INTEG_RODATA) {
			describe_text(c, f, va, what, sizeof(what), kind, sizeof(kind));
			break;
		}
		m_snprintf(what, sizeof(what), "0x%016llx", (unsigned long long)f->now);
		if (f->what == INTEG_RELOC) {
			char sym[96], owner[112];
			if (vmi_symbolize(s->vmi, f->was, sym, sizeof(sym)))
				m_snprintf(sym, sizeof(sym), "0x%llx", (unsigned long long)f->was);
			where(c, f->now, owner, sizeof(owner));
			m_snprintf(kind, sizeof(kind), "pointer %s, was %s", owner, sym);
		} else {
			m_snprintf(kind, sizeof(kind), "changed, %u bytes; the image has 0x%016llx", f->len,
				   (unsigned long long)f->was);
		}
		break;
	default:
		describe_text(c, f, va, what, sizeof(what), kind, sizeof(kind));
		break;
	}
	struct ids_record rec = {.type = IDS_REC_INTEGRITY, .findings = 1, .integrity = {
		.region = region_name(f->region), .addr = va, .at = at, .now = what, .kind = kind}};
	ids_emit(s, &rec);
	return 0;
}

int ids_scan_integrity(struct ids_session *s, bool in_check, struct ids_totals *t)
{
	if (in_check && !s->g->image.integrity) {
		/* Not evidence about the guest, but the operator must know what ran. */
		ids_note(s, "integrity not checked: %s's bundle has no integrity manifest", s->g->name);
		return 0;
	}
	const struct integ_manifest *m = guest_manifest(s);
	if (!m) {
		if (!in_check)
			return -1;
		ids_finding(s, "integrity", "not checked: the bundle's manifest is unusable");
		return 1;
	}
	unsigned before = s->findings;
	struct ictx *c = &ictx;
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->m = m;
	c->skip_syscall_tables = in_check;
	static const char *const tables[2] = { "sys_call_table", "compat_sys_call_table" };
	static const char *const counts[2] = { "const.sct_entries", "const.csct_entries" };
	for (int i = 0; i < 2; i++) {
		uint64_t link, n;
		char key[40];
		m_snprintf(key, sizeof(key), "sym.%s", tables[i]);
		if (profile_value(s->prof, key, &link) || profile_value(s->prof, counts[i], &n) || n > 4096 ||
		    link < m->text_base)
			continue;
		c->sct[i][0] = link - m->text_base;
		c->sct[i][1] = c->sct[i][0] + (uint64_t)s->vmi->ptr_size * n;
	}
	if (vmi_sym(s->vmi, "_stext", &c->text_start) || vmi_sym(s->vmi, "_etext", &c->text_end)) {
		ids_finding(s, "integrity", "not checked: %s", vmi_error(s->vmi));
		return 1;
	}
	if (vmi_module_foreach(s->vmi, IDS_MODULE_LIMIT, add_module, c) < 0)
		c->nmods = 0;       /* attribution only */
	long n = integ_scan(s->vmi, m, s->g->image.kernel, s->g->kernel_ipa, on_finding, c, &c->pages);
	if (c->elided) {
		struct ids_record rec = {.type = IDS_REC_ELIDED, .findings = c->elided,
					 .elided = {.check = "integrity", .count = c->elided}};
		ids_emit(s, &rec);
	}
	/* Fail closed: what stops the comparison is a finding too. */
	if (n < 0)
		ids_tampered(s, "integrity", "comparing the kernel with its image");
	if (t) {
		for (uint32_t i = 0; i < m->nranges; i++) {
			struct integ_range r;
			integ_range_at(m, i, &r);
			*(r.region == INTEG_RODATA ? &t->rodata_bytes : &t->text_bytes) += r.end - r.start;
		}
		t->pages = c->pages;
	}
	return (int)(s->findings - before);
}

int ids_run_integrity(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	(void)a;
	return ids_scan_integrity(s, false, t) < 0 ? CMD_FAIL : CMD_OK;
}
