/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMI memory access: guest-physical reads confined to the banks, virtual
 * reads through the software walker (with a small per-page cache), typed
 * reads, bounded strings, and the error text.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/vmi.h>

#define PAGE 4096ull

const char *vmi_strerror(int err)
{
	switch (err) {
	case VMI_OK: return "success";
	case VMI_EINVAL: return "invalid argument";
	case VMI_EPHYS: return "guest-physical address outside guest RAM";
	case VMI_EFAULT: return "virtual address does not translate";
	case VMI_ENOKEY: return "not in the kernel profile";
	case VMI_EKASLR: return "kernel slide (KASLR) not found";
	case VMI_EBADPTR: return "invalid guest pointer";
	case VMI_ELOOP: return "cycle in guest data";
	case VMI_ELIMIT: return "iteration limit reached";
	case VMI_ECORRUPT: return "inconsistent guest data";
	case VMI_ETRUNC: return "string truncated";
	case VMI_ESTATE: return "unusable vCPU state";
	}
	return "unknown error";
}

const char *vmi_error(const struct vmi *v)
{
	return v->err[0] ? v->err : "no error";
}

int vmi_fail(struct vmi *v, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m_vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return err;
}

int vmi_context(struct vmi *v, int err, const char *fmt, ...)
{
	char old[VMI_ERR_LEN];
	va_list ap;

	memcpy(old, v->err, sizeof(old));
	va_start(ap, fmt);
	int n = m_vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(v->err) - 3)
		m_snprintf(v->err + n, sizeof(v->err) - (size_t)n, ": %s", old);
	return err;
}

void vmi_flush(struct vmi *v)
{
	memset(v->tlb, 0, sizeof(v->tlb));
}

bool vmi_is_kva(const struct vmi *v, uint64_t gva)
{
	return gva >= v->kva_start && gva <= v->kva_end;
}

bool vmi_is_kptr(const struct vmi *v, uint64_t gva)
{
	return vmi_is_kva(v, gva) && (gva & (v->ptr_size - 1)) == 0;
}

/* -- physical ----------------------------------------------------------------- */

int vmi_read_phys(struct vmi *v, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *out = buf;
	uint64_t pa = gpa;
	size_t left = len;

	if (len && gpa + (len - 1) < gpa)
		return vmi_fail(v, VMI_EPHYS, "guest-physical 0x%llx+0x%zx wraps around",
				(unsigned long long)gpa, len);
	v->stats.phys_reads++;
	/* Each pass copies up to the end of one bank: at most nbanks passes
	 * make progress, and a pass without a bank ends the loop. */
	while (left) {
		const struct vmi_bank *b = NULL;
		for (size_t i = 0; i < v->nbanks; i++) {
			if (pa >= v->banks[i].gpa && pa - v->banks[i].gpa < v->banks[i].size) {
				b = &v->banks[i];
				break;
			}
		}
		if (!b)
			return vmi_fail(v, VMI_EPHYS, "guest-physical 0x%llx is outside guest RAM",
					(unsigned long long)pa);
		uint64_t off = pa - b->gpa;
		size_t n = (size_t)MIN((uint64_t)left, b->size - off);
		memcpy(out, b->host + off, n);
		out += n;
		pa += n;
		left -= n;
	}
	return VMI_OK;
}

static int walk_read64(void *ctx, uint64_t pa, uint64_t *val)
{
	struct vmi *v = ctx;
	uint8_t b[8];

	if ((pa & 7) || vmi_read_phys(v, pa, b, 8))
		return -1;
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | b[i];
	*val = x;
	return 0;
}

struct gw_mem vmi_walk_mem(struct vmi *v)
{
	return (struct gw_mem){ walk_read64, v };
}

