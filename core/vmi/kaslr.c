/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmi_init: locating the guest kernel (its KASLR slide) from independent
 * anchors, so that one tampered anchor cannot blind the IDS.
 *
 * With the Image's load address known (the hypervisor put it there, the
 * guest cannot change that fact; the header page itself is not: the kernel
 * frees [_text, _stext) after boot):
 *  - "TTBR1_EL1": the kernel half's table is swapper_pg_dir (or, while the
 *    vCPU is in user mode with KPTI, the trampoline table). Kernel VAs are
 *    always translated through swapper_pg_dir found from the load address;
 *  - "kernel mapping": the slide is the one at which swapper_pg_dir maps
 *    `vectors` and `linux_banner` to their pages in the loaded image. This
 *    is what decides the slide;
 *  - "VBAR_EL1": the exception vectors in use are the kernel's own
 *    (`vectors`, the Spectre-hardened copies, or the KPTI trampoline);
 *  - "linux_banner": reads "Linux version <the profile's release> ";
 *  - "init_task": pid 0, named swapper, a kernel pointer as tasks.next.
 * Without the load address (a memory dump) VBAR_EL1 gives the slide,
 * confirmed by the banner or by init_task, else guest RAM is scanned for
 * the banner and the tables are searched for the image VA that maps it.
 *
 * The slide (runtime - link address) of an arm64 image is a multiple of
 * 64 KiB. Anchors that disagree are recorded in v->anchors, not fatal.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#include "locate.h"

#define SLIDE_ALIGN 0x10000ull
#define BANNER_PREFIX "Linux version "
#define MAX_BANNER_HITS 16
/* Descriptors vmi_init may read, in all, searching the tables for the
 * image's mapping (every banner copy, both table guesses): a guest that
 * plants banners and self-referencing tables costs this much, no more. */
#define FIND_BUDGET (4u << 20)
#define TTBR_BADDR 0x0000fffffffffffeull
#define VECTOR_TABLE 0x800ull      /* one EL1 vector table */
#define VECTOR_COPIES 4            /* hardened / trampoline copies accepted */

/* -- anchors ------------------------------------------------------------------- */

void vmi_anchor(struct vmi *v, const char *name, bool ok, const char *fmt, ...)
{
	if (v->nanchors == VMI_MAX_ANCHORS)
		return;
	struct vmi_anchor *a = &v->anchors[v->nanchors++];
	va_list ap;

	a->name = name;
	a->ok = ok;
	va_start(ap, fmt);
	m_vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
}

/* Copies s for a message: printable ASCII only, at most max bytes. */
void vmi_printable(char *out, size_t size, const char *s, size_t max)
{
	size_t o = 0;
	for (size_t i = 0; i < max && s[i] && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)m_snprintf(out + o, size - o, "\\x%02x", c);
	}
	out[o] = 0;
}

/* Does linux_banner at this slide read as the profile's kernel? On a
 * mismatch v->err holds what it reads instead. */
int vmi_check_banner(struct vmi *v, uint64_t slide, const char *release)
{
	uint64_t link;
	char got[96], want[96], shown[200];

	if (profile_value(v->prof, "sym.linux_banner", &link))
		return vmi_fail(v, VMI_ENOKEY, "the profile has no sym.linux_banner");
	int n = m_snprintf(want, sizeof(want), BANNER_PREFIX "%s ", release);
	if (n <= 0 || (size_t)n >= sizeof(want))
		return vmi_fail(v, VMI_EINVAL, "release string too long");
	int rc = vmi_read_str(v, link + slide, got, (size_t)n + 1);
	if (rc && rc != VMI_ETRUNC)
		return vmi_context(v, rc, "reading linux_banner at 0x%llx",
				   (unsigned long long)(link + slide));
	if (strcmp(got, want) != 0) {
		vmi_printable(shown, sizeof(shown), got, 36);
		return vmi_fail(v, VMI_EKASLR, "linux_banner at 0x%llx reads \"%s\", not \"%s\"",
				(unsigned long long)(link + slide), shown, want);
	}
	return VMI_OK;
}

