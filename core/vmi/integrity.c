/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel text and read-only data integrity: the manifest parser, the
 * comparison against the Image and the scan through guest page tables
 * (<mamoru/vmi/integrity.h>, docs/integrity.md). The manifest is read byte
 * by byte (it may be unaligned) and validated once in integ_load().
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/blob.h>
#include <mamoru/vmi/integrity.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#define HEADER_SIZE 64u
#define RANGE_SIZE 12u
#define RELOC_SIZE 12u
#define SITE_SIZE 8u
#define SYM_SIZE 8u
#define PAGE 4096u
#define CHUNK 4096u

struct site {
	uint32_t off, len;         /* len in bytes */
	uint8_t kind, nalts;
};

static struct site site_at(const struct integ_manifest *m, uint32_t i)
{
	const uint8_t *b = m->sites + (size_t)i * SITE_SIZE;
	struct site s = { blob_rd32(b), (uint32_t)b[4] * 4u, b[5], b[6] };
	return s;
}

static uint32_t reloc_off(const struct integ_manifest *m, uint32_t i)
{
	return blob_rd32(m->relocs + (size_t)i * RELOC_SIZE);
}

int integ_range_at(const struct integ_manifest *m, uint32_t i, struct integ_range *r)
{
	if (i >= m->nranges)
		return -1;
	const uint8_t *b = m->ranges + (size_t)i * RANGE_SIZE;
	r->start = blob_rd32(b);
	r->end = blob_rd32(b + 4);
	r->region = (enum integ_region)blob_rd32(b + 8);
	return 0;
}

/* Takes n entries of size bytes from the body at *at; NULL if they do not fit. */
static const uint8_t *take(const uint8_t *d, uint64_t total, uint64_t *at, uint64_t n, uint64_t size)
{
	uint64_t bytes = n * size;     /* n, size < 2^32: no overflow */
	if (bytes > total - *at)
		return NULL;
	const uint8_t *p = d + *at;
	*at += bytes;
	return p;
}

