/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device tree lookups built on the walker in fdt.c: paths and aliases,
 * phandles, compatible search, "reg" translation through "ranges" and the
 * interrupt parent / specifier rules of the Devicetree Specification v0.4.
 */
#include <mamoru/fdt.h>
#include <mamoru/libc.h>

#define MAX_CELLS 2          /* addresses and sizes handled: 64 bits */
#define MAX_IRQ_HOPS 64      /* bounds interrupt-parent chains (and cycles) */

/* The child of node whose name matches name[0..n): with a unit address in
 * the query the whole name must match, without one only the part before
 * '@' (the first such child wins). */
static int find_child(const struct fdt *f, int node, const char *name, size_t n)
{
	bool with_unit = false;
	int child;
	size_t i;

	for (i = 0; i < n; i++)
		if (name[i] == '@')
			with_unit = true;

	for (child = fdt_first_child(f, node); child >= 0; child = fdt_next_sibling(f, child)) {
		const char *cn = fdt_node_name(f, child);
		size_t clen;

		if (!cn)
			continue;
		clen = strlen(cn);
		if (!with_unit) {
			const char *at = strchr(cn, '@');

			if (at)
				clen = (size_t)(at - cn);
		}
		if (clen == n && memcmp(cn, name, n) == 0)
			return child;
	}
	return FDT_ERR_NOTFOUND;
}

/* Follows the '/'-separated components of [p, end) down from node. */
static int walk_path(const struct fdt *f, int node, const char *p, const char *end)
{
	while (node >= 0) {
		const char *c;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			return node;
		for (c = p; c < end && *c != '/'; c++)
			;
		node = find_child(f, node, p, (size_t)(c - p));
		p = c;
	}
	return node;
}

/* The path an alias stands for (a NUL-terminated absolute path) or NULL. */
static const char *alias_value(const struct fdt *f, const char *name, size_t n)
{
	int aliases = find_child(f, fdt_root(f), "aliases", 7);
	int prop;

	for (prop = fdt_first_prop(f, aliases); prop >= 0; prop = fdt_next_prop(f, prop)) {
		const char *pname, *v;
		int len;

		v = fdt_prop_value(f, prop, &pname, &len);
		if (!v || strlen(pname) != n || memcmp(pname, name, n) != 0)
			continue;
		/* Only absolute paths: an alias naming an alias could loop. */
		if (len < 2 || v[len - 1] != '\0' || v[0] != '/')
			return NULL;
		return v;
	}
	return NULL;
}

int fdt_path_offset_len(const struct fdt *fdt, const char *path, size_t len)
{
	const char *end, *p;
	int node = fdt_root(fdt);

	if (!path || len == 0 || node < 0)
		return FDT_ERR_NOTFOUND;
	len = strnlen(path, len);
	end = path + len;
	p = path;
	if (*p != '/') {
		const char *slash, *target;

		for (slash = p; slash < end && *slash != '/'; slash++)
			;
		target = alias_value(fdt, p, (size_t)(slash - p));
		if (!target)
			return FDT_ERR_NOTFOUND;
		node = walk_path(fdt, node, target, target + strlen(target));
		p = slash;
	}
	return walk_path(fdt, node, p, end);
}

int fdt_path_offset(const struct fdt *fdt, const char *path)
{
	return path ? fdt_path_offset_len(fdt, path, strlen(path)) : FDT_ERR_NOTFOUND;
}

int fdt_stdout_node(const struct fdt *fdt, const char **options)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	const char *sp, *colon;

	if (options)
		*options = NULL;
	sp = fdt_getprop_str(fdt, chosen, "stdout-path");
	if (!sp)
		sp = fdt_getprop_str(fdt, chosen, "linux,stdout-path");
	if (!sp)
		return FDT_ERR_NOTFOUND;
	colon = strchr(sp, ':');
	if (!colon)
		return fdt_path_offset(fdt, sp);
	if (options)
		*options = colon + 1;
	return fdt_path_offset_len(fdt, sp, (size_t)(colon - sp));
}

int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle)
{
	int node;

	if (phandle == 0 || phandle == 0xffffffffu)
		return FDT_ERR_NOTFOUND;
	for (node = fdt_root(fdt); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
		uint32_t v;

		if ((fdt_getprop_u32(fdt, node, "phandle", &v) == FDT_OK ||
		     fdt_getprop_u32(fdt, node, "linux,phandle", &v) == FDT_OK) && v == phandle)
			return node;
	}
	return FDT_ERR_NOTFOUND;
}

int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat)
{
	int node;

	for (node = fdt_next_node(fdt, from, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL))
		if (fdt_is_compatible(fdt, node, compat))
			return node;
	return FDT_ERR_NOTFOUND;
}

