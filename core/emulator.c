/* SPDX-License-Identifier: GPL-2.0-only */
/* Matching a guest's device-tree nodes to the emulators built into the image. */
#include <mamoru/console.h>
#include <mamoru/emulator.h>
#include <mamoru/fdt_write.h>
#include <mamoru/guest.h>
#include <mamoru/heap.h>
#include <mamoru/libc.h>

extern const struct emulator *const __start_mamoru_emulators[], *const __stop_mamoru_emulators[];

static bool node_enabled(const struct fdt *fdt, int node)
{
	const char *status = fdt_getprop_str(fdt, node, "status");
	return !status || !strcmp(status, "okay") || !strcmp(status, "ok");
}

const struct emulator *emulator_for_node(const struct fdt *fdt, int node)
{
	if (node < 0 || !node_enabled(fdt, node))
		return NULL;
	for (const struct emulator *const *e = __start_mamoru_emulators; e < __stop_mamoru_emulators; e++)
		for (const char *const *c = (*e)->compatible; *c; c++)
			if (fdt_is_compatible(fdt, node, *c))
				return *e;
	return NULL;
}

int emulator_irq(const struct fdt *fdt, int node, int idx, unsigned *irq)
{
	uint32_t cells[3];
	int ncells;
	if (fdt_get_interrupt(fdt, node, idx, cells, 3, &ncells))
		return -1;
	if (ncells == 3 && cells[0] == 0 && cells[1] < 32) {
		*irq = 32 + cells[1];
		return 0;
	}
	if (ncells == 1 && cells[0] < 32) {
		int parent = fdt_interrupt_parent(fdt, node);
		bool cascaded = parent >= 0 && fdt_getprop(fdt, parent, "interrupts", NULL);
		*irq = (cascaded ? 32 : 0) + cells[0];
		return 0;
	}
	return -1;
}

/* One pass over the whole tree for the emulators with irqchip == chips. */
static const char *probe_pass(struct guest *g, const struct fdt *fdt, bool chips)
{
	static char why[80];
	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL)) {
		const struct emulator *e = emulator_for_node(fdt, n);
		if (!e || e->irqchip != chips)
			continue;
		if (chips && g->irqchip)
			return "the guest device tree has more than one interrupt controller";
		if (e->probe(g, fdt, n)) {
			m_snprintf(why, sizeof(why), "cannot emulate %s (%s)", fdt_node_name(fdt, n), e->name);
			return why;
		}
		if (chips)
			g->irqchip = e->name;
	}
	return NULL;
}

const char *emulators_claim(struct guest *g, const struct fdt *fdt)
{
	static char why[80];
	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL)) {
		const struct emulator *e = emulator_for_node(fdt, n);
		if (e && e->claim && e->claim(g, fdt, n)) {
			m_snprintf(why, sizeof(why), "cannot emulate %s (%s)", fdt_node_name(fdt, n), e->name);
			return why;
		}
	}
	return NULL;
}

void emulators_release(struct guest *g)
{
	for (const struct emulator *const *e = __start_mamoru_emulators; e < __stop_mamoru_emulators; e++)
		if ((*e)->release)
			(*e)->release(g);
}

const char *emulators_probe(struct guest *g, const struct fdt *fdt)
{
	const char *err = probe_pass(g, fdt, true);
	if (!err && !g->irqchip)
		err = "the guest device tree has no interrupt controller that Mamoru emulates";
	if (!err)
		err = probe_pass(g, fdt, false);
	if (!err && !g->console.ops)
		err = "the guest device tree has no console UART that Mamoru emulates";
	return err;
}

static bool rewrite_prop(void *ctx, struct fdt_writer *w, const struct fdt *src, int node,
			 const char *name, const void *val, int len)
{
	const struct emulator *e = emulator_for_node(src, node);
	return e && e->dt_prop && e->dt_prop(ctx, w, src, node, name, val, len);
}

static void rewrite_end(void *ctx, struct fdt_writer *w, const struct fdt *src, int node)
{
	const struct emulator *e = emulator_for_node(src, node);
	if (e && e->dt_end)
		e->dt_end(ctx, w, src, node);
}

int emulators_rewrite_dt(struct guest *g)
{
	struct fdt src;
	int err = fdt_init(&src, g->image.dtb, g->image.dtb_size);
	if (err)
		return err;
	size_t cap = g->image.dtb_size + 1024, names_cap = src.strings_size + 256, size = 0;
	uint8_t *out = kmalloc(cap);
	char *names = kmalloc(names_cap);
	if (!out || !names) {
		kfree(out);
		kfree(names);
		return FDTW_ERR_NOSPACE;
	}
	struct fdt_writer w;
	fdtw_init(&w, out, cap, names, names_cap);
	for (int i = 0, k = fdt_num_mem_rsv(&src); i < k; i++) {
		uint64_t a, s;
		if (!fdt_get_mem_rsv(&src, i, &a, &s))
			fdtw_reserve(&w, a, s);
	}
	const struct fdtw_hooks hooks = {.ctx = g, .prop = rewrite_prop, .end = rewrite_end};
	fdtw_copy_node(&w, &src, fdt_root(&src), &hooks);
	err = fdtw_finish(&w, &size);
	kfree(names);
	if (err) {
		kfree(out);
		return err;
	}
	/* The one it replaces is the bundle's (not the heap's) or passthrough's. */
	if (g->dtb_on_heap)
		kfree((void *)(uintptr_t)g->image.dtb);
	g->dtb_on_heap = true;
	g->image.dtb = out;
	g->image.dtb_size = size;
	return 0;
}
