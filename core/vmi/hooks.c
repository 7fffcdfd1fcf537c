/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Walks for what rootkits use and hide behind: the sysfs module objects
 * (left in place by a module that unlinks itself from the module list),
 * registered kprobes (kprobe_table's hash chains) and ftrace callbacks
 * (ftrace_ops_list). Bounded and checked like every other walk: a limit on
 * nodes in total, every pointer a kernel address, every read confined.
 */
#include <mamoru/libc.h>
#include <mamoru/vmi/vmi.h>

#define KPROBE_TABLE_MAX 4096

int vmi_sysfs_module_foreach(struct vmi *v, uint32_t limit, vmi_sysfs_module_cb cb, void *ctx)
{
	uint64_t kset_ptr, kset, list, entry, name, mkobj_mod, node;
	struct vmi_list_iter it;
	int rc;

	if ((rc = vmi_sym(v, "module_kset", &kset_ptr)) || (rc = vmi_field(v, "kset.list", &list)) ||
	    (rc = vmi_field(v, "kobject.entry", &entry)) || (rc = vmi_field(v, "kobject.name", &name)) ||
	    (rc = vmi_field(v, "module_kobject.mod", &mkobj_mod)))
		return rc;
	if ((rc = vmi_read_ptr(v, kset_ptr, &kset, false)))
		return vmi_context(v, rc, "reading module_kset");
	vmi_list_init(&it, v, kset + list, limit, VMI_LIST_CHECK_PREV);
	while ((rc = vmi_list_next(&it, &node)) == 1) {
		struct vmi_sysfs_module m;
		uint64_t namep;
		memset(&m, 0, sizeof(m));
		m.kobj = node - entry;
		/* module_kobject starts with its kobject. */
		rc = vmi_read_ptr(v, m.kobj + name, &namep, true);
		if (!rc && namep) {
			rc = vmi_read_str(v, namep, m.name, sizeof(m.name));
			if (rc == VMI_ETRUNC)
				rc = VMI_OK;
		}
		if (!rc)
			rc = vmi_read_ptr(v, m.kobj + mkobj_mod, &m.mod, true);
		if (rc)
			return vmi_context(v, rc, "reading the sysfs object of a module at 0x%llx",
					   (unsigned long long)m.kobj);
		if ((rc = cb(ctx, &m)))
			return rc;
	}
	return rc < 0 ? vmi_context(v, rc, "walking module_kset's list") : VMI_OK;
}

int vmi_kprobe_foreach(struct vmi *v, uint32_t limit, vmi_kprobe_cb cb, void *ctx)
{
	uint64_t table, buckets, hlist, addr, pre, post, flags;
	uint32_t seen = 0;
	int rc;

	if ((rc = vmi_sym(v, "kprobe_table", &table)) ||
	    (rc = vmi_const(v, "const.kprobe_table_size", &buckets)) ||
	    (rc = vmi_field(v, "kprobe.hlist", &hlist)) || (rc = vmi_field(v, "kprobe.addr", &addr)) ||
	    (rc = vmi_field(v, "kprobe.pre_handler", &pre)) ||
	    (rc = vmi_field(v, "kprobe.post_handler", &post)) ||
	    (rc = vmi_field(v, "kprobe.flags", &flags)))
		return rc;
	if (buckets == 0 || buckets > KPROBE_TABLE_MAX)
		return vmi_fail(v, VMI_ENOKEY, "the profile's kprobe_table_size %llu is implausible",
				(unsigned long long)buckets);
	for (uint64_t b = 0; b < buckets; b++) {
		uint64_t node;
		if ((rc = vmi_read_ptr(v, table + (uint64_t)v->ptr_size * b, &node, true)))
			return vmi_context(v, rc, "reading kprobe_table[%llu]", (unsigned long long)b);
		/* hlist: first, then node->next until NULL; pprev is not checked. */
		while (node) {
			struct vmi_kprobe k;
			if (++seen > limit)
				return vmi_fail(v, VMI_ELIMIT, "kprobe_table holds more than %u kprobes "
						"(or a chain loops)", limit);
			memset(&k, 0, sizeof(k));
			k.addr = node - hlist;
			rc = vmi_read_ptr(v, k.addr + addr, &k.target, true);
			if (!rc)
				rc = vmi_read_ptr(v, k.addr + pre, &k.pre_handler, true);
			if (!rc)
				rc = vmi_read_ptr(v, k.addr + post, &k.post_handler, true);
			if (!rc)
				rc = vmi_read_u32(v, k.addr + flags, &k.flags);
			if (!rc)
				rc = vmi_read_ptr(v, node, &node, true);   /* hlist_node.next */
			if (rc)
				return vmi_context(v, rc, "reading the kprobe at 0x%llx in bucket %llu",
						   (unsigned long long)k.addr, (unsigned long long)b);
			if ((rc = cb(ctx, &k)))
				return rc;
		}
	}
	return VMI_OK;
}

int vmi_ftrace_foreach(struct vmi *v, uint32_t limit, vmi_ftrace_cb cb, void *ctx)
{
	uint64_t list, end, next_off, func, flags, ops;
	int rc;

	if ((rc = vmi_sym(v, "ftrace_ops_list", &list)) || (rc = vmi_sym(v, "ftrace_list_end", &end)) ||
	    (rc = vmi_field(v, "ftrace_ops.next", &next_off)) ||
	    (rc = vmi_field(v, "ftrace_ops.func", &func)) ||
	    (rc = vmi_field(v, "ftrace_ops.flags", &flags)))
		return rc;
	if ((rc = vmi_read_ptr(v, list, &ops, false)))
		return vmi_context(v, rc, "reading ftrace_ops_list");
	for (uint32_t n = 0; ops != end; n++) {
		struct vmi_ftrace_ops o = {.addr = ops};
		if (n == limit)
			return vmi_fail(v, VMI_ELIMIT, "ftrace_ops_list holds more than %u entries "
					"(or loops)", limit);
		rc = vmi_read_ptr(v, ops + func, &o.func, true);
		if (!rc)
			rc = vmi_read_ulong(v, ops + flags, &o.flags);
		if (!rc)
			rc = vmi_read_ptr(v, ops + next_off, &ops, false);
		if (rc)
			return vmi_context(v, rc, "reading the ftrace_ops at 0x%llx",
					   (unsigned long long)o.addr);
		if ((rc = cb(ctx, &o)))
			return rc;
	}
	return VMI_OK;
}
