/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel object walks for the IDS: tasks (init_task's tasks list), every PID
 * through init_pid_ns's IDR (an xarray), and loaded modules.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/vmi.h>

struct task_offs {
	uint64_t tasks, pid, tgid, comm, mm, parent, cred, state, flags, uid;
	bool have_state, have_cred;
};

static int task_offsets(struct vmi *v, struct task_offs *o)
{
	static const char *const need[] = { "task_struct.tasks", "task_struct.pid",
					    "task_struct.tgid", "task_struct.comm",
					    "task_struct.mm", "task_struct.real_parent",
					    "task_struct.flags" };
	uint64_t *dst[] = { &o->tasks, &o->pid, &o->tgid, &o->comm, &o->mm, &o->parent, &o->flags };

	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		int rc = vmi_field(v, need[i], dst[i]);
		if (rc)
			return rc;
	}
	o->have_state = vmi_field(v, "task_struct.__state", &o->state) == VMI_OK ||
			vmi_field(v, "task_struct.state", &o->state) == VMI_OK;
	o->have_cred = vmi_field(v, "task_struct.cred", &o->cred) == VMI_OK &&
		       vmi_field(v, "cred.uid", &o->uid) == VMI_OK;
	return VMI_OK;
}

static int read_task(struct vmi *v, const struct task_offs *o, uint64_t task,
		     struct vmi_task *t)
{
	uint64_t parent = 0, cred = 0;
	uint32_t u;
	const char *what;
	int rc;

	memset(t, 0, sizeof(*t));
	t->addr = task;
#define STEP(w, call) do { what = (w); rc = (call); if (rc) goto fail; } while (0)
	STEP("task_struct.pid", vmi_read_u32(v, task + o->pid, &u));
	t->pid = (int32_t)u;
	STEP("task_struct.tgid", vmi_read_u32(v, task + o->tgid, &u));
	t->tgid = (int32_t)u;
	STEP("task_struct.comm", vmi_read_virt(v, task + o->comm, t->comm, VMI_COMM_LEN));
	t->comm[VMI_COMM_LEN] = 0;
	STEP("task_struct.flags", vmi_read_u32(v, task + o->flags, &t->flags));
	STEP("task_struct.mm", vmi_read_ptr(v, task + o->mm, &t->mm, true));
	if (o->have_state) {
		STEP("task_struct.__state", vmi_read_u32(v, task + o->state, &u));
		t->state = u;
	}
	STEP("task_struct.real_parent", vmi_read_ptr(v, task + o->parent, &parent, true));
	if (parent) {
		STEP("real_parent->tgid", vmi_read_u32(v, parent + o->tgid, &u));
		t->ppid = (int32_t)u;
	}
	if (o->have_cred) {
		STEP("task_struct.cred", vmi_read_ptr(v, task + o->cred, &cred, false));
		STEP("cred.uid", vmi_read_u32(v, cred + o->uid, &t->uid));
	}
#undef STEP
	t->kthread = (t->flags & PF_KTHREAD) || t->mm == 0;
	return VMI_OK;
fail:
	return vmi_context(v, rc, "reading %s of task at 0x%llx", what, (unsigned long long)task);
}

int vmi_task_foreach(struct vmi *v, uint32_t limit, vmi_task_cb cb, void *ctx)
{
	struct task_offs o;
	struct vmi_task t;
	struct vmi_list_iter it;
	uint64_t init, node;
	int rc;

	if ((rc = task_offsets(v, &o)) || (rc = vmi_sym(v, "init_task", &init)))
		return rc;
	if ((rc = read_task(v, &o, init, &t)) || (rc = cb(ctx, &t)))
		return rc;
	vmi_list_init(&it, v, init + o.tasks, limit, VMI_LIST_CHECK_PREV);
	while ((rc = vmi_list_next(&it, &node)) == 1) {
		if ((rc = read_task(v, &o, node - o.tasks, &t)) || (rc = cb(ctx, &t)))
			return rc;
	}
	return rc < 0 ? vmi_context(v, rc, "walking the task list") : VMI_OK;
}

/* -- PIDs: init_pid_ns.idr is an xarray of struct pid pointers ------------------ */

#define XA_MAX_SHIFT 60
#define XA_NODE_BUDGET 4096

struct pid_walk {
	struct vmi *v;
	struct task_offs o;
	uint64_t shift_off, slots_off, pid_tasks, pid_links, numbers, upid_nr;
	uint32_t limit, seen, nodes;
	unsigned chunk;          /* XA_CHUNK_SHIFT: 6, or 4 with CONFIG_BASE_SMALL */
	vmi_task_cb cb;
	void *ctx;
};

