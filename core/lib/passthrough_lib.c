/* SPDX-License-Identifier: GPL-2.0-only */
/* The pure logic of device passthrough (see passthrough_lib.h). */
#include <mamoru/fdt_write.h>
#include <mamoru/libc.h>
#include <mamoru/passthrough_lib.h>

int pt_page_span(uint64_t base, uint64_t size, uint64_t *pbase, uint64_t *psize)
{
	if (size == 0 || base + size < base || base + size > UINT64_MAX - PT_PAGE)
		return -1;
	uint64_t start = ALIGN_DOWN(base, PT_PAGE), end = ALIGN_UP(base + size, PT_PAGE);
	*pbase = start;
	*psize = end - start;
	return 0;
}

const struct pt_range *pt_conflict(uint64_t base, uint64_t size, const struct pt_range *busy,
				   size_t n)
{
	/* An empty or wrapping range is refused, never taken for "no conflict". */
	static const struct pt_range invalid = {0, 0, "an empty or wrapping range"};
	uint64_t a, alen;
	if (pt_page_span(base, size, &a, &alen))
		return &invalid;
	for (size_t i = 0; i < n; i++) {
		uint64_t b, blen;
		if (pt_page_span(busy[i].base, busy[i].size, &b, &blen))
			continue;
		if (a < b + blen && b < a + alen)
			return &busy[i];
	}
	return NULL;
}

bool pt_allowed(const struct fdt *fdt, int node, const char *const *allow, const char **which)
{
	for (; allow && *allow; allow++)
		if (fdt_is_compatible(fdt, node, *allow)) {
			if (which)
				*which = *allow;
			return true;
		}
	return false;
}

static bool used_bit(const uint32_t *used, unsigned irq)
{
	return (used[irq / 32] >> (irq % 32)) & 1;
}

int pt_guest_irq(unsigned host_irq, const uint32_t *used, unsigned nr)
{
	if (host_irq >= 32 && host_irq < nr && !used_bit(used, host_irq))
		return (int)host_irq;
	for (unsigned irq = 32; irq < nr; irq++)
		if (!used_bit(used, irq))
			return (int)irq;
	return -1;
}

void pt_mark_guest_irqs(const struct fdt *guest, uint32_t *used, unsigned nr)
{
	int depth = 0;
	for (int n = fdt_root(guest); n >= 0; n = fdt_next_node(guest, n, &depth)) {
		uint32_t cells[4];
		int ncells;
		for (int i = 0; !fdt_get_interrupt(guest, n, i, cells, 4, &ncells); i++) {
			if (ncells != 3 || cells[0] > 1)
				break;
			uint64_t irq = (cells[0] == 0 ? 32ull : 16ull) + cells[1];
			if (irq < nr)
				used[irq / 32] |= 1u << (irq % 32);
		}
	}
}

int pt_find_overlap(const struct fdt *fdt, uint64_t base, uint64_t size)
{
	int depth = 0;
	const struct pt_range ram = {base, size, "RAM"};
	for (int n = fdt_root(fdt); n >= 0; n = fdt_next_node(fdt, n, &depth)) {
		const char *type = fdt_getprop_str(fdt, n, "device_type");
		if (type && !strcmp(type, "memory"))
			continue;
		uint64_t a, s;
		for (int i = 0; !fdt_get_reg(fdt, n, i, &a, &s); i++)
			if (s && pt_conflict(a, s, &ram, 1))
				return n;
	}
	return FDT_ERR_NOTFOUND;
}

/* Finding a node's interrupt parent walks the tree for its tree parent and again for a
 * phandle (done twice per specifier, it once took 0.15-0.3 s for two devices on QEMU virt's
 * tree under TCG). Here each node's tree parent is still found by a walk of the structure,
 * but the interrupt parent (the phandle search over every node's properties) once per set
 * of siblings: without an interrupt-parent property of its own, a node's answer depends only
 * on its tree parent, unless that answer is the node itself (then it has none). */