/* init_task at this slide: pid 0, a name starting "swapper", a kernel
 * pointer in tasks.next. */
int vmi_check_init_task(struct vmi *v, uint64_t slide)
{
	uint64_t link, pid_off, comm_off, tasks_off, next;
	uint32_t pid;
	char comm[VMI_COMM_LEN + 1] = "", shown[80];

	if (profile_value(v->prof, "sym.init_task", &link) ||
	    profile_value(v->prof, "task_struct.pid", &pid_off) ||
	    profile_value(v->prof, "task_struct.comm", &comm_off) ||
	    profile_value(v->prof, "task_struct.tasks", &tasks_off))
		return vmi_fail(v, VMI_ENOKEY, "the profile lacks init_task or its members");
	uint64_t task = link + slide;
	int rc = vmi_read_u32(v, task + pid_off, &pid);
	if (!rc)
		rc = vmi_read_virt(v, task + comm_off, comm, VMI_COMM_LEN);
	if (!rc)
		rc = vmi_read_ulong(v, task + tasks_off, &next);
	if (rc)
		return vmi_context(v, rc, "reading init_task at 0x%llx", (unsigned long long)task);
	comm[VMI_COMM_LEN] = 0;
	if (pid != 0 || strncmp(comm, "swapper", 7) != 0 || !vmi_is_kptr(v, next)) {
		vmi_printable(shown, sizeof(shown), comm, VMI_COMM_LEN);
		return vmi_fail(v, VMI_ECORRUPT,
				"init_task at 0x%llx has pid %u, name \"%s\", tasks.next 0x%llx "
				"(expected pid 0, \"swapper...\", a kernel pointer)",
				(unsigned long long)task, pid, shown, (unsigned long long)next);
	}
	return VMI_OK;
}

/* -- without the load address: VBAR_EL1, then a banner scan --------------------- */

static int vbar_slide(struct vmi *v, const char *anchor_sym, uint64_t max_residual, uint64_t *slide)
{
	char key[48];
	uint64_t link;

	m_snprintf(key, sizeof(key), "sym.%s", anchor_sym);
	if (profile_value(v->prof, key, &link))
		return vmi_fail(v, VMI_ENOKEY, "the profile has no %s", key);
	uint64_t delta = v->regs.vbar - link;
	*slide = delta & ~(SLIDE_ALIGN - 1);
	if (delta - *slide > max_residual || (delta - *slide) % VECTOR_TABLE)
		return vmi_fail(v, VMI_EKASLR,
				"VBAR_EL1 0x%llx - %s 0x%llx = 0x%llx is not 64 KiB aligned",
				(unsigned long long)v->regs.vbar, anchor_sym,
				(unsigned long long)link, (unsigned long long)delta);
	return VMI_OK;
}

/* Where in guest RAM "Linux version <release> " occurs: up to max PAs. */
static int scan_banner(struct vmi *v, const char *want, size_t wlen, uint64_t *hits, int max)
{
	int n = 0;

	for (size_t b = 0; b < v->nbanks && n < max; b++) {
		const uint8_t *p = v->banks[b].host;
		uint64_t size = v->banks[b].size;
		for (uint64_t off = 0; off + wlen <= size && n < max; off++) {
			if (p[off] == 'L' && memcmp(p + off, want, wlen) == 0)
				hits[n++] = v->banks[b].gpa + off;
		}
	}
	return n;
}

/* Descriptor reads through the walker, counted against FIND_BUDGET. */
static int counted_read64(void *ctx, uint64_t pa, uint64_t *val)
{
	struct vmi *v = ctx;
	struct gw_mem inner = vmi_walk_mem(v);
	v->stats.find_reads++;
	return inner.read64(inner.ctx, pa, val);
}

static bool search_exhausted(const struct vmi *v)
{
	return v->stats.find_reads >= FIND_BUDGET;
}

/* Up to max image VAs from link on that map pa, within what is left of the
 * search budget; -1 when it runs out (or the tables are unusable). */
static int find_va(struct vmi *v, uint64_t pa, uint64_t link, uint64_t *vas, int max)
{
	struct gw_mem m = { counted_read64, v };
	if (search_exhausted(v))
		return -1;
	return gw_find_va(&v->walk, &m, pa, link, ~0ull, vas, max,
			  (uint32_t)(FIND_BUDGET - v->stats.find_reads));
}

