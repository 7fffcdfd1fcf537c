/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DTB structure reader: header and structure-block validation, the token
 * walker, navigation and property access (Devicetree Specification v0.4,
 * chapter 5). Every read is bounds-checked even after fdt_init validated the
 * blob, so a bad node handle from a caller cannot read outside the blob.
 */
#include <mamoru/fdt.h>
#include <mamoru/libc.h>

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define TOK_INVALID    0u   /* not a token: returned on any bounds failure */

#define HDR_V16_SIZE 36u    /* version 16 lacks size_dt_struct */
#define HDR_V17_SIZE 40u
/* Keeps offsets + small increments representable in an int handle. */
#define MAX_BLOB_SIZE 0x7fff0000u

#define ALIGN4(x) (((x) + 3u) & ~3u)

static uint64_t fdt64_to_cpu(const uint8_t *p)
{
	return ((uint64_t)fdt32_to_cpu(p) << 32) | fdt32_to_cpu(p + 4);
}

static const uint8_t *sptr(const struct fdt *f, uint32_t off)
{
	return f->blob + f->struct_off + off;
}

/* Reads the token at off and sets *next to the offset after it (name or
 * property value included). TOK_INVALID if it does not fit the block. */
static uint32_t next_tok(const struct fdt *f, int off, int *next)
{
	uint32_t o = (uint32_t)off, rem, tok, len;
	const uint8_t *p;
	size_t n;

	if (!f->blob || off < 0 || (o & 3u) || f->struct_size < 4u || o > f->struct_size - 4u)
		return TOK_INVALID;
	p = sptr(f, o);
	tok = fdt32_to_cpu(p);
	rem = f->struct_size - o - 4u;
	switch (tok) {
	case FDT_BEGIN_NODE:
		n = strnlen((const char *)p + 4, rem);
		if (n == rem)
			return TOK_INVALID;  /* name not terminated inside the block */
		*next = (int)(o + 4u + ALIGN4((uint32_t)n + 1u));
		return tok;
	case FDT_PROP:
		if (rem < 8u)
			return TOK_INVALID;
		len = fdt32_to_cpu(p + 4);
		if (len > rem - 8u)
			return TOK_INVALID;
		*next = (int)(o + 12u + ALIGN4(len));
		return tok;
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		*next = (int)(o + 4u);
		return tok;
	default:
		return TOK_INVALID;
	}
}

/* The property name at nameoff, or NULL if not terminated in the block. */
static const char *string_at(const struct fdt *f, uint32_t nameoff)
{
	const char *s;

	if (nameoff >= f->strings_size)
		return NULL;
	s = (const char *)f->blob + f->strings_off + nameoff;
	if (strnlen(s, f->strings_size - nameoff) == f->strings_size - nameoff)
		return NULL;
	return s;
}

static int check_header(struct fdt *f, const uint8_t *b, size_t maxlen)
{
	uint32_t version, hdr, total, soff, ssize, stroff, strsize, rsv;

	if (maxlen < 4)
		return FDT_ERR_TRUNCATED;
	if (fdt32_to_cpu(b) != FDT_MAGIC)
		return FDT_ERR_BADMAGIC;
	if (maxlen < HDR_V16_SIZE)
		return FDT_ERR_TRUNCATED;
	version = fdt32_to_cpu(b + 20);
	if (version < 16 || fdt32_to_cpu(b + 24) > 17)
		return FDT_ERR_BADVERSION;
	hdr = version >= 17 ? HDR_V17_SIZE : HDR_V16_SIZE;
	if (maxlen < hdr)
		return FDT_ERR_TRUNCATED;
	total = fdt32_to_cpu(b + 4);
	if (total > maxlen)
		return FDT_ERR_TRUNCATED;
	if (total < hdr || total > MAX_BLOB_SIZE)
		return FDT_ERR_BADLAYOUT;
	soff = fdt32_to_cpu(b + 8);
	stroff = fdt32_to_cpu(b + 12);
	rsv = fdt32_to_cpu(b + 16);
	strsize = fdt32_to_cpu(b + 32);
	ssize = version >= 17 ? fdt32_to_cpu(b + 36) : (soff <= total ? total - soff : 0);
	/* 64-bit sums: offset + size must not wrap around. */
	if (soff < hdr || (soff & 3u) || (uint64_t)soff + ssize > total)
		return FDT_ERR_BADLAYOUT;
	if (stroff < hdr || (uint64_t)stroff + strsize > total)
		return FDT_ERR_BADLAYOUT;
	if (rsv < hdr || rsv > total)
		return FDT_ERR_BADLAYOUT;
	f->blob = b;
	f->totalsize = total;
	f->struct_off = soff;
	f->struct_size = ssize;
	f->strings_off = stroff;
	f->strings_size = strsize;
	f->rsvmap_off = rsv;
	return FDT_OK;
}

/* The reserve map must end with its (0, 0) entry inside the blob. */
static int check_rsvmap(const struct fdt *f)
{
	uint32_t off;

	for (off = f->rsvmap_off; f->totalsize - off >= 16u; off += 16u) {
		const uint8_t *e = f->blob + off;

		if (fdt64_to_cpu(e) == 0 && fdt64_to_cpu(e + 8) == 0)
			return FDT_OK;
	}
	return FDT_ERR_BADLAYOUT;
}

