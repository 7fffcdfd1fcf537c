/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Flattened device tree writer (see fdt_write.h). Layout of the result, in
 * the order the Devicetree Specification (v0.4, chapter 5) lists it:
 * header (40 bytes), memory reservation map (16-byte entries ending with a
 * zero pair), structure block, strings block. The strings block is only
 * known at the end, so names are collected aside and copied in last.
 */
#include <mamoru/fdt_write.h>
#include <mamoru/libc.h>

#define HDR_SIZE 40u
#define TOK_BEGIN 1u
#define TOK_END 2u
#define TOK_PROP 3u
#define TOK_STRUCT_END 9u
#define NAME_MAX_LEN 255u

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool room(struct fdt_writer *w, size_t n)
{
	if (w->err)
		return false;
	if (n > w->cap - w->off) {
		w->err = FDTW_ERR_NOSPACE;
		return false;
	}
	return true;
}

static void emit32(struct fdt_writer *w, uint32_t v)
{
	if (room(w, 4)) {
		put32(w->buf + w->off, v);
		w->off += 4;
	}
}

/* len bytes, then zeroes up to the next multiple of 4. */
static void emit_padded(struct fdt_writer *w, const void *data, size_t len)
{
	size_t padded = ALIGN_UP(len, (size_t)4);
	if (padded < len || !room(w, padded))
		return;
	if (len)
		memcpy(w->buf + w->off, data, len);
	memset(w->buf + w->off + len, 0, padded - len);
	w->off += padded;
}

void fdtw_init(struct fdt_writer *w, void *buf, size_t cap, char *names, size_t names_cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->names = names;
	w->names_cap = names_cap;
	w->off = HDR_SIZE;
	if (!buf || cap < HDR_SIZE || cap > 0x7fffffffu)
		w->err = FDTW_ERR_NOSPACE;
}

void fdtw_reserve(struct fdt_writer *w, uint64_t addr, uint64_t size)
{
	if (!w->err && w->rsv_done) {
		w->err = FDTW_ERR_ORDER;
		return;
	}
	emit32(w, (uint32_t)(addr >> 32));
	emit32(w, (uint32_t)addr);
	emit32(w, (uint32_t)(size >> 32));
	emit32(w, (uint32_t)size);
}

/* Closes the reservation map at the first node. */
static void close_rsv(struct fdt_writer *w)
{
	if (w->rsv_done)
		return;
	w->rsv_done = true;
	for (int i = 0; i < 4; i++)
		emit32(w, 0);
	w->struct_start = w->off;
}

static bool good_name(struct fdt_writer *w, const char *name, size_t *len)
{
	*len = name ? strnlen(name, NAME_MAX_LEN + 1) : 0;
	if (!w->err && (*len == 0 || *len > NAME_MAX_LEN))
		w->err = FDTW_ERR_BADNAME;
	return !w->err;
}

void fdtw_begin_node(struct fdt_writer *w, const char *name)
{
	size_t len;
	if (w->err)
		return;
	close_rsv(w);
	/* The root's name is empty; every other node needs one. */
	if (w->depth == 0 && w->off > w->struct_start) {
		w->err = FDTW_ERR_ORDER;            /* a second root */
		return;
	}
	if (w->depth == 0)
		len = name ? strnlen(name, NAME_MAX_LEN + 1) : 0;
	else if (!good_name(w, name, &len))
		return;
	if (len > NAME_MAX_LEN || (w->depth == 0 && len)) {
		w->err = FDTW_ERR_BADNAME;
		return;
	}
	if (w->depth >= FDT_MAX_DEPTH) {
		w->err = FDTW_ERR_ORDER;
		return;
	}
	size_t padded = ALIGN_UP(len + 1, (size_t)4);
	emit32(w, TOK_BEGIN);
	if (!room(w, padded))
		return;
	memset(w->buf + w->off, 0, padded);
	if (len)
		memcpy(w->buf + w->off, name, len);
	w->off += padded;
	w->depth++;
	w->had_child = false;
}

/* Offset of name in the strings block, adding it when new. */
static uint32_t name_offset(struct fdt_writer *w, const char *name, size_t len)
{
	for (size_t at = 0; at < w->names_len;) {
		size_t l = strnlen(w->names + at, w->names_len - at);
		if (l == len && !memcmp(w->names + at, name, len))
			return (uint32_t)at;
		at += l + 1;
	}
	if (len + 1 > w->names_cap - w->names_len) {
		w->err = FDTW_ERR_NOSPACE;
		return 0;
	}
	uint32_t at = (uint32_t)w->names_len;
	memcpy(w->names + at, name, len);
	w->names[at + len] = 0;
	w->names_len += len + 1;
	return at;
}

void fdtw_prop(struct fdt_writer *w, const char *name, const void *val, size_t len)
{
	size_t nlen;
	if (w->err)
		return;
	if (w->depth == 0 || w->had_child || len > 0x7fffffffu || (len && !val)) {
		w->err = FDTW_ERR_ORDER;
		return;
	}
	if (!good_name(w, name, &nlen))
		return;
	uint32_t off = name_offset(w, name, nlen);
	emit32(w, TOK_PROP);
	emit32(w, (uint32_t)len);
	emit32(w, off);
	emit_padded(w, val, len);
}

