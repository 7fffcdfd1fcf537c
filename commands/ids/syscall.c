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

static void scan_table(struct ids_session *s, const struct table *t, bool only_flagged, uint64_t text_start,
		      uint64_t text_end)
{
	uint64_t table, entries;
	if (vmi_sym(s->vmi, t->symbol, &table))
		return;                          /* this kernel has no such table */
	if (profile_value(s->prof, t->count_key, &entries) || entries == 0 || entries > 4096) {
		ids_finding(s, "syscall", "%s not checked: the profile does not record its layout "
			    "(rebuild it with ./mamoru profile)", t->symbol);
		return;
	}
	for (uint64_t nr = 0; nr < entries; nr++) {
		uint64_t handler, expected_link;
		char key[24], sym[96], expected[96] = "";
		if (vmi_read_ulong(s->vmi, table + s->vmi->ptr_size * nr, &handler)) {
			/* The table is in the kernel image: unreadable means remapped. */
			char doing[64];
			m_snprintf(doing, sizeof(doing), "reading %s[%llu]", t->symbol,
				   (unsigned long long)nr);
			ids_tampered(s, "syscall", doing);
			return;
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
		if (only_flagged && !flagged)
			continue;
		struct ids_record rec = {.type = IDS_REC_SYSCALL, .findings = flagged, .syscall = {
			.table = t->symbol, .compat = t->prefix[0] == 'c', .nr = nr, .addr = handler,
			.symbol = sym, .in_text = in_text, .differs = differs,
			.expected = have_expected ? expected : NULL,
		}};
		if (!in_text)
			rec.syscall.owner = ids_module_of(handler, &rec.syscall.owner_hidden);
		ids_emit(s, &rec);
	}
}

int ids_scan_syscalls(struct ids_session *s, bool only_flagged)
{
	uint64_t text_start, text_end;
	unsigned before = s->findings;
	if (vmi_sym(s->vmi, "_stext", &text_start) || vmi_sym(s->vmi, "_etext", &text_end)) {
		ids_finding(s, "syscall", "not checked: %s", vmi_error(s->vmi));
		return 1;
	}
	/* Attribution only: a broken module list is reported by the module check. */
	ids_module_ranges(s);
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		scan_table(s, &tables[i], only_flagged, text_start, text_end);
	return (int)(s->findings - before);
}

int ids_run_syscall(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	(void)t;
	ids_scan_syscalls(s, a->hooked);
	return CMD_OK;
}