/* The slide at which the image maps the banner found at banner_pa. */
static int slide_from_pa(struct vmi *v, uint64_t banner_pa, uint64_t link, const char *release)
{
	uint64_t vas[4];
	int n = find_va(v, banner_pa, link, vas, 4);

	for (int i = 0; i < n; i++) {
		uint64_t slide = vas[i] - link;
		if (slide % SLIDE_ALIGN == 0 && vmi_check_banner(v, slide, release) == VMI_OK) {
			v->slide = slide;
			return VMI_OK;
		}
	}
	return vmi_fail(v, VMI_EKASLR, "no kernel-image mapping of the banner at 0x%llx",
			(unsigned long long)banner_pa);
}

static int scan_for_slide(struct vmi *v, const char *release)
{
	char want[96];
	uint64_t hits[MAX_BANNER_HITS], link, swapper;
	int n = m_snprintf(want, sizeof(want), BANNER_PREFIX "%s ", release);

	if (profile_value(v->prof, "sym.linux_banner", &link))
		return vmi_fail(v, VMI_ENOKEY, "the profile has no sym.linux_banner");
	int found = scan_banner(v, want, (size_t)n, hits, MAX_BANNER_HITS);
	if (found == 0) {
		/* Another kernel than the profile's? Say which, if a banner is there. */
		char other[64] = "", shown[200];
		uint64_t any;
		if (scan_banner(v, BANNER_PREFIX, sizeof(BANNER_PREFIX) - 1, &any, 1) == 1 &&
		    vmi_read_phys(v, any, other, sizeof(other) - 1) == VMI_OK) {
			/* "Linux version <release>": up to the third space. */
			for (int i = 0, spaces = 0; other[i]; i++) {
				if (other[i] == '\n' || (other[i] == ' ' && ++spaces == 3)) {
					other[i] = 0;
					break;
				}
			}
			vmi_printable(shown, sizeof(shown), other, sizeof(other) - 1);
			return vmi_fail(v, VMI_EKASLR, "\"%s\" is nowhere in guest RAM, which holds "
					"\"%s\": a kernel other than the profile's", want, shown);
		}
		return vmi_fail(v, VMI_EKASLR, "\"%s\" is nowhere in guest RAM", want);
	}
	int tried = 0;
	for (int i = 0; i < found && !search_exhausted(v); i++, tried++)
		if (slide_from_pa(v, hits[i], link, release) == VMI_OK)
			return VMI_OK;
	/* TTBR1 may be a user-mode trampoline table (KPTI): try swapper_pg_dir
	 * at its place relative to each banner copy. */
	if (profile_value(v->prof, "sym.swapper_pg_dir", &swapper) == 0) {
		uint64_t saved = v->walk.ttbr1;
		for (int i = 0; i < found && !search_exhausted(v); i++, tried++) {
			v->walk.ttbr1 = hits[i] + (swapper - link);
			vmi_flush(v);
			if (slide_from_pa(v, hits[i], link, release) == VMI_OK)
				return VMI_OK;
		}
		v->walk.ttbr1 = saved;
		vmi_flush(v);
	}
	if (search_exhausted(v))
		return vmi_fail(v, VMI_EKASLR, "found the banner %d time(s) in guest RAM; gave up looking "
				"for its kernel-image mapping when the search budget (%u page-table "
				"descriptors) ran out, %d of %d table searches done", found,
				FIND_BUDGET, tried, 2 * found);
	return vmi_fail(v, VMI_EKASLR,
			"found the banner %d time(s) in guest RAM but no kernel-image mapping of it",
			found);
}

