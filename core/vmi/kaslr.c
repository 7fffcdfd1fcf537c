/*
 * vmi_init and the KASLR slide.
 *
 * First anchor: VBAR_EL1 holds the runtime address of the kernel's exception
 * vectors (`vectors`, or a Spectre-hardened copy `__bp_harden_el1_vectors`
 * plus a 2 KiB slot) while the guest runs in the kernel. The slide
 * (runtime - link address) of an arm64 kernel image is a multiple of 64 KiB.
 * Second anchor: `linux_banner` read at its slid address must start with
 * "Linux version <release> ". Without a usable VBAR (zero, user-mode
 * trampoline, garbage) guest RAM is scanned for the banner and the page
 * tables are searched for the kernel-image VA that maps it.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#define SLIDE_ALIGN 0x10000ull
#define SCTLR_M 1ull
#define BANNER_PREFIX "Linux version "
#define MAX_BANNER_HITS 16
#define FIND_BUDGET (4u << 20) /* descriptors read when searching the tables */

/* Does linux_banner at this slide read as the profile's kernel? */
static int check_banner(struct vmi *v, uint64_t slide, const char *release)
{
	uint64_t link;
	char got[128], want[96];

	if (profile_value(v->prof, "sym.linux_banner", &link))
		return vmi_fail(v, VMI_ENOKEY, "the profile has no sym.linux_banner");
	int n = m_snprintf(want, sizeof(want), BANNER_PREFIX "%s ", release);
	if (n <= 0 || (size_t)n >= sizeof(want))
		return vmi_fail(v, VMI_EINVAL, "release string too long");
	int rc = vmi_read_str(v, link + slide, got, (size_t)n + 1);
	if (rc && rc != VMI_ETRUNC)
		return vmi_context(v, rc, "reading linux_banner at 0x%llx",
				   (unsigned long long)(link + slide));
	if (strcmp(got, want) != 0)
		return vmi_fail(v, VMI_EKASLR, "linux_banner at 0x%llx reads \"%.40s\", not \"%s\"",
				(unsigned long long)(link + slide), got, want);
	return VMI_OK;
}

static int try_vbar(struct vmi *v, const char *anchor, uint64_t max_residual,
		    const char *release)
{
	char key[48];
	uint64_t link;

	m_snprintf(key, sizeof(key), "sym.%s", anchor);
	if (profile_value(v->prof, key, &link))
		return vmi_fail(v, VMI_ENOKEY, "the profile has no %s", key);
	uint64_t delta = v->regs.vbar_el1 - link;
	uint64_t slide = delta & ~(SLIDE_ALIGN - 1);
	if (delta - slide > max_residual)
		return vmi_fail(v, VMI_EKASLR,
				"VBAR_EL1 0x%llx - %s 0x%llx = 0x%llx is not 64 KiB aligned",
				(unsigned long long)v->regs.vbar_el1, anchor,
				(unsigned long long)link, (unsigned long long)delta);
	int rc = check_banner(v, slide, release);
	if (rc)
		return vmi_context(v, rc, "slide 0x%llx from VBAR_EL1 and %s",
				   (unsigned long long)slide, anchor);
	v->slide = slide;
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

/* The slide at which the image maps the banner found at banner_pa. */
static int slide_from_pa(struct vmi *v, uint64_t banner_pa, uint64_t link, const char *release)
{
	struct gw_mem m = vmi_walk_mem(v);
	uint64_t vas[4];
	int n = gw_find_va(&v->walk, &m, banner_pa, link, ~0ull, vas, 4, FIND_BUDGET);

	for (int i = 0; i < n; i++) {
		uint64_t slide = vas[i] - link;
		if (slide % SLIDE_ALIGN == 0 && check_banner(v, slide, release) == VMI_OK) {
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
	if (found == 0)
		return vmi_fail(v, VMI_EKASLR, "\"%s\" is nowhere in guest RAM", want);
	for (int i = 0; i < found; i++)
		if (slide_from_pa(v, hits[i], link, release) == VMI_OK)
			return VMI_OK;
	/* TTBR1 may be a user-mode trampoline table (KPTI): try swapper_pg_dir
	 * at its place relative to each banner copy. */
	if (profile_value(v->prof, "sym.swapper_pg_dir", &swapper) == 0) {
		uint64_t saved = v->walk.ttbr1;
		for (int i = 0; i < found; i++) {
			v->walk.ttbr1 = hits[i] + (swapper - link);
			vmi_flush(v);
			if (slide_from_pa(v, hits[i], link, release) == VMI_OK)
				return VMI_OK;
		}
		v->walk.ttbr1 = saved;
		vmi_flush(v);
	}
	return vmi_fail(v, VMI_EKASLR,
			"found the banner %d time(s) in guest RAM but no kernel-image mapping of it",
			found);
}

int vmi_init(struct vmi *v, const struct vmi_bank *banks, size_t nbanks,
	     const struct vmi_regs *regs, const struct profile *prof)
{
	char why[VMI_ERR_LEN];

	memset(v, 0, sizeof(*v));
	if (!banks || !nbanks || !regs || !prof)
		return vmi_fail(v, VMI_EINVAL, "vmi_init: no memory, registers or profile");
	v->banks = banks;
	v->nbanks = nbanks;
	v->regs = *regs;
	v->prof = prof;
	v->use_tlb = true;
	v->walk = (struct gw_regs){ regs->ttbr0_el1, regs->ttbr1_el1, regs->tcr_el1 };
	if (!(regs->sctlr_el1 & SCTLR_M))
		return vmi_fail(v, VMI_ESTATE, "the guest's MMU is off (SCTLR_EL1 0x%llx)",
				(unsigned long long)regs->sctlr_el1);
	unsigned t1sz = (unsigned)(regs->tcr_el1 >> 16) & 0x3f;
	if (t1sz < 12 || t1sz > 48)
		return vmi_fail(v, VMI_ESTATE, "TCR_EL1.T1SZ %u is unusable", t1sz);
	v->kva_start = ~0ull << (64 - t1sz);

	const char *release = profile_string(prof, "str.release");
	if (!release || strlen(release) > 64)
		return vmi_fail(v, VMI_ENOKEY, "the profile has no usable str.release");

	why[0] = 0;
	if (regs->vbar_el1 && vmi_is_kva(v, regs->vbar_el1)) {
		if (try_vbar(v, "vectors", 0, release) == VMI_OK) {
			v->slide_source = "VBAR_EL1";
			return VMI_OK;
		}
		memcpy(why, v->err, sizeof(why));
		if (try_vbar(v, "__bp_harden_el1_vectors", 0x3800, release) == VMI_OK) {
			v->slide_source = "VBAR_EL1 (hardened vectors)";
			return VMI_OK;
		}
	} else {
		m_snprintf(why, sizeof(why), "VBAR_EL1 0x%llx is not a kernel address",
			   (unsigned long long)regs->vbar_el1);
	}
	if (scan_for_slide(v, release) == VMI_OK) {
		v->slide_source = "banner scan";
		return VMI_OK;
	}
	return vmi_context(v, VMI_EKASLR, "finding the kernel slide: %s; then", why);
}