void fdtw_prop_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
	fdtw_prop_cells(w, name, &v, 1);
}

void fdtw_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t n)
{
	uint8_t tmp[64];
	if (n > sizeof(tmp) / 4) {
		if (!w->err)
			w->err = FDTW_ERR_NOSPACE;
		return;
	}
	for (size_t i = 0; i < n; i++)
		put32(tmp + 4 * i, cells[i]);
	fdtw_prop(w, name, tmp, 4 * n);
}

void fdtw_end_node(struct fdt_writer *w)
{
	if (w->err)
		return;
	if (w->depth == 0) {
		w->err = FDTW_ERR_ORDER;
		return;
	}
	emit32(w, TOK_END);
	w->depth--;
	w->had_child = true;    /* the parent now has a child */
}

/* Recursion is bounded by FDT_MAX_DEPTH (fdt_init checked the source). namebuf (for the
 * name hook) is one buffer for all levels: a node's name is written out by
 * fdtw_begin_node before its children are copied, so each level can reuse it, and a
 * deep tree costs the (EL2) stack only this function's small frame per level. */
static void copy(struct fdt_writer *w, const struct fdt *src, int node, const struct fdtw_hooks *h,
		 int level, char *namebuf)
{
	const char *name = NULL;
	if (level >= FDT_MAX_DEPTH) {
		if (!w->err)
			w->err = FDTW_ERR_ORDER;
		return;
	}
	if (h && h->name)
		name = h->name(h->ctx, src, node, namebuf, NAME_MAX_LEN + 1);
	if (!name)
		name = fdt_node_name(src, node);
	if (!name) {
		if (!w->err)
			w->err = FDTW_ERR_BADNAME;
		return;
	}
	fdtw_begin_node(w, name);
	for (int p = fdt_first_prop(src, node); p >= 0 && !w->err; p = fdt_next_prop(src, p)) {
		const char *pname;
		int len;
		const void *val = fdt_prop_value(src, p, &pname, &len);
		if (!val || !pname || len < 0) {
			w->err = FDTW_ERR_BADNAME;
			return;
		}
		if (h && h->prop && h->prop(h->ctx, w, src, node, pname, val, len))
			continue;
		fdtw_prop(w, pname, val, (size_t)len);
	}
	for (int c = fdt_first_child(src, node); c >= 0 && !w->err; c = fdt_next_sibling(src, c))
		copy(w, src, c, h, level + 1, namebuf);
	if (h && h->end && !w->err)
		h->end(h->ctx, w, src, node);
	fdtw_end_node(w);
}

void fdtw_copy_node(struct fdt_writer *w, const struct fdt *src, int node,
		    const struct fdtw_hooks *hooks)
{
	if (w->err)
		return;
	if (node < 0) {
		w->err = FDTW_ERR_ORDER;
		return;
	}
	char namebuf[NAME_MAX_LEN + 1];
	copy(w, src, node, hooks, 0, namebuf);
}

int fdtw_finish(struct fdt_writer *w, size_t *size)
{
	if (w->err)
		return w->err;
	if (!w->rsv_done || w->depth != 0 || w->off == w->struct_start) {
		w->err = FDTW_ERR_ORDER;           /* no root, or a node left open */
		return w->err;
	}
	emit32(w, TOK_STRUCT_END);
	size_t struct_size = w->off - w->struct_start;
	if (w->err || !room(w, w->names_len))
		return w->err;
	size_t strings = w->off;
	if (w->names_len)
		memcpy(w->buf + strings, w->names, w->names_len);
	w->off += w->names_len;
	uint8_t *h = w->buf;
	put32(h + 0, FDT_MAGIC);
	put32(h + 4, (uint32_t)w->off);                 /* totalsize */
	put32(h + 8, (uint32_t)w->struct_start);        /* off_dt_struct */
	put32(h + 12, (uint32_t)strings);               /* off_dt_strings */
	put32(h + 16, HDR_SIZE);                        /* off_mem_rsvmap */
	put32(h + 20, 17);                              /* version */
	put32(h + 24, 16);                              /* last_comp_version */
	put32(h + 28, 0);                               /* boot_cpuid_phys */
	put32(h + 32, (uint32_t)w->names_len);          /* size_dt_strings */
	put32(h + 36, (uint32_t)struct_size);           /* size_dt_struct */
	*size = w->off;
	return 0;
}

const char *fdtw_strerror(int err)
{
	switch (err) {
	case 0: return "no error";
	case FDTW_ERR_NOSPACE: return "the new device tree does not fit its buffer";
	case FDTW_ERR_ORDER: return "device tree nodes and properties out of order";
	case FDTW_ERR_BADNAME: return "empty or overlong device tree name";
	default: return fdt_strerror(err);
	}
}