/* A memory dump without the load address: VBAR_EL1 first. */
static int locate_without_image(struct vmi *v, const char *release)
{
	char why[VMI_ERR_LEN] = "";
	static const struct { const char *sym; uint64_t residual; } tables[] = {
		{"vectors", 0}, {"__bp_harden_el1_vectors", VECTOR_TABLE * (VECTOR_COPIES - 1)},
	};

	if (v->regs.vbar && vmi_is_kva(v, v->regs.vbar)) {
		for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
			uint64_t slide = 0;
			if (vbar_slide(v, tables[i].sym, tables[i].residual, &slide))
				continue;
			if (vmi_check_banner(v, slide, release) == VMI_OK) {
				v->slide = slide;
				v->slide_source = "VBAR_EL1";
				vmi_anchor(v, "VBAR_EL1", true, "0x%llx: %s", (unsigned long long)v->regs.vbar,
				       tables[i].sym);
				vmi_anchor(v, "linux_banner", true, "Linux version %s", release);
				return VMI_OK;
			}
			memcpy(why, v->err, sizeof(why));
			/* The banner disagrees: init_task can still confirm the slide. */
			if (vmi_check_init_task(v, slide) == VMI_OK) {
				v->slide = slide;
				v->slide_source = "VBAR_EL1 and init_task";
				vmi_anchor(v, "VBAR_EL1", true, "0x%llx: %s", (unsigned long long)v->regs.vbar,
				       tables[i].sym);
				vmi_anchor(v, "linux_banner", false, "%s", why);
				return VMI_OK;
			}
		}
		if (!why[0])
			memcpy(why, v->err, sizeof(why));
	} else {
		m_snprintf(why, sizeof(why), "VBAR_EL1 0x%llx is not a kernel address",
			   (unsigned long long)v->regs.vbar);
	}
	if (scan_for_slide(v, release) == VMI_OK) {
		v->slide_source = "banner scan";
		vmi_anchor(v, "VBAR_EL1", false, "%s", why);
		vmi_anchor(v, "linux_banner", true, "Linux version %s", release);
		return VMI_OK;
	}
	return vmi_context(v, VMI_EKASLR, "finding the kernel slide: %s; then", why);
}

/* -- with the load address ----------------------------------------------------------- */

struct image_syms {
	uint64_t text, vectors, banner, swapper;
};

static uint64_t pa_of(const struct vmi *v, const struct image_syms *s, uint64_t link)
{
	return v->image_pa + (link - s->text);
}

/* Does swapper_pg_dir map vectors and linux_banner at this slide to their
 * pages in the loaded image? */
static bool mapping_agrees(struct vmi *v, const struct image_syms *s, uint64_t slide)
{
	uint64_t pa;
	return slide % SLIDE_ALIGN == 0 &&
	       vmi_translate(v, s->vectors + slide, &pa) == VMI_OK && pa == pa_of(v, s, s->vectors) &&
	       vmi_translate(v, s->banner + slide, &pa) == VMI_OK && pa == pa_of(v, s, s->banner);
}

static void check_ttbr1(struct vmi *v, const struct image_syms *s)
{
	uint64_t base = v->regs.ttbr1 & TTBR_BADDR, tramp;
	uint64_t swapper_pa = pa_of(v, s, s->swapper);

	if (base == swapper_pa)
		vmi_anchor(v, "TTBR1_EL1", true, "swapper_pg_dir at 0x%llx", (unsigned long long)base);
	else if (profile_value(v->prof, "sym.tramp_pg_dir", &tramp) == 0 && base == pa_of(v, s, tramp))
		vmi_anchor(v, "TTBR1_EL1", true, "tramp_pg_dir at 0x%llx (vCPU in user mode)",
		       (unsigned long long)base);
	else
		vmi_anchor(v, "TTBR1_EL1", false,
		       "TTBR1_EL1 0x%llx points at a table at 0x%llx, not swapper_pg_dir at 0x%llx",
		       (unsigned long long)v->regs.ttbr1, (unsigned long long)base,
		       (unsigned long long)swapper_pa);
	/* Kernel VAs are read through the kernel's own table, whatever TTBR1 says. */
	v->walk.ttbr1 = swapper_pa;
	vmi_flush(v);
}

enum vec_kind { VEC_NONE, VEC_KERNEL, VEC_HARDENED, VEC_TRAMP };
static const char *const vec_names[] = {
	[VEC_NONE] = "not a vector table", [VEC_KERNEL] = "vectors",
	[VEC_HARDENED] = "Spectre-hardened vectors", [VEC_TRAMP] = "the KPTI trampoline vectors",
};

