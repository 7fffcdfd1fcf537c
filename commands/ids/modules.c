/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids lsmod`: the guest's loaded kernel modules (the module list), and the
 * module check: a module that unlinked itself from the list still has its
 * sysfs object (/sys/module/<name>, module_kset), so the two are compared.
 * Also who owns an address outside kernel text, for the other checks: a
 * listed module, or one hidden from the list but found through sysfs.
 */
#include <mamoru/libc.h>

#include "ids.h"

#define MAX_MODULES 256

struct module_range {
	char name[VMI_MODNAME_LEN + 1];
	uint64_t addr, base, size;
	uint32_t state;
	bool in_sysfs;
	bool hidden;           /* not on the list; found through sysfs */
};

static struct module_range modules[MAX_MODULES];
static unsigned nmodules;
static bool modules_truncated;
static int list_status, sysfs_status;       /* VMI_OK, or the walk's error */
static char list_error[VMI_ERR_LEN], sysfs_error[VMI_ERR_LEN];

static struct module_range *add(const struct vmi_module *m, bool hidden)
{
	if (nmodules == MAX_MODULES) {
		modules_truncated = true;
		return NULL;
	}
	struct module_range *r = &modules[nmodules++];
	memcpy(r->name, m->name, sizeof(r->name));
	r->addr = m->addr;
	r->base = m->base;
	r->size = m->size;
	r->state = m->state;
	r->in_sysfs = hidden;
	r->hidden = hidden;
	return r;
}

static int add_listed(void *ctx, const struct vmi_module *m)
{
	(void)ctx;
	add(m, false);
	return 0;
}

static int add_sysfs(void *ctx, const struct vmi_sysfs_module *sm)
{
	struct vmi *v = ctx;
	if (!sm->mod)
		return 0;                /* built-in code with parameters only */
	for (unsigned i = 0; i < nmodules; i++)
		if (modules[i].addr == sm->mod) {
			modules[i].in_sysfs = true;
			return 0;
		}
	/* Not on the list: read the struct module its sysfs object points at. */
	struct vmi_module m;
	if (vmi_module_read(v, sm->mod, &m) != VMI_OK) {
		memset(&m, 0, sizeof(m));
		m.addr = sm->mod;
		memcpy(m.name, sm->name, sizeof(m.name));
	}
	add(&m, true);
	return 0;
}

int ids_module_ranges(struct ids_session *s)
{
	uint64_t unused;
	nmodules = 0;
	modules_truncated = false;
	list_status = vmi_module_foreach(s->vmi, IDS_MODULE_LIMIT, add_listed, NULL);
	if (list_status < 0)
		memcpy(list_error, s->vmi->err, sizeof(list_error));
	sysfs_status = VMI_OK;
	if (vmi_sym(s->vmi, "module_kset", &unused) == VMI_OK) {
		sysfs_status = vmi_sysfs_module_foreach(s->vmi, IDS_MODULE_LIMIT * 8, add_sysfs, s->vmi);
		if (sysfs_status < 0)
			memcpy(sysfs_error, s->vmi->err, sizeof(sysfs_error));
	}
	return list_status < 0 ? -1 : 0;
}

const char *ids_module_of(uint64_t addr, bool *hidden)
{
	for (unsigned i = 0; i < nmodules; i++)
		if (modules[i].size && addr >= modules[i].base && addr - modules[i].base < modules[i].size) {
			if (hidden)
				*hidden = modules[i].hidden;
			return modules[i].name;
		}
	return NULL;
}

void ids_describe_addr(struct ids_session *s, uint64_t addr, char *buf, size_t size)
{
	uint64_t text_start, text_end;
	char name[4 * VMI_MODNAME_LEN + 1];
	bool hidden = false;
	if (vmi_sym(s->vmi, "_stext", &text_start) == VMI_OK && vmi_sym(s->vmi, "_etext", &text_end) == VMI_OK &&
	    addr >= text_start && addr < text_end && vmi_symbolize(s->vmi, addr, buf, size) == VMI_OK)
		return;
	const char *mod = ids_module_of(addr, &hidden);
	if (mod) {
		str_escape(name, sizeof(name), mod, VMI_MODNAME_LEN, 0);
		m_snprintf(buf, size, "0x%llx in module %s%s", (unsigned long long)addr, name,
			   hidden ? " (hidden from the module list)" : "");
	} else {
		m_snprintf(buf, size, "0x%llx in memory no listed module owns", (unsigned long long)addr);
	}
}

/* "module <escaped name> at 0x..." */
static void module_label(char *buf, size_t size, const struct module_range *m)
{
	int n = m_snprintf(buf, size, "module ");
	n += (int)str_escape(buf + n, size - (size_t)n, m->name, VMI_MODNAME_LEN, 0);
	m_snprintf(buf + n, size - (size_t)n, " at 0x%llx", (unsigned long long)m->addr);
}

int ids_scan_modules(struct ids_session *s)
{
	unsigned before = s->findings;
	char label[4 * VMI_MODNAME_LEN + 48];
	ids_module_ranges(s);
	if (list_status < 0)
		ids_finding(s, "modules", "TAMPERED: walking the module list: %s", list_error);
	if (sysfs_status < 0)
		ids_finding(s, "modules", "TAMPERED: walking /sys/module (module_kset): %s", sysfs_error);
	if (modules_truncated) {
		ids_finding(s, "modules", "TAMPERED: more than %d modules", MAX_MODULES);
		return (int)(s->findings - before);
	}
	for (unsigned i = 0; i < nmodules; i++) {
		const struct module_range *m = &modules[i];
		module_label(label, sizeof(label), m);
		if (m->hidden)
			ids_finding(s, label, "HIDDEN (not in the module list; its sysfs object remains)");
		else if (!m->in_sysfs && m->state == VMI_MODULE_LIVE && list_status >= 0 && sysfs_status >= 0)
			ids_finding(s, label, "in the module list but not in /sys/module");
	}
	return (int)(s->findings - before);
}

/* -- ids lsmod ---------------------------------------------------------------------- */

int ids_run_lsmod(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	(void)a;
	ids_module_ranges(s);
	int listed = 0;
	for (unsigned i = 0; i < nmodules; i++) {
		const struct module_range *m = &modules[i];
		if (m->hidden)
			continue;
		struct ids_record rec = {.type = IDS_REC_MODULE, .module = {
			.name = m->name, .base = m->base, .size = m->size, .addr = m->addr}};
		ids_emit(s, &rec);
		listed++;
	}
	ids_scan_modules(s);
	t->count = listed;
	return CMD_OK;
}