/* One pass over every token: one root node, balanced and not too deep,
 * properties only inside nodes with names in the strings block, then END. */
static int check_struct(const struct fdt *f)
{
	int off = 0, next, depth = 0;
	bool root_done = false;

	for (;;) {
		uint32_t tok = next_tok(f, off, &next);

		switch (tok) {
		case FDT_BEGIN_NODE:
			if (root_done)
				return FDT_ERR_BADSTRUCT;  /* a second root */
			if (++depth > FDT_MAX_DEPTH)
				return FDT_ERR_TOODEEP;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return FDT_ERR_BADSTRUCT;
			if (--depth == 0)
				root_done = true;
			break;
		case FDT_PROP:
			if (depth == 0)
				return FDT_ERR_BADSTRUCT;
			if (!string_at(f, fdt32_to_cpu(sptr(f, (uint32_t)off) + 8)))
				return FDT_ERR_BADSTRING;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return root_done ? FDT_OK : FDT_ERR_BADSTRUCT;
		default:
			return FDT_ERR_BADSTRUCT;
		}
		off = next;
	}
}

int fdt_init(struct fdt *fdt, const void *blob, size_t maxlen)
{
	struct fdt f;
	int err;

	memset(fdt, 0, sizeof(*fdt));
	if (!blob)
		return FDT_ERR_TRUNCATED;
	memset(&f, 0, sizeof(f));
	err = check_header(&f, blob, maxlen);
	if (!err)
		err = check_rsvmap(&f);
	if (!err)
		err = check_struct(&f);
	if (!err)
		*fdt = f;   /* a failed init leaves a blob-less handle: lookups fail */
	return err;
}

const char *fdt_strerror(int err)
{
	switch (err) {
	case FDT_OK: return "no error";
	case FDT_ERR_NOTFOUND: return "not found";
	case FDT_ERR_BADMAGIC: return "not a device tree (bad magic)";
	case FDT_ERR_BADVERSION: return "unsupported device tree version";
	case FDT_ERR_TRUNCATED: return "device tree truncated";
	case FDT_ERR_BADLAYOUT: return "device tree blocks outside the blob";
	case FDT_ERR_BADSTRUCT: return "malformed structure block";
	case FDT_ERR_BADSTRING: return "property name outside the strings block";
	case FDT_ERR_TOODEEP: return "nodes nested too deeply";
	case FDT_ERR_BADVALUE: return "property has a bad length or format";
	case FDT_ERR_NOTRANSLATE: return "address not translatable through parent ranges";
	default: return "unknown error";
	}
}

/* Skips NOPs from off; returns the offset of the next other token. */
static int skip_nops(const struct fdt *f, int off)
{
	int next;

	while (next_tok(f, off, &next) == FDT_NOP)
		off = next;
	return off;
}

int fdt_root(const struct fdt *fdt)
{
	int next, off = skip_nops(fdt, 0);

	return next_tok(fdt, off, &next) == FDT_BEGIN_NODE ? off : FDT_ERR_NOTFOUND;
}

/* Offset of the first token after node's properties (a child or END_NODE). */
static int after_props(const struct fdt *f, int node)
{
	int off, next;
	uint32_t tok;

	if (next_tok(f, node, &off) != FDT_BEGIN_NODE)
		return FDT_ERR_NOTFOUND;
	while ((tok = next_tok(f, off, &next)) == FDT_PROP || tok == FDT_NOP)
		off = next;
	return off;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	int next, off = after_props(fdt, node);

	if (off < 0 || next_tok(fdt, off, &next) != FDT_BEGIN_NODE)
		return FDT_ERR_NOTFOUND;
	return off;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	int off = node, next, depth = 0;

	/* Each step advances, so the walk ends within struct_size / 4 steps. */
	for (;;) {
		uint32_t tok = next_tok(fdt, off, &next);

		if (tok == FDT_BEGIN_NODE) {
			depth++;
		} else if (tok == FDT_END_NODE) {
			if (--depth <= 0)
				break;
		} else if (tok != FDT_PROP && tok != FDT_NOP) {
			return FDT_ERR_NOTFOUND;
		}
		off = next;
	}
	if (depth < 0)
		return FDT_ERR_NOTFOUND;   /* node was not a BEGIN_NODE */
	off = skip_nops(fdt, next);
	return next_tok(fdt, off, &next) == FDT_BEGIN_NODE ? off : FDT_ERR_NOTFOUND;
}