/* The kernel's own vectors, one of its Spectre-hardened copies, or (KPTI)
 * an alias of its trampoline vectors. */
static enum vec_kind kernel_vectors(struct vmi *v, const struct image_syms *s, uint64_t addr)
{
	uint64_t link, pa;
	if (addr == s->vectors + v->slide)
		return VEC_KERNEL;
	if (profile_value(v->prof, "sym.__bp_harden_el1_vectors", &link) == 0 &&
	    addr >= link + v->slide && addr - (link + v->slide) < VECTOR_TABLE * VECTOR_COPIES &&
	    (addr - link - v->slide) % VECTOR_TABLE == 0)
		return VEC_HARDENED;
	if (profile_value(v->prof, "sym.tramp_vectors", &link) == 0 &&
	    vmi_translate(v, addr, &pa) == VMI_OK && pa >= pa_of(v, s, link) &&
	    pa - pa_of(v, s, link) < VECTOR_TABLE * VECTOR_COPIES &&
	    (pa - pa_of(v, s, link)) % VECTOR_TABLE == 0)
		return VEC_TRAMP;
	return VEC_NONE;
}

static void describe(struct vmi *v, uint64_t addr, char *buf, size_t size)
{
	if (vmi_symbolize(v, addr, buf, size) != VMI_OK)
		m_snprintf(buf, size, "outside kernel text");
}

/* Is VBAR_EL1 at one of the kernel's own vector tables? */
static void check_vbar(struct vmi *v, const struct image_syms *s)
{
	uint64_t vbar = v->regs.vbar;
	enum vec_kind which = kernel_vectors(v, s, vbar);
	char where[96];

	if (which != VEC_NONE) {
		vmi_anchor(v, "VBAR_EL1", true, "%s at 0x%llx", vec_names[which], (unsigned long long)vbar);
		return;
	}
	describe(v, vbar, where, sizeof(where));
	vmi_anchor(v, "VBAR_EL1", false,
	       "VBAR_EL1 0x%llx (%s) is not the kernel's exception vectors (vectors at 0x%llx)",
	       (unsigned long long)vbar, where, (unsigned long long)(s->vectors + v->slide));
}

#define MAX_CPUS 64
#define PAGE 0x1000ull

/*
 * KPTI with a relocatable kernel: on every entry from user mode the
 * trampoline loads VBAR_EL1 from a read-only quad at the start of its data
 * page, the page right after its text (__entry_tramp_text_end). It must
 * hold `vectors`: read it where the kernel was loaded, whatever maps it.
 */
static void check_tramp_pointer(struct vmi *v, const struct image_syms *s)
{
	uint64_t end, relocatable, quad;
	char where[96];

	if (profile_value(v->prof, "sym.__entry_tramp_text_end", &end) || (end & (PAGE - 1)) ||
	    profile_value(v->prof, "const.randomize_base", &relocatable) || !relocatable)
		return;
	if (vmi_read_phys(v, pa_of(v, s, end), &quad, sizeof(quad)) != VMI_OK) {
		vmi_anchor(v, "KPTI trampoline", false, "its data page at 0x%llx is unreadable: %s",
		       (unsigned long long)pa_of(v, s, end), vmi_error(v));
		return;
	}
	if (quad == s->vectors + v->slide) {
		vmi_anchor(v, "KPTI trampoline", true, "loads vectors");
		return;
	}
	describe(v, quad, where, sizeof(where));
	vmi_anchor(v, "KPTI trampoline", false,
	       "the trampoline loads VBAR_EL1 with 0x%llx (%s), not the kernel's vectors (0x%llx)",
	       (unsigned long long)quad, where, (unsigned long long)(s->vectors + v->slide));
}

/* In a guest of several vCPUs, VBAR_EL1 of every vCPU that is on: the IDS reads one
 * vCPU's registers, and a rootkit that redirects the vectors of the other CPUs only
 * would go unseen there. */
