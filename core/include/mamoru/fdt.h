/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Flattened device tree (DTB) reader. Read-only, allocation-free and
 * defensive: the blob comes from firmware or a bootloader and every offset
 * and length in it is checked before use. Node handles are offsets of
 * FDT_BEGIN_NODE tokens inside the structure block.
 */
#ifndef MAMORU_FDT_H
#define MAMORU_FDT_H

#include <mamoru/types.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_MAX_DEPTH 32

enum fdt_err {
	FDT_OK = 0,
	FDT_ERR_NOTFOUND = -1,
	FDT_ERR_BADMAGIC = -2,
	FDT_ERR_BADVERSION = -3,
	FDT_ERR_TRUNCATED = -4,   /* totalsize larger than the buffer */
	FDT_ERR_BADLAYOUT = -5,   /* block offsets/sizes outside the blob */
	FDT_ERR_BADSTRUCT = -6,   /* bad token, unterminated name, ... */
	FDT_ERR_BADSTRING = -7,   /* property name offset out of range */
	FDT_ERR_TOODEEP = -8,
	FDT_ERR_BADVALUE = -9,    /* property has the wrong length/format */
	FDT_ERR_NOTRANSLATE = -10, /* reg not mappable through the parents' ranges */
};

/* The largest device tree a loader hands over (the arm64 boot protocol's limit). */
#define DTB_MAX_SIZE (2u << 20)

struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	uint32_t struct_off, struct_size;
	uint32_t strings_off, strings_size;
	uint32_t rsvmap_off;
};

/* Validates the header and the whole structure block (every token, name and
 * property) once, so later lookups can trust the layout. maxlen: how many
 * bytes may be read at blob (the header's totalsize must fit in it). */
int fdt_init(struct fdt *fdt, const void *blob, size_t maxlen);
const char *fdt_strerror(int err);

/* Navigation. Return a node offset >= 0 or FDT_ERR_NOTFOUND. */
int fdt_root(const struct fdt *fdt);
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);
int fdt_parent(const struct fdt *fdt, int node);
/* Absolute path ("/soc/serial@7e201000") or an alias name ("serial0"). A
 * component without '@' matches a node whose name before '@' equals it. */
int fdt_path_offset(const struct fdt *fdt, const char *path);
/* The same for the first len bytes of path (e.g. up to a ':' of options). */
int fdt_path_offset_len(const struct fdt *fdt, const char *path, size_t len);
/* The node named by /chosen's stdout-path; *options (may be NULL) is set to
 * the text after ':' ("115200n8") or NULL. */
int fdt_stdout_node(const struct fdt *fdt, const char **options);
/* Next node in document order after node (-1: the root). If depth is not
 * NULL it is updated by the change in depth (children are +1). */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);
int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle);
/* Next node after 'from' (-1: from the start) in document order whose
 * "compatible" list contains compat. */
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);
const char *fdt_node_name(const struct fdt *fdt, int node);

/* Properties. */
/* Iteration over a node's properties: handles are offsets of FDT_PROP
 * tokens; FDT_ERR_NOTFOUND after the last one. */
int fdt_first_prop(const struct fdt *fdt, int node);
int fdt_next_prop(const struct fdt *fdt, int prop);
/* The value of property prop; its name and length via name/lenp. */
const void *fdt_prop_value(const struct fdt *fdt, int prop, const char **name, int *lenp);
const void *fdt_getprop(const struct fdt *fdt, int node, const char *name, int *lenp);
/* The property as a NUL-terminated string (NULL if absent/not terminated). */
const char *fdt_getprop_str(const struct fdt *fdt, int node, const char *name);
int fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out);
bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* #address-cells / #size-cells that apply to node's children (defaults 2/1). */
uint32_t fdt_address_cells(const struct fdt *fdt, int node);
uint32_t fdt_size_cells(const struct fdt *fdt, int node);

/* The idx-th (address, size) pair of node's "reg", translated to a CPU
 * physical address through the parents' "ranges". */
int fdt_get_reg(const struct fdt *fdt, int node, int idx, uint64_t *addr, uint64_t *size);
/* The node's interrupt parent (interrupt-parent, inherited). */
int fdt_interrupt_parent(const struct fdt *fdt, int node);
/* The idx-th interrupt specifier of node: up to max cells copied to cells,
 * *ncells set to the parent's #interrupt-cells. */
int fdt_get_interrupt(const struct fdt *fdt, int node, int idx, uint32_t *cells, int max, int *ncells);
/* The same, also giving the controller (which can differ per entry with
 * "interrupts-extended"); ctrl may be NULL. */
int fdt_get_interrupt_ctrl(const struct fdt *fdt, int node, int idx, int *ctrl, uint32_t *cells,
			   int max, int *ncells);
/* The idx-th specifier of node's "interrupts" read with ctrl's #interrupt-cells, for a
 * caller that knows the interrupt parent already (finding it walks the tree). */
int fdt_interrupt_spec(const struct fdt *fdt, int node, int ctrl, int idx, uint32_t *cells, int max,
		       int *ncells);

/* A window of a bus's dma-ranges: the bus's address `bus` is its parent's address
 * `parent`, for size bytes. */
struct fdt_dma_range {
	uint64_t bus, parent, size;
};
/* The windows of bus's own dma-ranges (up to max), the parent addresses read with the
 * #address-cells of bus's parent (2 at the root). Returns how many: 0 for an empty
 * property (the bus's addresses are its parent's), FDT_ERR_NOTFOUND without one,
 * FDT_ERR_BADVALUE for cells outside 1-2, a length that is not whole windows, more than
 * max windows, or a window that is empty or wraps. */
int fdt_dma_ranges(const struct fdt *fdt, int bus, struct fdt_dma_range *w, int max);

/* /memreserve/ entries. */
int fdt_num_mem_rsv(const struct fdt *fdt);
int fdt_get_mem_rsv(const struct fdt *fdt, int idx, uint64_t *addr, uint64_t *size);

static inline uint32_t fdt32_to_cpu(const void *p)
{
	const uint8_t *b = p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* n big-endian cells at p as one number (n <= 2 keeps every bit). */
static inline uint64_t fdt_read_cells(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (uint32_t i = 0; i < n; i++)
		v = (v << 32) | fdt32_to_cpu(b + 4 * i);
	return v;
}

#endif