int integ_load(struct integ_manifest *m, const void *data, size_t len, char *err, size_t errlen)
{
	const uint8_t *d = data;
	memset(m, 0, sizeof(*m));
	uint32_t total;
	if (blob_check(d, len, INTEG_MAGIC, "integrity manifest", INTEG_VERSION, HEADER_SIZE, &total, err,
		       errlen))
		return -1;
	m->text_base = blob_rd64(d + 24);
	m->image_size = blob_rd32(d + 32);
	m->head_crc = blob_rd32(d + 36);
	m->nranges = blob_rd32(d + 40);
	m->nrelocs = blob_rd32(d + 44);
	m->nsites = blob_rd32(d + 48);
	m->nwords = blob_rd32(d + 52);
	m->nsyms = blob_rd32(d + 56);
	m->strtab_len = blob_rd32(d + 60);
	if (m->nranges == 0 || m->nranges > INTEG_MAX_RANGES)
		return blob_fail(err, errlen, "integrity manifest has %u ranges (1..%u)", m->nranges, INTEG_MAX_RANGES);
	uint64_t at = HEADER_SIZE;
	m->ranges = take(d, total, &at, m->nranges, RANGE_SIZE);
	m->relocs = m->ranges ? take(d, total, &at, m->nrelocs, RELOC_SIZE) : NULL;
	m->sites = m->relocs ? take(d, total, &at, m->nsites, SITE_SIZE) : NULL;
	m->words = m->sites ? take(d, total, &at, m->nwords, 4) : NULL;
	m->syms = m->words ? take(d, total, &at, m->nsyms, SYM_SIZE) : NULL;
	m->strtab = m->syms ? take(d, total, &at, m->strtab_len, 1) : NULL;
	if (!m->strtab || at != total)
		return blob_fail(err, errlen, "integrity manifest tables do not add up to its size");
	if (m->nsyms && (m->strtab_len == 0 || m->strtab[m->strtab_len - 1] != '\0'))
		return blob_fail(err, errlen, "integrity manifest string table is not terminated");

	/* Ranges: ascending, not overlapping, inside the Image, known kinds. */
	uint32_t prev_end = 0;
	for (uint32_t i = 0; i < m->nranges; i++) {
		struct integ_range r;
		integ_range_at(m, i, &r);
		if (r.start >= r.end || r.end > m->image_size || r.start < prev_end || r.region < INTEG_TEXT ||
		    r.region > INTEG_VECTORS || (r.region != INTEG_RODATA && (r.start % 4 || r.end % 4)))
			return blob_fail(err, errlen, "integrity manifest range %u (0x%x..0x%x kind %u) is invalid", i,
				    r.start, r.end, (unsigned)r.region);
		prev_end = r.end;
	}
	/* Relocations and sites: ascending, not overlapping each other, each inside
	 * one range; one merged pass records where each range's items begin. */
	uint32_t ri = 0, si = 0, wi = 0, range = 0;
	uint64_t last_end = 0;
	struct integ_range cur;
	integ_range_at(m, 0, &cur);
	m->first_reloc[0] = m->first_site[0] = m->first_word[0] = 0;
	while (ri < m->nrelocs || si < m->nsites) {
		bool is_reloc;
		uint32_t off, n;
		struct site s = { 0, 0, 0, 0 };
		if (si >= m->nsites || (ri < m->nrelocs && reloc_off(m, ri) < site_at(m, si).off)) {
			is_reloc = true;
			off = reloc_off(m, ri);
			n = 8;
		} else {
			is_reloc = false;
			s = site_at(m, si);
			off = s.off;
			n = s.len;
			if (n == 0 || n > INTEG_MAX_SITE_WORDS * 4 || off % 4 || s.kind < INTEG_SITE_ALT ||
			    s.kind > INTEG_SITE_HYP_RELOC || (s.kind == INTEG_SITE_JUMP && n != 4) ||
			    ((s.kind == INTEG_SITE_FTRACE || s.kind == INTEG_SITE_HYP_RELOC) && n != 8) ||
			    (uint64_t)s.nalts * (n / 4) > (uint64_t)m->nwords - wi)
				return blob_fail(err, errlen, "integrity manifest patch site %u at 0x%x is invalid", si, off);
		}
		if ((uint64_t)off < last_end)
			return blob_fail(err, errlen, "integrity manifest entries overlap or are unsorted at 0x%x", off);
		while ((uint64_t)off >= cur.end) {
			if (++range >= m->nranges)
				return blob_fail(err, errlen, "integrity manifest entry at 0x%x is outside every range", off);
			integ_range_at(m, range, &cur);
			m->first_reloc[range] = ri;
			m->first_site[range] = si;
			m->first_word[range] = wi;
		}
		if (off < cur.start || (uint64_t)off + n > cur.end)
			return blob_fail(err, errlen, "integrity manifest entry at 0x%x is outside its range", off);
		last_end = (uint64_t)off + n;
		if (is_reloc) {
			ri++;
		} else {
			wi += s.nalts * (n / 4);
			si++;
		}
	}
	if (wi != m->nwords)
		return blob_fail(err, errlen, "integrity manifest word pool has %u words, sites use %u", m->nwords, wi);
	for (range++; range < m->nranges; range++) {
		m->first_reloc[range] = ri;
		m->first_site[range] = si;
		m->first_word[range] = wi;
	}
	uint32_t prev = 0;
	for (uint32_t i = 0; i < m->nsyms; i++) {
		const uint8_t *b = m->syms + (size_t)i * SYM_SIZE;
		if (blob_rd32(b) < prev || blob_rd32(b + 4) >= m->strtab_len)
			return blob_fail(err, errlen, "integrity manifest symbol %u is invalid", i);
		prev = blob_rd32(b);
	}
	return 0;
}

int integ_match_image(const struct integ_manifest *m, const void *image, size_t size, char *err,
		      size_t errlen)
{
	if (!image || size != m->image_size)
		return blob_fail(err, errlen, "the bundle's kernel is %zu bytes, the manifest was made for %u", size,
			    m->image_size);
	size_t head = size < INTEG_HEAD_CRC_BYTES ? size : INTEG_HEAD_CRC_BYTES;
	if (profile_crc32(image, head) != m->head_crc)
		return blob_fail(err, errlen, "the bundle's kernel is not the one the manifest was made for");
	return 0;
}