int pt_next_sharing(const struct fdt *fdt, int node, int parent, unsigned irq, int from,
		    pt_irq_xlate xlate)
{
	int depth = 0;
	if (parent < 0)
		return FDT_ERR_NOTFOUND;
	int memo_tree = -1, memo_ip = -1;
	int n = from >= 0 ? fdt_next_node(fdt, from, &depth) : fdt_root(fdt);
	for (; n >= 0; n = fdt_next_node(fdt, n, &depth)) {
		const char *status = fdt_getprop_str(fdt, n, "status");
		if (n == node || (status && strcmp(status, "okay") && strcmp(status, "ok")))
			continue;
		uint32_t cells[4];
		int nc, ctrl;
		unsigned x;
		if (fdt_getprop(fdt, n, "interrupts-extended", NULL)) {   /* a controller each */
			for (int i = 0; !fdt_get_interrupt_ctrl(fdt, n, i, &ctrl, cells, 4, &nc); i++)
				if (ctrl == parent && !xlate(fdt, ctrl, cells, nc, &x) && x == irq)
					return n;
			continue;
		}
		if (!fdt_getprop(fdt, n, "interrupts", NULL))
			continue;
		if (fdt_getprop(fdt, n, "interrupt-parent", NULL)) {
			ctrl = fdt_interrupt_parent(fdt, n);
		} else {
			int tree = fdt_parent(fdt, n);
			if (tree != memo_tree || memo_ip < 0) {
				memo_tree = tree;
				memo_ip = fdt_interrupt_parent(fdt, n);
			}
			ctrl = memo_ip == n ? FDT_ERR_NOTFOUND : memo_ip;
		}
		if (ctrl != parent)
			continue;
		for (int i = 0; !fdt_interrupt_spec(fdt, n, ctrl, i, cells, 4, &nc); i++)
			if (!xlate(fdt, ctrl, cells, nc, &x) && x == irq)
				return n;
	}
	return FDT_ERR_NOTFOUND;
}

int pt_dma_windows(const struct fdt *fdt, int node, struct fdt_dma_range *w, int max)
{
	int parent = fdt_parent(fdt, node);
	int n = parent >= 0 ? fdt_dma_ranges(fdt, parent, w, max) : 0;
	if (n == FDT_ERR_NOTFOUND || n == 0)
		return 0;
	/* Only a bus at the root: its parent addresses are then CPU addresses. */
	if (n < 0 || fdt_parent(fdt, parent) != fdt_root(fdt))
		return FDT_ERR_BADVALUE;
	return n;
}

bool pt_dma_reaches(const struct fdt_dma_range *w, int n, uint64_t base, uint64_t size)
{
	if (n <= 0)
		return true;
	if (!size || base + size - 1 < base)
		return false;
	for (int i = 0; i < n; i++)
		if (base >= w[i].parent && base - w[i].parent < w[i].size && size <= w[i].size - (base - w[i].parent))
			return true;
	return false;
}

const char *pt_next_string(const char *val, int len, int *pos)
{
	if (!val || *pos < 0 || *pos >= len)
		return NULL;
	const char *s = val + *pos;
	size_t l = strnlen(s, (size_t)(len - *pos));
	if (l == (size_t)(len - *pos))
		return NULL;                 /* not terminated */
	*pos += (int)l + 1;
	return s;
}

/* --- the guest's device tree ------------------------------------------------ */

struct build_ctx {
	const struct fdt *guest, *host;
	int mem_node;
	uint32_t ac, sc;                 /* the guest root's #address-cells, #size-cells */
	uint32_t gic_phandle;            /* 0: the guest's GIC has none */
	uint64_t ram_base, ram_size;
	const struct pt_node *nodes, *cur;
	int n;
	uint32_t next_phandle;           /* above every phandle of the guest's tree */
	uint32_t cur_clock;              /* the phandle of cur's fixed-clock, 0: none */
	uint32_t clock[PT_MAX_NODES];    /* each node's fixed-clock phandle, 0: none */
	/* The phandles defined inside cur's subtree (a PHY under the device's own MDIO
	 * bus) and the guest's numbers for them: references within the subtree keep working. */
	uint32_t ph_host[PT_MAX_PHANDLES], ph_guest[PT_MAX_PHANDLES];
	int nph;
	int err;
};