static int visit_pid(struct pid_walk *w, uint64_t pid)
{
	struct vmi *v = w->v;
	struct vmi_task t;
	uint64_t first;
	uint32_t nr;
	int rc;

	if (++w->seen > w->limit)
		return vmi_fail(v, VMI_ELIMIT, "more than %u PIDs", w->limit);
	if ((rc = vmi_read_u32(v, pid + w->numbers + w->upid_nr, &nr)) ||
	    (rc = vmi_read_ptr(v, pid + w->pid_tasks, &first, true)))
		return vmi_context(v, rc, "reading struct pid at 0x%llx", (unsigned long long)pid);
	if (first == 0)
		return VMI_OK; /* no task holds this PID any more */
	if ((rc = read_task(v, &w->o, first - w->pid_links, &t)))
		return rc;
	if (t.pid != (int32_t)nr)
		return vmi_fail(v, VMI_ECORRUPT, "struct pid 0x%llx (nr %u) leads to task 0x%llx with pid %d",
				(unsigned long long)pid, nr, (unsigned long long)t.addr, t.pid);
	return w->cb(w->ctx, &t);
}

/* entry: an xarray slot value; expect: the shift a node here must have. */
static int visit_entry(struct pid_walk *w, uint64_t entry, int expect, unsigned depth)
{
	struct vmi *v = w->v;
	unsigned long long e = entry;

	if (entry == 0 || (entry & 1))
		return VMI_OK; /* empty, or a value entry */
	if ((entry & 3) == 0) {
		if (!vmi_is_kva(v, entry))
			return vmi_fail(v, VMI_EBADPTR, "IDR entry 0x%llx is not a kernel address", e);
		return visit_pid(w, entry);
	}
	if (entry < 4096)
		return VMI_OK; /* sibling or retry entry */
	uint64_t node = entry - 2;
	uint8_t shift;
	int rc;
	if (!vmi_is_kptr(v, node))
		return vmi_fail(v, VMI_EBADPTR, "IDR node pointer 0x%llx is not a kernel address", e);
	if (++w->nodes > XA_NODE_BUDGET || depth > XA_MAX_SHIFT / w->chunk + 1)
		return vmi_fail(v, VMI_ELOOP, "IDR: more than %u nodes or too deep at node 0x%llx",
				XA_NODE_BUDGET, (unsigned long long)node);
	if ((rc = vmi_read_virt(v, node + w->shift_off, &shift, 1)))
		return vmi_context(v, rc, "reading IDR node 0x%llx", (unsigned long long)node);
	/* Shifts fall by one chunk per level: no cycles, bounded depth. */
	if (shift % w->chunk || shift > XA_MAX_SHIFT || (expect >= 0 && shift != expect))
		return vmi_fail(v, VMI_ECORRUPT, "IDR node 0x%llx has shift %u, expected %d",
				(unsigned long long)node, shift, expect);
	for (unsigned i = 0; i < (1u << w->chunk); i++) {
		uint64_t slot;
		if ((rc = vmi_read_ulong(v, node + w->slots_off + (uint64_t)v->ptr_size * i, &slot)))
			return vmi_context(v, rc, "reading IDR node 0x%llx", (unsigned long long)node);
		if ((slot & 3) == 2 && slot >= 4096 && shift == 0)
			return vmi_fail(v, VMI_ECORRUPT, "IDR leaf node 0x%llx points to another node",
					(unsigned long long)node);
		if ((rc = visit_entry(w, slot, (int)shift - (int)w->chunk, depth + 1)))
			return rc;
	}
	return VMI_OK;
}