const char *integ_rodata_symbol(const struct integ_manifest *m, uint32_t off, uint32_t *delta)
{
	uint32_t lo = 0, hi = m->nsyms;     /* first symbol above off */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (blob_rd32(m->syms + (size_t)mid * SYM_SIZE) <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const uint8_t *b = m->syms + (size_t)(lo - 1) * SYM_SIZE;
	*delta = off - blob_rd32(b);
	return (const char *)m->strtab + blob_rd32(b + 4);
}

/* -- comparison ----------------------------------------------------------------- */

struct cmp {
	const struct integ_manifest *m;
	const uint8_t *image;
	integ_fetch_fn fetch;
	void *fctx;
	integ_finding_cb cb;
	void *cctx;
	enum integ_region region;
	long found;
	int stop;
};

static int report(struct cmp *c, struct integ_finding *f)
{
	f->region = c->region;
	c->found++;
	if (c->cb) {
		int r = c->cb(c->cctx, f);
		if (r)
			c->stop = r;
	}
	return c->stop;
}

static void words_of(struct integ_finding *f, const uint8_t *b, uint32_t len)
{
	for (uint32_t k = 0; k < len / 4 && k < INTEG_MAX_SITE_WORDS; k++)
		f->words[k] = blob_rd32(b + 4 * k);
}

/* memcmp() == 0, a word at a time when both sides are aligned (the
 * hypervisor is built with -mstrict-align and its memcmp goes byte by byte). */
static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;
	uintptr_t mis = (uintptr_t)a | (uintptr_t)b;
	if (mis % 8 == 0) {
		const uint8_t *a8 = __builtin_assume_aligned(a, 8), *b8 = __builtin_assume_aligned(b, 8);
		for (; i + 8 <= n; i += 8) {
			uint64_t x, y;
			memcpy(&x, a8 + i, 8);
			memcpy(&y, b8 + i, 8);
			if (x != y)
				return false;
		}
	} else if ((uintptr_t)a % 8 == 0 && (uintptr_t)b % 8 == 4 && n >= 12) {
		/* The Image sits 4 bytes off (cpio aligns file data to 4): read it 8
		 * bytes at a time from b - 4 and shift, never past b + n. */
		const uint8_t *a8 = __builtin_assume_aligned(a, 8);
		const uint8_t *b8 = __builtin_assume_aligned(b - 4, 8);
		uint64_t prev, cur, x;
		memcpy(&prev, b8, 8);
		for (; i + 12 <= n; i += 8) {
			memcpy(&cur, b8 + i + 8, 8);
			memcpy(&x, a8 + i, 8);
			if (x != ((prev >> 32) | (cur << 32)))
				return false;
			prev = cur;
		}
	} else if (mis % 4 == 0) {
		const uint8_t *a4 = __builtin_assume_aligned(a, 4), *b4 = __builtin_assume_aligned(b, 4);
		for (; i + 4 <= n; i += 4) {
			uint32_t x, y;
			memcpy(&x, a4 + i, 4);
			memcpy(&y, b4 + i, 4);
			if (x != y)
				return false;
		}
	}
	return !memcmp(a + i, b + i, n - i);
}

/* Plain bytes [off, off+n): text per differing instruction, data as runs of
 * differing 8-byte words. */
static void compare_plain(struct cmp *c, uint32_t off, uint32_t n)
{
	while (n && !c->stop) {
		uint32_t take_n = CHUNK - (off % CHUNK);
		if (take_n > n)
			take_n = n;
		const uint8_t *want = c->image + off;
		const uint8_t *buf = c->fetch(c->fctx, off, take_n);
		if (buf && !same(buf, want, take_n)) {
			uint32_t unit = c->region == INTEG_RODATA ? 8 : 4;
			uint32_t i = 0;
			while (i < take_n && !c->stop) {
				uint32_t u = (off + i) % unit ? unit - (off + i) % unit : unit;
				if (u > take_n - i)
					u = take_n - i;
				if (!memcmp(buf + i, want + i, u)) {
					i += u;
					continue;
				}
				struct integ_finding f;
				memset(&f, 0, sizeof(f));
				f.what = INTEG_CHANGED;
				f.off = off + i;
				uint32_t j = i + u;
				if (unit == 8) {
					while (j < take_n) {
						uint32_t v = take_n - j < 8 ? take_n - j : 8;
						if (!memcmp(buf + j, want + j, v))
							break;
						j += v;
					}
					uint8_t now[8] = { 0 }, was[8] = { 0 };
					memcpy(now, buf + i, u);
					memcpy(was, want + i, u);
					f.now = blob_rd64(now);
					f.was = blob_rd64(was);
				} else if (u == 4) {
					f.words[0] = blob_rd32(buf + i);
					f.was = blob_rd32(want + i);
				}
				f.len = j - i;
				report(c, &f);
				i = j;
			}
		}
		off += take_n;
		n -= take_n;
	}
}