static void check_vcpu_vbars(struct vmi *v, const struct image_syms *s)
{
	unsigned n = v->regs.ncpus < VMI_MAX_VCPUS ? v->regs.ncpus : VMI_MAX_VCPUS;
	unsigned on = 0;
	char where[96];
	if (n < 2)
		return;
	for (unsigned cpu = 0; cpu < n; cpu++) {
		uint64_t vbar = v->regs.cpu_vbar[cpu];
		if (!(v->regs.cpu_on & (1u << cpu)))
			continue;
		on++;
		if (kernel_vectors(v, s, vbar) == VEC_NONE) {
			describe(v, vbar, where, sizeof(where));
			vmi_anchor(v, "VBAR_EL1 of every vCPU", false,
			       "vCPU %u's VBAR_EL1 is 0x%llx (%s), not the kernel's vectors (0x%llx)",
			       cpu, (unsigned long long)vbar, where,
			       (unsigned long long)(s->vectors + v->slide));
			return;
		}
	}
	vmi_anchor(v, "VBAR_EL1 of every vCPU", true, "the kernel's vectors on %u vCPU(s)", on);
}

/* this_cpu_vector: what the kernel puts into VBAR_EL1 on every entry from
 * user mode with KPTI; a redirect that survives there is as good as VBAR. */
static void check_cpu_vectors(struct vmi *v, const struct image_syms *s)
{
	uint64_t tcv, offsets, nr, off, vec;
	uint32_t ncpus = 1;
	char where[96];

	if (profile_value(v->prof, "sym.this_cpu_vector", &tcv) ||
	    profile_value(v->prof, "sym.__per_cpu_offset", &offsets))
		return;
	if (profile_value(v->prof, "sym.nr_cpu_ids", &nr) == 0 &&
	    vmi_read_u32(v, nr + v->slide, &ncpus) != VMI_OK) {
		vmi_anchor(v, "this_cpu_vector", false, "cannot read nr_cpu_ids: %s", vmi_error(v));
		return;
	}
	if (ncpus == 0 || ncpus > MAX_CPUS) {
		vmi_anchor(v, "this_cpu_vector", false, "nr_cpu_ids is %u", ncpus);
		return;
	}
	for (uint32_t cpu = 0; cpu < ncpus; cpu++) {
		int rc = vmi_read_u64(v, offsets + v->slide + 8 * cpu, &off);
		if (!rc)
			rc = vmi_read_u64(v, tcv + v->slide + off, &vec);
		if (rc) {
			vmi_anchor(v, "this_cpu_vector", false, "cannot read CPU %u's this_cpu_vector: %s", cpu,
			       vmi_error(v));
			return;
		}
		if (kernel_vectors(v, s, vec) == VEC_NONE) {
			describe(v, vec, where, sizeof(where));
			vmi_anchor(v, "this_cpu_vector", false,
			       "CPU %u's this_cpu_vector is 0x%llx (%s), not the kernel's vectors "
			       "(0x%llx)", cpu, (unsigned long long)vec, where,
			       (unsigned long long)(s->vectors + v->slide));
			return;
		}
	}
	vmi_anchor(v, "this_cpu_vector", true, "the kernel's vectors on %u CPU(s)", ncpus);
}

