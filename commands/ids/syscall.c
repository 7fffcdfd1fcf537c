/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids syscall`: every entry of the system call tables, with the symbol it
 * points to. An entry is flagged when it points outside kernel text (into a
 * module, or into memory no listed module owns: a hidden one) or differs
 * from the handler the profile recorded for that slot at build time.
 */
#include <mamoru/libc.h>

#include "ids.h"

struct table {
	const char *symbol;     /* kernel symbol of the table */
	const char *prefix;     /* profile keys of the expected handlers */
	const char *count_key;
};

static const struct table tables[] = {
	{"sys_call_table", "sct", "const.sct_entries"},
	{"compat_sys_call_table", "csct", "const.csct_entries"},
};

static int scan_table(struct ids_session *s, const struct table *t, bool only_flagged, bool quiet,
		      uint64_t text_start, uint64_t text_end)
{
	struct console *con = s->con;
	uint64_t table, entries;
	if (vmi_sym(s->vmi, t->symbol, &table))
		return 0;                          /* this kernel has no such table */
	if (profile_value(s->prof, t->count_key, &entries) || entries == 0 || entries > 4096) {
		ids_finding(s, "syscall", "%s not checked: the profile does not record its layout "
			    "(rebuild it with ./mamoru profile)", t->symbol);
		return 0;
	}
	int findings = 0;
	for (uint64_t nr = 0; nr < entries; nr++) {
		uint64_t handler, expected_link;
		char key[24], sym[96], expected[96] = "";
		if (vmi_read_u64(s->vmi, table + 8 * nr, &handler)) {
			/* The table is in the kernel image: unreadable means remapped. */
			char doing[64];
			m_snprintf(doing, sizeof(doing), "reading %s[%llu]", t->symbol,
				   (unsigned long long)nr);
			ids_tampered(s, "syscall", doing);
			return findings;
		}
		m_snprintf(key, sizeof(key), "%s.%llu", t->prefix, (unsigned long long)nr);
		bool have_expected = profile_value(s->prof, key, &expected_link) == 0;
		uint64_t expected_addr = expected_link + s->vmi->slide;
		if (have_expected)
			vmi_symbolize(s->vmi, expected_addr, expected, sizeof(expected));
		bool in_text = handler >= text_start && handler < text_end;
		if (!in_text || vmi_symbolize(s->vmi, handler, sym, sizeof(sym)))
			m_snprintf(sym, sizeof(sym), "?");
		bool differs = have_expected && handler != expected_addr;
		bool flagged = !in_text || differs;
		bool hidden = false;
		const char *mod = in_text ? NULL : ids_module_of(handler, &hidden);
		if (flagged)
			findings++;
		if ((only_flagged || quiet) && !flagged)
			continue;
		if (s->json) {
			con_printf(con, "{\"type\":\"syscall\",\"guest\":\"%s\",\"table\":\"%s\",\"nr\":%llu,"
				   "\"addr\":\"0x%llx\",\"symbol\":", s->g->name, t->symbol,
				   (unsigned long long)nr, (unsigned long long)handler);
			ids_json_str(con, sym);
			con_printf(con, ",\"flagged\":%s,\"in_text\":%s", flagged ? "true" : "false",
				   in_text ? "true" : "false");
			if (!in_text) {
				con_printf(con, ",\"owner\":");
				ids_json_str(con, mod ? mod : "unknown");
				con_printf(con, ",\"owner_hidden\":%s", hidden ? "true" : "false");
			}
			if (have_expected) {
				con_printf(con, ",\"expected\":");
				ids_json_str(con, expected);
			}
			con_printf(con, "}\n");
			continue;
		}
		const char *label = quiet ? "finding: syscall " : "";
		con_printf(con, "%s%s%4llu 0x%016llx %s", label, t->prefix[0] == 'c' ? "compat " : "",
			   (unsigned long long)nr, (unsigned long long)handler, sym);
		if (!in_text) {
			con_printf(con, "  HOOKED: outside kernel text, in %s", mod ? "module " : "");
			ids_text_str(con, mod ? mod : "memory no listed module owns");
			if (hidden)
				con_printf(con, " (hidden from the module list)");
		} else if (differs) {
			con_printf(con, "  HOOKED: not the handler this kernel was built with");
		}
		if (flagged && have_expected)
			con_printf(con, " (expected %s)", expected);
		con_printf(con, "\n");
	}
	return findings;
}

int ids_scan_syscalls(struct ids_session *s, bool only_flagged, bool quiet)
{
	uint64_t text_start, text_end;
	unsigned before = s->findings;
	if (vmi_sym(s->vmi, "_stext", &text_start) || vmi_sym(s->vmi, "_etext", &text_end)) {
		ids_finding(s, "syscall", "not checked: %s", vmi_error(s->vmi));
		return 1;
	}
	/* Attribution only: a broken module list is reported by the module check. */
	ids_module_ranges(s);
	int flagged = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		flagged += scan_table(s, &tables[i], only_flagged, quiet, text_start, text_end);
	s->findings += (unsigned)flagged;
	return (int)(s->findings - before);
}

int ids_syscall(struct console *con, int argc, char **argv)
{
	struct ids_args a;
	struct ids_session s;
	if (ids_parse(argc, argv, IDS_OPT_HOOKED, &a))
		return CMD_USAGE;
	if (ids_open(&s, con, &a))
		return CMD_FAIL;
	int n = ids_scan_syscalls(&s, a.hooked, false);
	if (!s.json)
		con_printf(con, "%d hooked entr%s\n", n, n == 1 ? "y" : "ies");
	ids_close(&s, "syscall");
	return CMD_OK;
}