/* Leaves only the instructions that changed: words equal to the Image's (or,
 * at an ftrace entry, its `mov x9, x30`) are dropped from both ends. */
static void trim(struct integ_finding *f, const uint8_t *orig, uint8_t kind)
{
	uint32_t n = f->len / 4, lo = 0;
	while (n > 1 && (f->words[n - 1] == blob_rd32(orig + 4 * (n - 1))))
		n--;
	while (lo + 1 < n && (f->words[lo] == blob_rd32(orig + 4 * lo) ||
			      (kind == INTEG_SITE_FTRACE && lo == 0 && f->words[0] == INTEG_MOV_X9_X30)))
		lo++;
	for (uint32_t k = 0; k + lo < n; k++)
		f->words[k] = f->words[k + lo];
	f->off += 4 * lo;
	f->len = 4 * (n - lo);
}

static bool site_allowed(const struct integ_manifest *m, struct site s, uint32_t word0, const uint8_t *now,
			 const uint8_t *image)
{
	if (!memcmp(now, image + s.off, s.len))
		return true;
	uint32_t nw = s.len / 4;
	for (uint32_t a = 0; a < s.nalts; a++) {
		bool same = true;
		for (uint32_t k = 0; k < nw && same; k++)
			same = blob_rd32(now + 4 * k) == blob_rd32(m->words + 4 * ((size_t)word0 + (size_t)a * nw + k));
		if (same)
			return true;
	}
	uint32_t w0 = blob_rd32(now);
	switch (s.kind) {
	case INTEG_SITE_JUMP:
		return w0 == INTEG_NOP;
	case INTEG_SITE_FTRACE:
		return (w0 == INTEG_NOP || w0 == INTEG_MOV_X9_X30) && blob_rd32(now + 4) == INTEG_NOP;
	case INTEG_SITE_HYP_RELOC:
		/* KVM turned the kernel address into a hyp (TTBR0-range) address. */
		return blob_rd64(now) >> 48 == 0;
	case INTEG_SITE_CALLBACK:
	case INTEG_SITE_KVM_CALLBACK:
		/* Written by a boot-time callback with run-time values: accept any
		 * instruction that does not transfer control (docs/integrity.md); in
		 * code only KVM runs at EL2, also a final `br` (to a hyp address). */
		for (uint32_t k = 0; k < nw; k++) {
			uint32_t w = blob_rd32(now + 4 * k), orig = blob_rd32(image + s.off + 4 * k);
			bool branch = (w & 0x7c000000u) == 0x14000000u ||     /* B, BL */
				      (w & 0xff000010u) == 0x54000000u ||     /* B.cond */
				      (w & 0x7e000000u) == 0x34000000u ||     /* CBZ/CBNZ */
				      (w & 0x7e000000u) == 0x36000000u ||     /* TBZ/TBNZ */
				      (w & 0xfe000000u) == 0xd6000000u ||     /* BR, BLR, RET, ERET */
				      (w & 0xffe0001fu) == 0xd4200000u;       /* BRK */
			if (s.kind == INTEG_SITE_KVM_CALLBACK && k == nw - 1 && (w & 0xfffffc1fu) == 0xd61f0000u)
				continue;
			if (w != orig && branch)
				return false;
		}
		return true;
	default:
		return false;
	}
}

