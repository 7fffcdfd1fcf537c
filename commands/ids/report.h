/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the IDS scans produce, and who prints it. A scan never writes to a
 * console: it emits typed records (a process, a syscall-table entry, a
 * finding, ...) into a sink. The two reporters (report_text.c for the
 * operator, report_json.c for --json) are the only code that formats them,
 * and the only code that escapes guest-controlled text. Portable C with no
 * hypervisor dependency: built for the host and tested there
 * (tests/vmi/host/report_check.c).
 *
 * Strings in records are either raw (guest bytes, escaped by the reporter)
 * or descriptions composed by the IDS from already escaped names and
 * introspection messages (which quote guest bytes as \xNN): marked "desc"
 * below. The text reporter leaves a desc's backslashes single and still
 * escapes any control byte; JSON escapes both alike.
 */
#ifndef COMMANDS_IDS_REPORT_H
#define COMMANDS_IDS_REPORT_H

#include <mamoru/console.h>
#include <mamoru/types.h>

enum ids_rec_type {
	IDS_REC_BANNER,
	IDS_REC_PROCESS,
	IDS_REC_SYSCALL,
	IDS_REC_MODULE,
	IDS_REC_HOOK,
	IDS_REC_SOCKET,
	IDS_REC_INTEGRITY,
	IDS_REC_FINDING,
	IDS_REC_ELIDED,         /* findings counted but not shown one by one */
	IDS_REC_NOTE,
	IDS_REC_ERROR,
	IDS_REC_PARTIAL,        /* part of a check could not be done (not a finding) */
	IDS_REC_TOTALS,         /* the end of a command: its totals and verdict */
};

/* The commands whose totals the reporters know how to print. */
enum ids_scan {
	IDS_SCAN_BANNER,
	IDS_SCAN_SYSCALL,
	IDS_SCAN_PLIST,
	IDS_SCAN_LSMOD,
	IDS_SCAN_INTEGRITY,
	IDS_SCAN_HOOKS,
	IDS_SCAN_CHECK,
	IDS_SCAN_NET,
};

struct ids_rec_banner {
	const char *text;               /* raw */
	uint64_t slide;
};

struct ids_rec_process {
	int32_t pid, ppid;
	uint32_t uid;
	char state;                     /* ps letter: R S D ... */
	bool kthread;
	const char *name;               /* raw (comm) */
	uint64_t task;                  /* the task_struct's address */
	const char *finding;            /* desc; NULL for a plain listing row */
};

struct ids_rec_syscall {
	const char *table;              /* "sys_call_table", "compat_sys_call_table" */
	bool compat;
	uint64_t nr, addr;
	const char *symbol;             /* raw; "?" when not kernel text */
	bool in_text;                   /* the handler is in kernel text */
	bool differs;                   /* not the handler the profile recorded */
	const char *owner;              /* raw module name owning addr, or NULL */
	bool owner_hidden;              /* ... hidden from the module list */
	const char *expected;           /* raw symbol of the recorded handler, or NULL */
};

struct ids_rec_module {
	const char *name;               /* raw */
	uint64_t base, size, addr;
};

struct ids_rec_hook {
	const char *kind;               /* "kprobe", "ftrace" */
	uint64_t object;                /* the struct kprobe / ftrace_ops */
	const char *target;             /* desc: what is hooked */
	const char *handler;            /* desc: where the handler is */
	bool hidden;                    /* no listed module owns the handler */
};

struct ids_rec_socket {
	const char *proto;              /* "tcp", "tcp6", "udp", "udp6" */
	const char *laddr, *raddr;      /* as netstat prints them: "0.0.0.0", "::" */
	uint16_t lport, rport;          /* 0: "*" */
	const char *state;              /* "LISTEN", "ESTABLISHED", ... */
	int32_t pid;                    /* the owner (a process with the socket open), 0: none found */
	const char *name;               /* raw (the owner's comm), NULL with pid 0 */
	uint64_t sk;                    /* the struct sock */
	const char *hidden;             /* desc: why netstat may not show it ("HIDDEN?: its
					 * /proc/net file is hooked", "HIDDEN: unlinked"), or NULL */
	const char *info;               /* desc: a remark that is no finding, or NULL */
};

struct ids_rec_integrity {
	const char *region;             /* "text", "vectors", "rodata" */
	uint64_t addr;
	const char *at, *now, *kind;    /* desc */
};

struct ids_rec_finding {
	const char *check;              /* desc: "kernel", "module x at 0x..." */
	const char *text;               /* desc */
};

struct ids_rec_elided {
	const char *check;
	unsigned count;
};

struct ids_totals {
	enum ids_scan scan;
	unsigned findings;              /* all of the command's findings */
	int count;                      /* what the text line counts (per scan) */
	bool hidden;                    /* plist: --hidden was asked */
	uint64_t text_bytes, rodata_bytes, pages;   /* integrity */
	uint64_t stopped_us;            /* how long the guest was held */
	unsigned partial;               /* checks done only in part (IDS_REC_PARTIAL records) */
};

struct ids_record {
	enum ids_rec_type type;
	unsigned findings;              /* how many findings this record is (0: information) */
	union {
		struct ids_rec_banner banner;
		struct ids_rec_process process;
		struct ids_rec_syscall syscall;
		struct ids_rec_module module;
		struct ids_rec_hook hook;
		struct ids_rec_socket socket;
		struct ids_rec_integrity integrity;
		struct ids_rec_finding finding;  /* also IDS_REC_PARTIAL: check and what was left out */
		struct ids_rec_elided elided;
		const char *note;       /* desc (IDS_REC_NOTE) */
		const char *error;      /* desc (IDS_REC_ERROR) */
		struct ids_totals totals;
	};
};

/* Where records go. */
struct ids_sink {
	void (*emit)(struct ids_sink *sink, const struct ids_record *rec);
};

/* The text reporter (one line per record; a column header before the
 * first row of a listing) or the JSON one (one object per line). With
 * check, the records are the findings of `ids check`/`ids watch`: each
 * becomes a "finding: ..." line. */
struct ids_reporter {
	struct ids_sink sink;
	struct console *con;
	const char *guest;
	bool check;
	unsigned addr_digits;           /* text: hex digits of a guest address (2 x pointer size) */
	enum ids_rec_type header;       /* text: the listing whose header is printed */
	bool have_header;
};

void ids_reporter_init(struct ids_reporter *r, struct console *con, bool json, bool check,
		       const char *guest);

/* Used by the reporters. */
void ids_report_text(struct ids_sink *sink, const struct ids_record *rec);
void ids_report_json(struct ids_sink *sink, const struct ids_record *rec);
/* s escaped for the terminal (flags: ESC_*), written in pieces; returns
 * the number of bytes written. */
size_t ids_put_escaped(struct console *con, const char *s, unsigned flags);

#endif