/* Appends v as n (1 or 2) cells at cells[*k]; false when it does not fit. */
static bool put_value(uint32_t *cells, size_t *k, uint64_t v, uint32_t n)
{
	if (n < 1 || n > 2 || (n == 1 && v >> 32))
		return false;
	if (n == 2)
		cells[(*k)++] = (uint32_t)(v >> 32);
	cells[(*k)++] = (uint32_t)v;
	return true;
}

/* (addr, size) pairs in the guest root's cells; false when a value does not fit. */
static bool put_pairs(struct build_ctx *c, struct fdt_writer *w, const char *name,
		      const uint64_t (*pairs)[2], int n)
{
	uint32_t cells[PT_MAX_REGS * 4];
	size_t k = 0;
	if (c->ac < 1 || c->ac > 2 || c->sc > 2 || n > PT_MAX_REGS)
		return false;
	for (int i = 0; i < n; i++) {
		const uint32_t per[2] = {c->ac, c->sc};
		for (int j = 0; j < 2; j++) {
			uint64_t v = pairs[i][j];
			if (per[j] == 1 && v >> 32)
				return false;
			if (per[j] == 2)
				cells[k++] = (uint32_t)(v >> 32);
			if (per[j] >= 1)
				cells[k++] = (uint32_t)v;
		}
	}
	fdtw_prop_cells(w, name, cells, k);
	return true;
}

static void hex(char *buf, size_t len, const char *prefix, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[17];
	int n = 0;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	size_t at = 0;
	for (; *prefix && at + 1 < len; prefix++)
		buf[at++] = *prefix;
	buf[at < len ? at++ : len - 1] = '@';
	while (n && at + 1 < len)
		buf[at++] = tmp[--n];
	buf[MIN(at, len - 1)] = 0;
}

static const char *guest_name(void *ctx, const struct fdt *src, int node, char *buf, size_t len)
{
	struct build_ctx *c = ctx;
	(void)src;
	if (node != c->mem_node)
		return NULL;
	hex(buf, len, "memory", c->ram_base);
	return buf;
}

static bool guest_prop(void *ctx, struct fdt_writer *w, const struct fdt *src, int node,
		       const char *name, const void *val, int len)
{
	struct build_ctx *c = ctx;
	(void)src, (void)val, (void)len;
	if (node != c->mem_node || strcmp(name, "reg"))
		return false;
	const uint64_t pair[1][2] = {{c->ram_base, c->ram_size}};
	if (!put_pairs(c, w, "reg", pair, 1))
		c->err = FDT_ERR_BADVALUE;
	return true;
}

/* The name of a passed node at the guest's root: its own, with the unit address
 * of its (translated) first reg. */
static const char *host_name(void *ctx, const struct fdt *src, int node, char *buf, size_t len)
{
	struct build_ctx *c = ctx;
	if (node != c->cur->host_node || c->cur->nreg == 0)
		return NULL;
	const char *full = fdt_node_name(src, node);
	if (!full)
		return NULL;
	const char *at = strchr(full, '@');
	size_t base = at ? (size_t)(at - full) : strlen(full);
	char stem[64];
	if (base >= sizeof(stem))
		return NULL;
	memcpy(stem, full, base);
	stem[base] = 0;
	hex(buf, len, stem, c->cur->reg[0][0]);
	return buf;
}

bool pt_phandle_ref(const char *name)
{
	/* One phandle each, naming a node that may sit inside the passed device's subtree
	 * (GENET's phy-handle names the PHY on its own MDIO bus). */
	static const char *const refs[] = {"phy-handle"};
	for (size_t i = 0; i < ARRAY_SIZE(refs); i++)
		if (!strcmp(name, refs[i]))
			return true;
	return false;
}