static int locate_with_image(struct vmi *v, const char *release)
{
	struct image_syms s;

	if (profile_value(v->prof, "sym._text", &s.text) ||
	    profile_value(v->prof, "sym.vectors", &s.vectors) ||
	    profile_value(v->prof, "sym.linux_banner", &s.banner) ||
	    profile_value(v->prof, "sym.swapper_pg_dir", &s.swapper))
		return vmi_fail(v, VMI_ENOKEY, "the profile lacks _text, vectors, linux_banner or "
				"swapper_pg_dir");
	check_ttbr1(v, &s);

	/* The slide: VBAR_EL1's suggestion if the kernel's mapping agrees,
	 * else the image VA that maps the banner's page. */
	uint64_t slide = (v->regs.vbar - s.vectors) & ~(SLIDE_ALIGN - 1);
	bool found = mapping_agrees(v, &s, slide);
	if (!found) {
		uint64_t vas[4];
		int n = find_va(v, pa_of(v, &s, s.banner), s.banner, vas, 4);
		for (int i = 0; i < n && !found; i++) {
			slide = vas[i] - s.banner;
			found = mapping_agrees(v, &s, slide);
		}
	}
	if (!found) {
		vmi_anchor(v, "kernel mapping", false,
		       "swapper_pg_dir at 0x%llx maps no kernel-image VA to linux_banner's page 0x%llx%s",
		       (unsigned long long)pa_of(v, &s, s.swapper),
		       (unsigned long long)pa_of(v, &s, s.banner),
		       search_exhausted(v) ? " (gave up: the table search budget ran out)" : "");
		/* Back to what the vCPU says. */
		v->walk.ttbr1 = v->regs.ttbr1;
		vmi_flush(v);
		return locate_without_image(v, release);
	}
	v->slide = slide;
	v->slide_source = "kernel mapping";
	vmi_anchor(v, "kernel mapping", true, "slide 0x%llx", (unsigned long long)slide);
	check_vbar(v, &s);
	check_vcpu_vbars(v, &s);
	check_cpu_vectors(v, &s);
	check_tramp_pointer(v, &s);
	if (vmi_check_banner(v, slide, release) == VMI_OK)
		vmi_anchor(v, "linux_banner", true, "Linux version %s", release);
	else
		vmi_anchor(v, "linux_banner", false, "%s", v->err);
	if (vmi_check_init_task(v, slide) == VMI_OK)
		vmi_anchor(v, "init_task", true, "pid 0, swapper");
	else
		vmi_anchor(v, "init_task", false, "%s", v->err);
	v->err[0] = 0;
	return VMI_OK;
}

int vmi_init(struct vmi *v, const struct vmi_bank *banks, size_t nbanks,
	     const struct vmi_regs *regs, const struct profile *prof)
{
	memset(v, 0, sizeof(*v));
	v->ptr_size = 8; /* until the profile says otherwise */
	if (!banks || !nbanks || !regs || !prof)
		return vmi_fail(v, VMI_EINVAL, "vmi_init: no memory, registers or profile");
	v->banks = banks;
	v->nbanks = nbanks;
	v->regs = *regs;
	v->prof = prof;
	v->use_tlb = true;
	v->image_pa = regs->image_pa;
	v->walk = (struct gw_regs){ regs->ttbr0, regs->ttbr1, regs->tcr };
	const char *release = profile_string(prof, "str.release");
	const char *arch = profile_string(prof, "str.arch");
	if (arch && strcmp(arch, "arm64") != 0) {
		if (strcmp(arch, "arm") != 0)
			return vmi_fail(v, VMI_EINVAL, "profile for an unsupported architecture");
		uint64_t ptr = 4;
		v->arch = VMI_ARCH_ARMV5;
		v->ptr_size = 4;
		if (profile_value(prof, "const.ptr_size", &ptr) == 0 && ptr != 4)
			return vmi_fail(v, VMI_EINVAL, "32-bit ARM profile with %llu-byte pointers",
					(unsigned long long)ptr);
		if (!release || strlen(release) > 64)
			return vmi_fail(v, VMI_ENOKEY, "the profile has no usable str.release");
		return vmi_locate_armv5(v, release);
	}
	v->arch = VMI_ARCH_ARM64;
	v->ptr_size = 8;
	if (!(regs->sctlr & SCTLR_M))
		return vmi_fail(v, VMI_ESTATE, "the guest's MMU is off (SCTLR_EL1 0x%llx)",
				(unsigned long long)regs->sctlr);
	unsigned t1sz = (unsigned)(regs->tcr >> 16) & 0x3f;
	if (t1sz < 12 || t1sz > 48)
		return vmi_fail(v, VMI_ESTATE, "TCR_EL1.T1SZ %u is unusable", t1sz);
	v->kva_start = ~0ull << (64 - t1sz);
	v->kva_end = ~0ull;

	if (!release || strlen(release) > 64)
		return vmi_fail(v, VMI_ENOKEY, "the profile has no usable str.release");
	if (v->image_pa)
		return locate_with_image(v, release);
	return locate_without_image(v, release);
}