long integ_compare_range(const struct integ_manifest *m, uint32_t i, const uint8_t *image, uint64_t slide,
			 integ_fetch_fn fetch, void *fctx, integ_finding_cb cb, void *cctx)
{
	struct integ_range r;
	if (integ_range_at(m, i, &r))
		return 0;
	struct cmp c = { m, image, fetch, fctx, cb, cctx, r.region, 0, 0 };
	uint32_t ri = m->first_reloc[i], si = m->first_site[i], wi = m->first_word[i];
	uint32_t pos = r.start;
	while (pos < r.end && !c.stop) {
		uint32_t next = r.end;
		bool reloc_next = false;
		struct site s = { 0, 0, 0, 0 };
		if (ri < m->nrelocs && reloc_off(m, ri) < next) {
			next = reloc_off(m, ri);
			reloc_next = true;
		}
		if (si < m->nsites && (s = site_at(m, si)).off < next) {
			next = s.off;
			reloc_next = false;
		}
		if (pos < next) {
			compare_plain(&c, pos, next - pos);
			pos = next;
			continue;
		}
		const uint8_t *now;
		struct integ_finding f;
		memset(&f, 0, sizeof(f));
		f.off = pos;
		if (reloc_next) {
			const uint8_t *e = m->relocs + (size_t)ri * RELOC_SIZE;
			uint64_t want = blob_rd64(e + 4) + slide;
			ri++;
			pos += 8;
			now = fetch(fctx, f.off, 8);
			if (!now || blob_rd64(now) == want)
				continue;
			f.what = INTEG_RELOC;
			f.len = 8;
			f.now = blob_rd64(now);
			f.was = want;
			words_of(&f, now, 8);
			report(&c, &f);
			continue;
		}
		uint32_t w0 = wi;
		wi += s.nalts * (s.len / 4);
		si++;
		pos += s.len;
		now = fetch(fctx, f.off, s.len);
		if (!now || site_allowed(m, s, w0, now, image))
			continue;
		f.site = (enum integ_site_kind)s.kind;
		f.len = s.len;
		words_of(&f, now, s.len);
		/* mov x9, x30; bl <ftrace trampoline>: a live ftrace hook. */
		f.what = s.kind == INTEG_SITE_FTRACE && (f.words[1] & 0xfc000000u) == 0x94000000u ? INTEG_FTRACE
												  : INTEG_SITE;
		if (f.what == INTEG_SITE && s.kind != INTEG_SITE_HYP_RELOC)
			trim(&f, image + s.off, s.kind);
		report(&c, &f);
	}
	return c.stop ? c.stop : c.found;
}

/* -- through the guest's page tables ------------------------------------------- */

struct scan {
	struct vmi *v;
	const struct integ_manifest *m;
	uint64_t load_pa;
	integ_finding_cb cb;
	void *ctx;
	enum integ_region region;
	uint64_t page_off;         /* offset of the current page, or UINT64_MAX */
	const uint8_t *page;       /* its bytes in guest RAM, NULL if unreadable */
	uint64_t pages;
	long extra;                /* remap/unmapped findings */
	int stop;
	uint8_t tmp[2 * INTEG_MAX_SITE_WORDS * 4];
};

static int scan_report(struct scan *s, struct integ_finding *f)
{
	f->region = s->region;
	s->extra++;
	if (s->cb && !s->stop)
		s->stop = s->cb(s->ctx, f);
	return s->stop;
}

/* Where guest-physical page pa is in our address space (NULL outside RAM). */
static const uint8_t *page_host(const struct vmi *v, uint64_t pa)
{
	for (size_t i = 0; i < v->nbanks; i++) {
		const struct vmi_bank *b = &v->banks[i];
		if (pa >= b->gpa && pa - b->gpa < b->size && b->size - (pa - b->gpa) >= PAGE)
			return b->host + (pa - b->gpa);
	}
	return NULL;
}

/* Finds the page at offset page_off (from _text) and checks where it maps. */
static void scan_load(struct scan *s, uint64_t page_off)
{
	s->page_off = page_off;
	s->page = NULL;
	uint64_t va = s->m->text_base + page_off + s->v->slide, pa = 0;
	struct integ_finding f;
	memset(&f, 0, sizeof(f));
	f.off = (uint32_t)page_off;
	f.len = PAGE;
	if (!vmi_translate(s->v, va, &pa))
		s->page = page_host(s->v, pa & ~(uint64_t)(PAGE - 1));
	if (!s->page) {
		f.what = INTEG_UNMAPPED;
		scan_report(s, &f);
		return;
	}
	s->pages++;
	uint64_t want = s->load_pa + page_off;
	if ((pa & ~(uint64_t)(PAGE - 1)) != want) {
		f.what = INTEG_REMAPPED;
		f.pa = pa & ~(uint64_t)(PAGE - 1);
		f.expected_pa = want;
		scan_report(s, &f);
	}
}