/* The guest's number for phandle ph of cur's subtree, 0 when it is not one of them. */
static uint32_t subtree_phandle(const struct build_ctx *c, uint32_t ph)
{
	for (int i = 0; ph && i < c->nph; i++)
		if (c->ph_host[i] == ph)
			return c->ph_guest[i];
	return 0;
}

/* Numbers every phandle defined in the subtree at node (node included) anew, above the
 * guest tree's; false when there are more than PT_MAX_PHANDLES or no numbers left. */
static bool number_subtree(struct build_ctx *c, int node)
{
	int depth = 0;
	c->nph = 0;
	for (int n = node; n >= 0; n = fdt_next_node(c->host, n, &depth)) {
		if (n != node && depth <= 0)
			break;                            /* left the subtree */
		uint32_t ph;
		if ((fdt_getprop_u32(c->host, n, "phandle", &ph) &&
		     fdt_getprop_u32(c->host, n, "linux,phandle", &ph)) || !ph || ph >= 0xfffffffeu ||
		    subtree_phandle(c, ph))
			continue;
		if (c->nph == PT_MAX_PHANDLES || c->next_phandle >= 0xfffffffeu)
			return false;
		c->ph_host[c->nph] = ph;
		c->ph_guest[c->nph++] = c->next_phandle++;
	}
	return true;
}

static bool host_prop(void *ctx, struct fdt_writer *w, const struct fdt *src, int node,
		      const char *name, const void *val, int len)
{
	struct build_ctx *c = ctx;
	const struct pt_node *p = c->cur;
	(void)src;
	if (!strcmp(name, "phandle") || !strcmp(name, "linux,phandle") || pt_phandle_ref(name)) {
		/* Kept, renumbered, when it is one of the subtree's own; dropped otherwise (a
		 * reference to a host node the guest does not have). */
		uint32_t ph = len == 4 ? fdt32_to_cpu(val) : 0, mine = subtree_phandle(c, ph);
		if (mine)
			fdtw_prop_u32(w, name, mine);
		return true;
	}
	if (!strcmp(name, "interrupts-extended") || pt_dropped_prop(name))
		return true;                             /* dropped */
	if (!strcmp(name, "clocks") || !strcmp(name, "clock-names")) {
		/* The host's clock controller stays the hypervisor's: one fixed clock for
		 * the passed node; its children's clocks are dropped. */
		if (!strcmp(name, "clocks") && c->cur_clock && node == p->host_node)
			fdtw_prop_u32(w, name, c->cur_clock);
		return true;
	}
	if (node != p->host_node)
		return false;
	if (!strcmp(name, "reg")) {
		if (!put_pairs(c, w, "reg", p->reg, p->nreg))
			c->err = FDT_ERR_BADVALUE;
		return true;
	}
	if (!strcmp(name, "interrupt-parent")) {
		if (c->gic_phandle)
			fdtw_prop_u32(w, name, c->gic_phandle);
		return true;
	}
	if (!strcmp(name, "interrupts")) {
		uint32_t cells[PT_MAX_IRQS * 3];
		for (int i = 0; i < p->nirq; i++) {
			cells[3 * i] = 0;                      /* SPI */
			cells[3 * i + 1] = p->virq[i] - 32;
			cells[3 * i + 2] = p->irq_flags[i];
		}
		if (p->nirq)
			fdtw_prop_cells(w, name, cells, 3 * (size_t)p->nirq);
		return true;
	}
	return false;
}

/* A node's copy under the writer's current node, with its fixed clock. */
static void copy_passed(struct build_ctx *c, struct fdt_writer *w, int i)
{
	const struct fdtw_hooks hooks = {.ctx = c, .name = host_name, .prop = host_prop};
	c->cur = &c->nodes[i];
	c->cur_clock = c->clock[i];
	if (!number_subtree(c, c->cur->host_node)) {
		c->err = FDT_ERR_BADVALUE;
		return;
	}
	fdtw_copy_node(w, c->host, c->cur->host_node, &hooks);
}

