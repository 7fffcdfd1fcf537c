/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Flattened device tree writer: builds a new DTB (version 17) in a caller's
 * buffer, node by node, or by copying nodes of an existing tree (read with
 * mamoru/fdt.h) with hooks that may rename a node, replace or drop a
 * property and append children. Allocation-free: the structure block grows
 * in the output buffer, property names collect in a second buffer and are
 * appended by fdtw_finish(). Errors are sticky: after the first one every
 * call does nothing and fdtw_finish() reports it.
 */
#ifndef MAMORU_FDT_WRITE_H
#define MAMORU_FDT_WRITE_H

#include <mamoru/fdt.h>

#define FDTW_ERR_NOSPACE (-20)     /* the output or the names buffer is full */
#define FDTW_ERR_ORDER (-21)       /* a property after a child node, unbalanced nodes, ... */
#define FDTW_ERR_BADNAME (-22)     /* empty or unterminated node/property name */

struct fdt_writer {
	uint8_t *buf;
	size_t cap, off;             /* output buffer; next structure byte */
	char *names;
	size_t names_cap, names_len; /* property names (the strings block) */
	size_t struct_start;
	int depth;
	bool rsv_done;               /* the reservation map is closed (a node began) */
	bool had_child;              /* the open node already has a child: no more properties */
	int err;
};

/* The hooks of fdtw_copy_node. Each may be NULL. */
struct fdtw_hooks {
	void *ctx;
	/* The name the copy of node gets: NULL keeps the source's. buf may hold it. */
	const char *(*name)(void *ctx, const struct fdt *src, int node, char *buf, size_t len);
	/* Called for each property: return true when the hook wrote its own
	 * replacement (or nothing, to drop it), false to copy it unchanged. */
	bool (*prop)(void *ctx, struct fdt_writer *w, const struct fdt *src, int node,
		     const char *name, const void *val, int len);
	/* Called after node's properties and children, before it is closed:
	 * may add properties (when node has no children) and child nodes. */
	void (*end)(void *ctx, struct fdt_writer *w, const struct fdt *src, int node);
};

void fdtw_init(struct fdt_writer *w, void *buf, size_t cap, char *names, size_t names_cap);
/* A /memreserve/ entry: only before the first node. */
void fdtw_reserve(struct fdt_writer *w, uint64_t addr, uint64_t size);
void fdtw_begin_node(struct fdt_writer *w, const char *name);
void fdtw_prop(struct fdt_writer *w, const char *name, const void *val, size_t len);
void fdtw_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
/* Big-endian cells (host-order input). */
void fdtw_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t n);
void fdtw_end_node(struct fdt_writer *w);
/* Copies node and everything below it from src (which fdt_init accepted). */
void fdtw_copy_node(struct fdt_writer *w, const struct fdt *src, int node,
		    const struct fdtw_hooks *hooks);
/* Closes the tree and writes the header: 0 and *size (the DTB's length), or
 * the first error. */
int fdtw_finish(struct fdt_writer *w, size_t *size);
const char *fdtw_strerror(int err);

#endif