static const uint8_t *scan_fetch(void *ctx, uint32_t off, size_t len)
{
	struct scan *s = ctx;
	uint64_t page_off = off & ~(uint64_t)(PAGE - 1);
	if (page_off != s->page_off)
		scan_load(s, page_off);
	if (!s->page)
		return NULL;
	size_t in = off - page_off;
	if (in + len <= PAGE)
		return s->page + in;                /* straight from guest RAM */
	if (len > sizeof(s->tmp))
		return NULL;
	size_t first = PAGE - in;                   /* a site across two pages */
	memcpy(s->tmp, s->page + in, first);
	scan_load(s, page_off + PAGE);
	if (!s->page)
		return NULL;
	memcpy(s->tmp + first, s->page, len - first);
	return s->tmp;
}

long integ_scan(struct vmi *v, const struct integ_manifest *m, const uint8_t *image, uint64_t load_pa,
		integ_finding_cb cb, void *ctx, uint64_t *pages)
{
	static struct scan s;      /* one scan at a time; the page buffer stays off the stack */
	long total = 0;
	memset(&s, 0, sizeof(s));
	s.v = v;
	s.m = m;
	s.load_pa = load_pa;
	s.cb = cb;
	s.ctx = ctx;
	for (uint32_t i = 0; i < m->nranges && !s.stop; i++) {
		struct integ_range r;
		integ_range_at(m, i, &r);
		s.region = r.region;
		s.page_off = UINT64_MAX;
		long n = integ_compare_range(m, i, image, v->slide, scan_fetch, &s, cb, ctx);
		if (n < 0)
			return n;
		total += n;
	}
	if (pages)
		*pages = s.pages;
	return total + s.extra;
}

/* -- describing instructions ------------------------------------------------------ */

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t sign = (uint64_t)1 << (bits - 1);
	return (int64_t)((v ^ sign) - sign);
}

void integ_describe(uint32_t insn, uint64_t pc, char *buf, size_t size, uint64_t *target)
{
	uint64_t t = 0;
	unsigned rn = (insn >> 5) & 31, rt = insn & 31;
	if (insn == INTEG_NOP) {
		m_snprintf(buf, size, "nop");
	} else if (insn == INTEG_MOV_X9_X30) {
		m_snprintf(buf, size, "mov x9, x30");
	} else if ((insn & 0x7c000000u) == 0x14000000u) {
		t = pc + (uint64_t)(sext(insn & 0x3ffffffu, 26) * 4);
		m_snprintf(buf, size, "%s 0x%llx", insn & 0x80000000u ? "bl" : "b", (unsigned long long)t);
	} else if ((insn & 0xffe0001fu) == 0xd4200000u) {
		m_snprintf(buf, size, "brk #0x%x", (insn >> 5) & 0xffffu);
	} else if ((insn & 0xfffffc1fu) == 0xd61f0000u) {
		m_snprintf(buf, size, "br x%u", rn);
	} else if ((insn & 0xfffffc1fu) == 0xd63f0000u) {
		m_snprintf(buf, size, "blr x%u", rn);
	} else if ((insn & 0xfffffc1fu) == 0xd65f0000u) {
		m_snprintf(buf, size, "ret");
	} else if ((insn & 0xbf000000u) == 0x18000000u) {
		t = pc + (uint64_t)(sext((insn >> 5) & 0x7ffffu, 19) * 4);
		m_snprintf(buf, size, "ldr %c%u, 0x%llx", insn & 0x40000000u ? 'x' : 'w', rt, (unsigned long long)t);
	} else if ((insn & 0x9f000000u) == 0x90000000u) {
		uint64_t imm = ((insn >> 29) & 3u) | (((uint64_t)(insn >> 5) & 0x7ffffu) << 2);
		t = (pc & ~(uint64_t)0xfff) + (uint64_t)(sext(imm, 21) * 4096);
		m_snprintf(buf, size, "adrp x%u, 0x%llx", rt, (unsigned long long)t);
	} else {
		m_snprintf(buf, size, ".inst 0x%08x", insn);
	}
	if (target)
		*target = t;
}