/* Maps addr from node's bus to its parent's through node's "ranges". */
static int translate_once(const struct fdt *f, int node, int parent, uint64_t *addr)
{
	uint32_t cac = fdt_address_cells(f, node), csc = fdt_size_cells(f, node);
	uint32_t pac = fdt_address_cells(f, parent), entry;
	const uint8_t *r;
	int len, i;

	r = fdt_getprop(f, node, "ranges", &len);
	if (!r)
		return FDT_ERR_NOTRANSLATE;
	if (len == 0)
		return FDT_OK;   /* empty ranges: identity mapping */
	if (cac < 1 || cac > MAX_CELLS || pac < 1 || pac > MAX_CELLS || csc < 1 || csc > MAX_CELLS)
		return FDT_ERR_BADVALUE;
	entry = (cac + pac + csc) * 4u;
	if ((uint32_t)len % entry)
		return FDT_ERR_BADVALUE;
	for (i = 0; i < len; i += (int)entry) {
		uint64_t child = fdt_read_cells(r + i, cac);
		uint64_t paddr = fdt_read_cells(r + i + cac * 4u, pac);
		uint64_t size = fdt_read_cells(r + i + (cac + pac) * 4u, csc);

		/* addr - child < size avoids overflow in child + size. */
		if (*addr >= child && *addr - child < size) {
			*addr = paddr + (*addr - child);
			return FDT_OK;
		}
	}
	return FDT_ERR_NOTRANSLATE;
}

int fdt_get_reg(const struct fdt *fdt, int node, int idx, uint64_t *addr, uint64_t *size)
{
	int parent = fdt_parent(fdt, node), len, hops;
	uint32_t ac, sc, entry;
	const uint8_t *reg;
	uint64_t a;

	if (parent < 0 || idx < 0)
		return FDT_ERR_NOTFOUND;
	ac = fdt_address_cells(fdt, parent);
	sc = fdt_size_cells(fdt, parent);
	if (ac < 1 || ac > MAX_CELLS || sc > MAX_CELLS)
		return FDT_ERR_BADVALUE;
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg)
		return FDT_ERR_NOTFOUND;
	entry = (ac + sc) * 4u;
	if (len == 0 || (uint32_t)len % entry)
		return FDT_ERR_BADVALUE;
	if ((uint32_t)idx >= (uint32_t)len / entry)
		return FDT_ERR_NOTFOUND;
	reg += (uint32_t)idx * entry;
	a = fdt_read_cells(reg, ac);
	if (size)
		*size = fdt_read_cells(reg + ac * 4u, sc);
	/* Up through every bus except the root, whose addresses are the CPU's. */
	for (hops = 0; hops < FDT_MAX_DEPTH; hops++) {
		int gp = fdt_parent(fdt, parent), err;

		if (gp < 0)
			break;
		err = translate_once(fdt, parent, gp, &a);
		if (err)
			return err;
		parent = gp;
	}
	*addr = a;
	return FDT_OK;
}

static bool is_interrupt_parent(const struct fdt *f, int node)
{
	return fdt_getprop(f, node, "#interrupt-cells", NULL) != NULL;
}

int fdt_interrupt_parent(const struct fdt *fdt, int node)
{
	int p = node, hops;

	/* A node's interrupt parent is its interrupt-parent phandle or else its
	 * tree parent; nodes that are not controllers pass the question on. */
	for (hops = 0; hops < MAX_IRQ_HOPS && p >= 0; hops++) {
		uint32_t ph;
		int ip;

		if (fdt_getprop_u32(fdt, p, "interrupt-parent", &ph) == FDT_OK)
			ip = fdt_node_by_phandle(fdt, ph);
		else
			ip = fdt_parent(fdt, p);
		if (ip >= 0 && is_interrupt_parent(fdt, ip))
			return ip == node ? FDT_ERR_NOTFOUND : ip;
		p = ip;
	}
	return FDT_ERR_NOTFOUND;
}

static int interrupt_cells(const struct fdt *f, int ctrl, uint32_t *n)
{
	int err = fdt_getprop_u32(f, ctrl, "#interrupt-cells", n);

	if (err == FDT_ERR_NOTFOUND || (!err && (*n == 0 || *n > 1024)))
		return FDT_ERR_BADVALUE;
	return err;
}

static void copy_cells(const uint8_t *p, uint32_t n, uint32_t *cells, int max, int *ncells)
{
	uint32_t i;

	for (i = 0; i < n && (int)i < max; i++)
		cells[i] = fdt32_to_cpu(p + 4u * i);
	if (ncells)
		*ncells = (int)n;
}