int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
	int off, next, d = 0;
	uint32_t tok;

	if (node < 0) {
		if (depth)
			*depth = 0;
		return fdt_root(fdt);
	}
	if (next_tok(fdt, node, &off) != FDT_BEGIN_NODE)
		return FDT_ERR_NOTFOUND;
	d = 1;   /* now inside node */
	for (;;) {
		tok = next_tok(fdt, off, &next);
		if (tok == FDT_BEGIN_NODE) {
			if (depth)
				*depth += d;
			return off;
		}
		if (tok == FDT_END_NODE)
			d--;
		else if (tok != FDT_PROP && tok != FDT_NOP)
			return FDT_ERR_NOTFOUND;   /* FDT_END or corruption */
		off = next;
	}
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH];
	int depth = 0, cur = fdt_root(fdt);

	while (cur >= 0) {
		if (depth < 0 || depth >= FDT_MAX_DEPTH)
			return FDT_ERR_NOTFOUND;
		stack[depth] = cur;
		if (cur == node)
			return depth > 0 ? stack[depth - 1] : FDT_ERR_NOTFOUND;
		cur = fdt_next_node(fdt, cur, &depth);
	}
	return FDT_ERR_NOTFOUND;
}

const char *fdt_node_name(const struct fdt *fdt, int node)
{
	int next;

	if (next_tok(fdt, node, &next) != FDT_BEGIN_NODE)
		return NULL;
	return (const char *)sptr(fdt, (uint32_t)node) + 4;
}

int fdt_first_prop(const struct fdt *fdt, int node)
{
	int off, next;

	if (next_tok(fdt, node, &off) != FDT_BEGIN_NODE)
		return FDT_ERR_NOTFOUND;
	off = skip_nops(fdt, off);
	return next_tok(fdt, off, &next) == FDT_PROP ? off : FDT_ERR_NOTFOUND;
}

int fdt_next_prop(const struct fdt *fdt, int prop)
{
	int off, next;

	if (next_tok(fdt, prop, &off) != FDT_PROP)
		return FDT_ERR_NOTFOUND;
	off = skip_nops(fdt, off);
	return next_tok(fdt, off, &next) == FDT_PROP ? off : FDT_ERR_NOTFOUND;
}

const void *fdt_prop_value(const struct fdt *fdt, int prop, const char **name, int *lenp)
{
	const uint8_t *p;
	const char *n;
	int next;

	if (next_tok(fdt, prop, &next) != FDT_PROP)
		return NULL;
	p = sptr(fdt, (uint32_t)prop);
	n = string_at(fdt, fdt32_to_cpu(p + 8));
	if (!n)
		return NULL;
	if (name)
		*name = n;
	if (lenp)
		*lenp = (int)fdt32_to_cpu(p + 4);   /* < struct_size, fits */
	return p + 12;
}

const void *fdt_getprop(const struct fdt *fdt, int node, const char *name, int *lenp)
{
	int prop;

	for (prop = fdt_first_prop(fdt, node); prop >= 0; prop = fdt_next_prop(fdt, prop)) {
		const char *n;
		const void *v = fdt_prop_value(fdt, prop, &n, lenp);

		if (v && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

const char *fdt_getprop_str(const struct fdt *fdt, int node, const char *name)
{
	int len;
	const char *s = fdt_getprop(fdt, node, name, &len);

	if (!s || len <= 0 || s[len - 1] != '\0')
		return NULL;
	return s;
}

int fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out)
{
	int len;
	const void *v = fdt_getprop(fdt, node, name, &len);

	if (!v)
		return FDT_ERR_NOTFOUND;
	if (len != 4)
		return FDT_ERR_BADVALUE;
	*out = fdt32_to_cpu(v);
	return FDT_OK;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "compatible", &len);
	size_t rem, want = strlen(compat);

	if (!s || len <= 0)
		return false;
	/* A string list: NUL-separated; an unterminated tail is ignored. */
	for (rem = (size_t)len; rem > 0;) {
		size_t n = strnlen(s, rem);

		if (n == rem)
			break;
		if (n == want && memcmp(s, compat, n) == 0)
			return true;
		s += n + 1;
		rem -= n + 1;
	}
	return false;
}

uint32_t fdt_address_cells(const struct fdt *fdt, int node)
{
	uint32_t v;

	return fdt_getprop_u32(fdt, node, "#address-cells", &v) == FDT_OK ? v : 2;
}

uint32_t fdt_size_cells(const struct fdt *fdt, int node)
{
	uint32_t v;

	return fdt_getprop_u32(fdt, node, "#size-cells", &v) == FDT_OK ? v : 1;
}

int fdt_num_mem_rsv(const struct fdt *fdt)
{
	uint32_t off;
	int n = 0;

	if (!fdt->blob)
		return 0;
	for (off = fdt->rsvmap_off; fdt->totalsize - off >= 16u; off += 16u, n++) {
		const uint8_t *e = fdt->blob + off;

		if (fdt64_to_cpu(e) == 0 && fdt64_to_cpu(e + 8) == 0)
			break;
	}
	return n;
}

int fdt_get_mem_rsv(const struct fdt *fdt, int idx, uint64_t *addr, uint64_t *size)
{
	const uint8_t *e;

	if (idx < 0 || idx >= fdt_num_mem_rsv(fdt))
		return FDT_ERR_NOTFOUND;
	e = fdt->blob + fdt->rsvmap_off + (uint32_t)idx * 16u;
	*addr = fdt64_to_cpu(e);
	*size = fdt64_to_cpu(e + 8);
	return FDT_OK;
}