static int walk_read32(void *ctx, uint64_t pa, uint32_t *val)
{
	struct vmi *v = ctx;
	uint8_t b[4];

	if ((pa & 3) || vmi_read_phys(v, pa, b, 4))
		return -1;
	*val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

/* One walk in the guest's translation regime: 0, *pa and the size of the
 * mapping (block, section or page) that holds gva; or VMI_EFAULT. */
static int walk(struct vmi *v, uint64_t gva, uint64_t *pa, uint64_t *size)
{
	char msg[VMI_ERR_LEN];

	v->stats.walks++;
	if (v->arch == VMI_ARCH_ARMV5) {
		struct gws_mem m = { walk_read32, v };
		struct gws_result res;
		if (gws_translate(v->walk.ttbr0, &m, gva, &res)) {
			gws_describe(&res, msg, sizeof(msg));
			return vmi_fail(v, VMI_EFAULT, "%s", msg);
		}
		*pa = res.pa;
		*size = res.size;
		return VMI_OK;
	}
	struct gw_mem m = vmi_walk_mem(v);
	struct gw_result res;
	if (gw_translate(&v->walk, &m, gva, &res)) {
		gw_describe(&res, msg, sizeof(msg));
		return vmi_fail(v, VMI_EFAULT, "%s", msg);
	}
	*pa = res.pa;
	*size = res.size;
	return VMI_OK;
}

/* -- virtual ------------------------------------------------------------------ */

/* Translates gva; *span: how many bytes from gva on stay in one physically
 * contiguous piece (at most to the end of gva's 4 KiB page: ARMv5 tiny pages
 * are 1 KiB). Only mappings of at least a page go into the cache. */
static int translate(struct vmi *v, uint64_t gva, uint64_t *gpa, uint64_t *span)
{
	uint64_t vpage = (gva / PAGE) + 1;
	struct vmi_tlb_entry *e = &v->tlb[(gva / PAGE) % VMI_TLB_SIZE];

	*span = PAGE - gva % PAGE;
	if (v->use_tlb && e->vpage == vpage) {
		v->stats.tlb_hits++;
		*gpa = e->ppage * PAGE + (gva % PAGE);
		return VMI_OK;
	}
	uint64_t pa, size;
	int rc = walk(v, gva, &pa, &size);
	if (rc)
		return rc;
	if (size < PAGE)
		*span = size - gva % size;
	else if (v->use_tlb) {
		e->vpage = vpage;
		e->ppage = pa / PAGE;
	}
	*gpa = pa;
	return VMI_OK;
}

int vmi_translate(struct vmi *v, uint64_t gva, uint64_t *gpa)
{
	uint64_t span;
	return translate(v, gva, gpa, &span);
}

int vmi_read_virt(struct vmi *v, uint64_t gva, void *buf, size_t len)
{
	uint8_t *out = buf;

	if (len && gva + (len - 1) < gva)
		return vmi_fail(v, VMI_EINVAL, "0x%llx+0x%zx wraps around",
				(unsigned long long)gva, len);
	while (len) { /* one page (or tiny page) per pass */
		uint64_t pa, span;
		int rc = translate(v, gva, &pa, &span);
		size_t n = (size_t)MIN((uint64_t)len, span);
		if (rc == VMI_OK)
			rc = vmi_read_phys(v, pa, out, n);
		if (rc)
			return rc;
		out += n;
		gva += n;
		len -= n;
	}
	return VMI_OK;
}

int vmi_read_u32(struct vmi *v, uint64_t gva, uint32_t *out)
{
	uint8_t b[4];
	int rc = vmi_read_virt(v, gva, b, 4);
	if (rc)
		return rc;
	*out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return VMI_OK;
}

int vmi_read_u64(struct vmi *v, uint64_t gva, uint64_t *out)
{
	uint8_t b[8];
	int rc = vmi_read_virt(v, gva, b, 8);
	if (rc)
		return rc;
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | b[i];
	*out = x;
	return VMI_OK;
}

int vmi_read_ulong(struct vmi *v, uint64_t gva, uint64_t *out)
{
	if (v->ptr_size == 4) {
		uint32_t w;
		int rc = vmi_read_u32(v, gva, &w);
		if (rc == VMI_OK)
			*out = w;
		return rc;
	}
	return vmi_read_u64(v, gva, out);
}

int vmi_read_ptr(struct vmi *v, uint64_t gva, uint64_t *out, bool null_ok)
{
	int rc = vmi_read_ulong(v, gva, out);
	if (rc)
		return rc;
	if ((*out == 0 && null_ok) || vmi_is_kva(v, *out))
		return VMI_OK;
	return vmi_fail(v, VMI_EBADPTR, "pointer 0x%llx read at 0x%llx is not a kernel address",
			(unsigned long long)*out, (unsigned long long)gva);
}

int vmi_read_str(struct vmi *v, uint64_t gva, char *buf, size_t max)
{
	size_t got = 0;

	if (!max)
		return vmi_fail(v, VMI_EINVAL, "vmi_read_str: empty buffer");
	buf[0] = 0;
	/* Never reads past the page holding the terminator. */
	while (got < max - 1) {
		size_t n = (size_t)MIN((uint64_t)(max - 1 - got), PAGE - gva % PAGE);
		int rc = vmi_read_virt(v, gva, buf + got, n);
		if (rc) {
			buf[got] = 0;
			return rc;
		}
		for (size_t i = 0; i < n; i++)
			if (buf[got + i] == 0)
				return VMI_OK;
		got += n;
		gva += n;
	}
	buf[max - 1] = 0;
	return vmi_fail(v, VMI_ETRUNC, "string at 0x%llx longer than %zu bytes",
			(unsigned long long)(gva - got), max - 1);
}