/* The bus node for the passed nodes whose host parent is parent (the first of them is
 * nodes[first]): the host bus's DMA translation, the guest root's addresses. */
static void write_bus(struct build_ctx *c, struct fdt_writer *w, int k, int first)
{
	struct fdt_dma_range win[PT_MAX_DMA];
	int parent = fdt_parent(c->host, c->nodes[first].host_node);
	int n = pt_dma_windows(c->host, c->nodes[first].host_node, win, PT_MAX_DMA);
	uint32_t cells[PT_MAX_DMA * 6];
	size_t nc = 0;
	for (int i = 0; i < n; i++)
		if (!put_value(cells, &nc, win[i].bus, c->ac) || !put_value(cells, &nc, win[i].parent, c->ac) ||
		    !put_value(cells, &nc, win[i].size, c->sc))
			n = FDT_ERR_BADVALUE;
	if (n <= 0) {
		c->err = FDT_ERR_BADVALUE;
		return;
	}
	char name[] = "passthrough-bus-0";             /* no reg: no unit address */
	name[sizeof(name) - 2] = (char)('0' + k % 10);
	fdtw_begin_node(w, name);
	static const char bus[] = "simple-bus";
	fdtw_prop(w, "compatible", bus, sizeof(bus));
	fdtw_prop_u32(w, "#address-cells", c->ac);
	fdtw_prop_u32(w, "#size-cells", c->sc);
	fdtw_prop(w, "ranges", NULL, 0);               /* the guest root's addresses */
	fdtw_prop_cells(w, "dma-ranges", cells, nc);
	for (int i = first; i < c->n && !c->err; i++)
		if (fdt_parent(c->host, c->nodes[i].host_node) == parent)
			copy_passed(c, w, i);
	fdtw_end_node(w);
}

static void guest_end(void *ctx, struct fdt_writer *w, const struct fdt *src, int node)
{
	struct build_ctx *c = ctx;
	if (node != fdt_root(src))
		return;
	if (c->n > PT_MAX_NODES) {
		c->err = FDT_ERR_BADVALUE;
		return;
	}
	struct fdt_dma_range win[PT_MAX_DMA];
	int ndma[PT_MAX_NODES];
	for (int i = 0; i < c->n; i++) {
		const struct pt_node *p = &c->nodes[i];
		if (p->nirq > PT_MAX_IRQS || p->nreg > PT_MAX_REGS || p->nreg < 1) {
			c->err = FDT_ERR_BADVALUE;
			return;
		}
		for (int k = 0; k < p->nirq; k++)
			if (p->virq[k] < 32) {
				c->err = FDT_ERR_BADVALUE;
				return;
			}
		ndma[i] = pt_dma_windows(c->host, p->host_node, win, PT_MAX_DMA);
		if (ndma[i] < 0) {
			c->err = ndma[i];
			return;
		}
	}
	/* The fixed clocks first, at the root (a bus below holds only passed nodes). */
	for (int i = 0; i < c->n; i++) {
		c->clock[i] = 0;
		if (!c->nodes[i].clock_hz)
			continue;
		char name[] = "passthrough-clock-0";        /* no reg: no unit address */
		if (c->next_phandle >= 0xfffffffeu) {       /* -1 and 0xfffffffe: invalid */
			c->err = FDT_ERR_BADVALUE;
			return;
		}
		name[sizeof(name) - 2] = (char)('0' + i % 10);
		c->clock[i] = c->next_phandle++;
		fdtw_begin_node(w, name);
		fdtw_prop(w, "compatible", "fixed-clock", sizeof("fixed-clock"));
		fdtw_prop_u32(w, "#clock-cells", 0);
		fdtw_prop_u32(w, "clock-frequency", c->nodes[i].clock_hz);
		fdtw_prop_u32(w, "phandle", c->clock[i]);
		fdtw_end_node(w);
	}
	/* Nodes whose bus does not translate DMA addresses at the root, as on the host. */
	for (int i = 0; i < c->n && !c->err; i++)
		if (!ndma[i])
			copy_passed(c, w, i);
	/* The others under one bus node per host parent, in the order first seen. */
	for (int i = 0, k = 0; i < c->n && !c->err; i++) {
		if (!ndma[i])
			continue;
		int parent = fdt_parent(c->host, c->nodes[i].host_node), seen = 0;
		for (int j = 0; j < i; j++)
			seen |= ndma[j] && fdt_parent(c->host, c->nodes[j].host_node) == parent;
		if (!seen)
			write_bus(c, w, k++, i);
	}
}