int vmi_pid_foreach(struct vmi *v, uint32_t limit, vmi_task_cb cb, void *ctx)
{
	struct pid_walk w = { .v = v, .limit = limit, .cb = cb, .ctx = ctx };
	uint64_t ns, idr, idr_rt, xa_head, head;
	int rc;

	if ((rc = task_offsets(v, &w.o)) || (rc = vmi_sym(v, "init_pid_ns", &ns)) ||
	    (rc = vmi_field(v, "pid_namespace.idr", &idr)) ||
	    (rc = vmi_field(v, "idr.idr_rt", &idr_rt)) ||
	    (rc = vmi_field(v, "xarray.xa_head", &xa_head)) ||
	    (rc = vmi_field(v, "xa_node.shift", &w.shift_off)) ||
	    (rc = vmi_field(v, "xa_node.slots", &w.slots_off)) ||
	    (rc = vmi_field(v, "pid.tasks", &w.pid_tasks)) ||
	    (rc = vmi_field(v, "pid.numbers", &w.numbers)) ||
	    (rc = vmi_field(v, "upid.nr", &w.upid_nr)) ||
	    (rc = vmi_field(v, "task_struct.pid_links", &w.pid_links)))
		return rc;
	uint64_t chunk = 6;
	if (vmi_const(v, "const.xa_chunk_shift", &chunk) == VMI_OK && (chunk < 2 || chunk > 8))
		return vmi_fail(v, VMI_ECORRUPT, "profile: implausible const.xa_chunk_shift %llu",
				(unsigned long long)chunk);
	w.chunk = (unsigned)chunk;
	if ((rc = vmi_read_ulong(v, ns + idr + idr_rt + xa_head, &head)))
		return vmi_context(v, rc, "reading init_pid_ns.idr");
	rc = visit_entry(&w, head, -1, 0);
	return rc < 0 ? vmi_context(v, rc, "walking the PID IDR") : rc;
}

/* -- modules ------------------------------------------------------------------ */

struct module_offs {
	uint64_t list, name, layout, base, size, state;
	bool range, have_state;
};

static int module_offsets(struct vmi *v, struct module_offs *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = vmi_field(v, "module.list", &o->list)) || (rc = vmi_field(v, "module.name", &o->name)))
		return rc;
	o->range = vmi_field(v, "module.core_layout", &o->layout) == VMI_OK &&
		   vmi_field(v, "module_layout.base", &o->base) == VMI_OK &&
		   vmi_field(v, "module_layout.size", &o->size) == VMI_OK;
	uint64_t mem, text = 0, msize;
	if (!o->range && vmi_field(v, "module.mem", &mem) == VMI_OK && /* 6.4+: mem[MOD_TEXT] */
	    vmi_field(v, "module_memory.base", &o->base) == VMI_OK &&
	    vmi_field(v, "module_memory.size", &o->size) == VMI_OK &&
	    vmi_const(v, "sizeof.module_memory", &msize) == VMI_OK) {
		vmi_const(v, "const.MOD_TEXT", &text);
		o->layout = mem + (text & 0xff) * msize;
		o->range = true;
	}
	o->have_state = vmi_field(v, "module.state", &o->state) == VMI_OK;
	return VMI_OK;
}

static int read_module(struct vmi *v, const struct module_offs *o, uint64_t mod,
		       struct vmi_module *m)
{
	uint32_t sz = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	m->addr = mod;
	rc = vmi_read_virt(v, mod + o->name, m->name, VMI_MODNAME_LEN);
	if (!rc && o->have_state)
		rc = vmi_read_u32(v, mod + o->state, &m->state);
	if (!rc && o->range && !(rc = vmi_read_ptr(v, mod + o->layout + o->base, &m->base, true)))
		rc = vmi_read_u32(v, mod + o->layout + o->size, &sz);
	if (rc)
		return vmi_context(v, rc, "reading module at 0x%llx", (unsigned long long)mod);
	m->size = sz;
	m->name[VMI_MODNAME_LEN] = 0;
	return VMI_OK;
}

int vmi_module_read(struct vmi *v, uint64_t mod, struct vmi_module *m)
{
	struct module_offs o;
	int rc = module_offsets(v, &o);
	if (rc)
		return rc;
	if (!vmi_is_kptr(v, mod))
		return vmi_fail(v, VMI_EBADPTR, "0x%llx is not a struct module", (unsigned long long)mod);
	return read_module(v, &o, mod, m);
}

int vmi_module_foreach(struct vmi *v, uint32_t limit, vmi_module_cb cb, void *ctx)
{
	uint64_t head, node;
	struct module_offs o;
	struct vmi_list_iter it;
	struct vmi_module m;
	int rc;

	if ((rc = vmi_sym(v, "modules", &head)) || (rc = module_offsets(v, &o)))
		return rc;
	vmi_list_init(&it, v, head, limit, VMI_LIST_CHECK_PREV);
	while ((rc = vmi_list_next(&it, &node)) == 1) {
		if ((rc = read_module(v, &o, node - o.list, &m)))
			return rc;
		if ((rc = cb(ctx, &m)))
			return rc;
	}
	return rc < 0 ? vmi_context(v, rc, "walking the module list") : VMI_OK;
}
