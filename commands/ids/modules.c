/*
 * `ids lsmod`: the guest's loaded kernel modules (the module list), and the
 * module check: a module that unlinked itself from the list still has its
 * sysfs object (/sys/module/<name>, module_kset), so the two are compared.
 * Also who owns an address outside kernel text, for the other checks.
 */
#include <mamoru/libc.h>

#include "ids.h"

#define MAX_MODULES 256

struct module_range {
	char name[VMI_MODNAME_LEN + 1];
	uint64_t addr, base, size;
	uint32_t state;
	bool in_sysfs;
};

static struct module_range modules[MAX_MODULES];
static unsigned nmodules;
static bool modules_truncated;

static int add_module(void *ctx, const struct vmi_module *m)
{
	(void)ctx;
	if (nmodules == MAX_MODULES) {
		modules_truncated = true;
		return 0;
	}
	struct module_range *r = &modules[nmodules++];
	memcpy(r->name, m->name, sizeof(r->name));
	r->addr = m->addr;
	r->base = m->base;
	r->size = m->size;
	r->state = m->state;
	r->in_sysfs = false;
	return 0;
}

int ids_module_ranges(struct ids_session *s)
{
	nmodules = 0;
	modules_truncated = false;
	return vmi_module_foreach(s->vmi, IDS_MODULE_LIMIT, add_module, NULL) < 0 ? -1 : 0;
}

const char *ids_module_of(uint64_t addr)
{
	for (unsigned i = 0; i < nmodules; i++)
		if (modules[i].size && addr >= modules[i].base && addr - modules[i].base < modules[i].size)
			return modules[i].name;
	return NULL;
}

void ids_describe_addr(struct ids_session *s, uint64_t addr, char *buf, size_t size)
{
	uint64_t text_start, text_end;
	char name[4 * VMI_MODNAME_LEN + 1];
	if (vmi_sym(s->vmi, "_stext", &text_start) == VMI_OK && vmi_sym(s->vmi, "_etext", &text_end) == VMI_OK &&
	    addr >= text_start && addr < text_end && vmi_symbolize(s->vmi, addr, buf, size) == VMI_OK)
		return;
	const char *mod = ids_module_of(addr);
	if (mod) {
		str_escape(name, sizeof(name), mod, VMI_MODNAME_LEN, 0);
		m_snprintf(buf, size, "0x%llx in module %s", (unsigned long long)addr, name);
	} else {
		m_snprintf(buf, size, "0x%llx in memory no listed module owns", (unsigned long long)addr);
	}
}

/* -- sysfs cross-check ---------------------------------------------------------- */

struct sysfs_ctx {
	struct ids_session *s;
	bool quiet;
	int hidden;
};

static int sysfs_module(void *ctx, const struct vmi_sysfs_module *m)
{
	struct sysfs_ctx *c = ctx;
	if (!m->mod)
		return 0;                /* built-in code with parameters only */
	for (unsigned i = 0; i < nmodules; i++)
		if (modules[i].addr == m->mod) {
			modules[i].in_sysfs = true;
			return 0;
		}
	if (modules_truncated)
		return 0;
	char check[4 * VMI_MODNAME_LEN + 48];
	int n = m_snprintf(check, sizeof(check), "module ");
	n += (int)str_escape(check + n, sizeof(check) - (size_t)n, m->name, VMI_MODNAME_LEN, 0);
	m_snprintf(check + n, sizeof(check) - (size_t)n, " at 0x%llx", (unsigned long long)m->mod);
	ids_finding(c->s, check, "HIDDEN (not in the module list; its sysfs object remains)");
	c->hidden++;
	return 0;
}

int ids_scan_modules(struct ids_session *s, bool quiet)
{
	unsigned before = s->findings;
	(void)quiet;
	if (ids_module_ranges(s)) {
		ids_tampered(s, "modules", "walking the module list");
		return (int)(s->findings - before);
	}
	if (modules_truncated)
		ids_finding(s, "modules", "TAMPERED: more than %d modules on the list", MAX_MODULES);
	struct sysfs_ctx c = {.s = s, .quiet = quiet};
	uint64_t unused;
	if (vmi_sym(s->vmi, "module_kset", &unused) != VMI_OK)
		return (int)(s->findings - before);     /* a kernel without sysfs modules */
	if (vmi_sysfs_module_foreach(s->vmi, IDS_MODULE_LIMIT * 8, sysfs_module, &c) < 0) {
		ids_tampered(s, "modules", "walking /sys/module (module_kset)");
		return (int)(s->findings - before);
	}
	/* The other way round: a live module the list has but sysfs does not. */
	for (unsigned i = 0; i < nmodules && !modules_truncated; i++) {
		if (modules[i].in_sysfs || modules[i].state != VMI_MODULE_LIVE)
			continue;
		char check[4 * VMI_MODNAME_LEN + 48];
		int n = m_snprintf(check, sizeof(check), "module ");
		n += (int)str_escape(check + n, sizeof(check) - (size_t)n, modules[i].name, VMI_MODNAME_LEN, 0);
		m_snprintf(check + n, sizeof(check) - (size_t)n, " at 0x%llx", (unsigned long long)modules[i].addr);
		ids_finding(s, check, "in the module list but not in /sys/module");
	}
	return (int)(s->findings - before);
}

/* -- ids lsmod ---------------------------------------------------------------------- */

static void print_module(struct ids_session *s, const struct module_range *m)
{
	struct console *con = s->con;
	if (s->json) {
		con_printf(con, "{\"type\":\"module\",\"guest\":\"%s\",\"name\":", s->g->name);
		ids_json_str(con, m->name);
		con_printf(con, ",\"base\":\"0x%llx\",\"size\":%llu,\"addr\":\"0x%llx\"}\n",
			   (unsigned long long)m->base, (unsigned long long)m->size,
			   (unsigned long long)m->addr);
	} else {
		char name[4 * VMI_MODNAME_LEN + 1];
		str_escape(name, sizeof(name), m->name, VMI_MODNAME_LEN, 0);
		con_printf(con, "%-24s 0x%016llx %10llu\n", name, (unsigned long long)m->base,
			   (unsigned long long)m->size);
	}
}

int ids_lsmod(struct console *con, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;
	if (ids_parse(argc, argv, 0, &a))
		return CMD_USAGE;
	if (ids_open(&s, con, &a))
		return CMD_FAIL;
	if (ids_module_ranges(&s)) {
		ids_tampered(&s, "modules", "walking the module list");
		ids_close(&s, "lsmod");
		return CMD_OK;
	}
	if (!s.json)
		con_printf(con, "%-24s %-18s %10s\n", "NAME", "BASE", "SIZE");
	for (unsigned i = 0; i < nmodules; i++)
		print_module(&s, &modules[i]);
	if (!s.json)
		con_printf(con, "%u module(s)\n", nmodules);
	ids_scan_modules(&s, false);
	ids_close(&s, "lsmod");
	return CMD_OK;
}