/* "interrupts-extended": entries of <phandle specifier...>, each sized by
 * its own controller's #interrupt-cells. */
static int get_interrupt_ext(const struct fdt *f, const uint8_t *v, int len, int idx, int *ctrl,
			     uint32_t *cells, int max, int *ncells)
{
	uint32_t off = 0, ulen = (uint32_t)len;
	int i;

	for (i = 0; off < ulen; i++) {
		uint32_t n;
		int c, err;

		if (ulen - off < 4)
			return FDT_ERR_BADVALUE;
		c = fdt_node_by_phandle(f, fdt32_to_cpu(v + off));
		if (c < 0)
			return FDT_ERR_BADVALUE;
		err = interrupt_cells(f, c, &n);
		if (err)
			return err;
		off += 4;
		if ((ulen - off) / 4u < n)
			return FDT_ERR_BADVALUE;
		if (i == idx) {
			if (ctrl)
				*ctrl = c;
			copy_cells(v + off, n, cells, max, ncells);
			return FDT_OK;
		}
		off += 4u * n;
	}
	return FDT_ERR_NOTFOUND;
}

int fdt_interrupt_spec(const struct fdt *fdt, int node, int ctrl, int idx, uint32_t *cells, int max,
		       int *ncells)
{
	const uint8_t *v;
	uint32_t n;
	int len, err;

	if (idx < 0)
		return FDT_ERR_NOTFOUND;
	v = fdt_getprop(fdt, node, "interrupts", &len);
	if (!v)
		return FDT_ERR_NOTFOUND;
	err = interrupt_cells(fdt, ctrl, &n);
	if (err)
		return err;
	if (len == 0 || (uint32_t)len % (4u * n))
		return FDT_ERR_BADVALUE;
	if ((uint32_t)idx >= (uint32_t)len / (4u * n))
		return FDT_ERR_NOTFOUND;
	copy_cells(v + (uint32_t)idx * 4u * n, n, cells, max, ncells);
	return FDT_OK;
}

int fdt_get_interrupt_ctrl(const struct fdt *fdt, int node, int idx, int *ctrl, uint32_t *cells,
			   int max, int *ncells)
{
	const uint8_t *v;
	int len, ip, err;

	if (idx < 0)
		return FDT_ERR_NOTFOUND;
	v = fdt_getprop(fdt, node, "interrupts-extended", &len);
	if (v)
		return get_interrupt_ext(fdt, v, len, idx, ctrl, cells, max, ncells);
	if (!fdt_getprop(fdt, node, "interrupts", NULL))
		return FDT_ERR_NOTFOUND;
	ip = fdt_interrupt_parent(fdt, node);
	if (ip < 0)
		return FDT_ERR_NOTFOUND;
	err = fdt_interrupt_spec(fdt, node, ip, idx, cells, max, ncells);
	if (!err && ctrl)
		*ctrl = ip;
	return err;
}

int fdt_get_interrupt(const struct fdt *fdt, int node, int idx, uint32_t *cells, int max, int *ncells)
{
	return fdt_get_interrupt_ctrl(fdt, node, idx, NULL, cells, max, ncells);
}

int fdt_dma_ranges(const struct fdt *fdt, int bus, struct fdt_dma_range *w, int max)
{
	int len;
	const uint8_t *r = fdt_getprop(fdt, bus, "dma-ranges", &len);
	if (!r)
		return FDT_ERR_NOTFOUND;
	if (len == 0)
		return 0;
	int up = fdt_parent(fdt, bus);
	uint32_t ca = fdt_address_cells(fdt, bus), pa = up >= 0 ? fdt_address_cells(fdt, up) : 2;
	uint32_t sc = fdt_size_cells(fdt, bus);
	if (ca < 1 || ca > MAX_CELLS || pa < 1 || pa > MAX_CELLS || sc < 1 || sc > MAX_CELLS)
		return FDT_ERR_BADVALUE;
	uint32_t entry = (ca + pa + sc) * 4;
	if (len < 0 || (uint32_t)len % entry || max < 0 || (uint32_t)len / entry > (uint32_t)max)
		return FDT_ERR_BADVALUE;
	int n = 0;
	for (uint32_t off = 0; off < (uint32_t)len; off += entry, n++) {
		w[n].bus = fdt_read_cells(r + off, ca);
		w[n].parent = fdt_read_cells(r + off + 4 * ca, pa);
		w[n].size = fdt_read_cells(r + off + 4 * (ca + pa), sc);
		if (!w[n].size || w[n].bus + w[n].size - 1 < w[n].bus ||
		    w[n].parent + w[n].size - 1 < w[n].parent)
			return FDT_ERR_BADVALUE;
	}
	return n;
}