bool pt_dropped_prop(const char *name)
{
	static const char *const exact[] = {
		"pinctrl-names", "mmc-pwrseq", "dmas", "dma-names", "resets", "reset-names",
		"phys", "phy-names", "power-domains", "power-domain-names", "assigned-clocks",
		"assigned-clock-rates", "assigned-clock-parents",
	};
	static const char suffix[] = "-supply";
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
		if (!strcmp(name, exact[i]))
			return true;
	if (!strncmp(name, "pinctrl-", strlen("pinctrl-")))
		return true;                    /* pinctrl-0, pinctrl-1, ... */
	size_t l = strlen(name);
	return l > strlen(suffix) && !strcmp(name + l - strlen(suffix), suffix);
}

/* One more than the largest phandle of the tree (at least 1). */
static uint32_t next_free_phandle(const struct fdt *f)
{
	uint32_t top = 0, ph;
	int depth = 0;
	for (int n = fdt_root(f); n >= 0; n = fdt_next_node(f, n, &depth))
		if (!fdt_getprop_u32(f, n, "phandle", &ph) && ph > top && ph < 0xfffffffeu)
			top = ph;
	return top + 1;
}

static int find_memory(const struct fdt *f)
{
	for (int n = fdt_first_child(f, fdt_root(f)); n >= 0; n = fdt_next_sibling(f, n)) {
		const char *type = fdt_getprop_str(f, n, "device_type");
		if (type && !strcmp(type, "memory"))
			return n;
	}
	return FDT_ERR_NOTFOUND;
}

int pt_build_guest_dt(const struct fdt *guest_src, const struct fdt *host,
		      const struct pt_node *nodes, int n, uint64_t ram_base, uint64_t ram_size,
		      void *out, size_t cap, char *names, size_t names_cap, size_t *size)
{
	struct build_ctx c = {
		.guest = guest_src, .host = host, .nodes = nodes, .n = n,
		.ram_base = ram_base, .ram_size = ram_size,
	};
	int root = fdt_root(guest_src);
	if (root < 0)
		return root;
	c.next_phandle = next_free_phandle(guest_src);
	c.mem_node = find_memory(guest_src);
	if (c.mem_node < 0)
		return c.mem_node;
	c.ac = fdt_address_cells(guest_src, root);
	c.sc = fdt_size_cells(guest_src, root);
	int gic = fdt_interrupt_parent(guest_src, root);
	if (gic >= 0)
		fdt_getprop_u32(guest_src, gic, "phandle", &c.gic_phandle);
	if (n < 0 || (n && !host))
		return FDT_ERR_BADVALUE;

	struct fdt_writer w;
	fdtw_init(&w, out, cap, names, names_cap);
	for (int i = 0, k = fdt_num_mem_rsv(guest_src); i < k; i++) {
		uint64_t a, s;
		if (!fdt_get_mem_rsv(guest_src, i, &a, &s))
			fdtw_reserve(&w, a, s);
	}
	const struct fdtw_hooks hooks = {.ctx = &c, .name = guest_name, .prop = guest_prop,
					 .end = guest_end};
	fdtw_copy_node(&w, guest_src, root, &hooks);
	if (c.err)
		return c.err;
	return fdtw_finish(&w, size);
}
