/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IDS commands: each reads the guest kernel through the introspection
 * API (core/vmi) while the guest is stopped (commands run between guest
 * time slices, so the guest cannot change anything during a scan).
 */
#ifndef COMMANDS_IDS_H
#define COMMANDS_IDS_H

#include <mamoru/command.h>
#include <mamoru/guest.h>
#include <mamoru/vmi/profile.h>
#include <mamoru/vmi/vmi.h>

#define IDS_TASK_LIMIT 32768      /* hard bound on any walk over guest lists */
#define IDS_MODULE_LIMIT 1024

struct ids_session {
	struct console *con;
	struct guest *g;
	const struct profile *prof;
	struct vmi *vmi;
	struct vmi_bank bank;
	bool json;
	bool located;        /* the kernel's slide is known: checks can read it */
	uint64_t started_ns;
	unsigned findings;
};

/* Parsed `ids <sub> [guest] [--flag ...]` arguments. */
struct ids_args {
	const char *guest;
	bool json, hooked, hidden;
};

#define IDS_OPT_HOOKED 1u
#define IDS_OPT_HIDDEN 2u

/* ids_open's results. */
#define IDS_OPEN_OK 0
#define IDS_OPEN_TAMPERED 1     /* the kernel could not be located: a finding */
#define IDS_CANNOT_CHECK (-1)   /* no such guest, not running, no profile */

/* Fills a from argv (argv[0] is the subcommand); returns -1 on an unknown
 * or misplaced option (the caller returns CMD_USAGE). allowed: IDS_OPT_*
 * flags the subcommand accepts besides --json. */
int ids_parse(int argc, char **argv, unsigned allowed, struct ids_args *a);
/* Finds the guest, loads its profile, reads its vCPU state and locates the
 * kernel (KASLR). Anchors that disagree are printed as findings. Returns
 * IDS_OPEN_OK; IDS_OPEN_TAMPERED when the guest runs but its kernel cannot
 * be located (printed as a finding, counted); IDS_CANNOT_CHECK after a
 * clear error when there is nothing to inspect. */
int ids_open(struct ids_session *s, struct console *con, const struct ids_args *a);
/* Ends a scan: in JSON mode prints a summary object with the time the
 * guest was held. */
void ids_close(struct ids_session *s, const char *what);
/* Prints an error with the introspection library's explanation. */
int ids_error(struct ids_session *s, const char *doing);
/* Writes s as a JSON string literal (quotes and escapes included). */
void ids_json_str(struct console *con, const char *s);
/* Writes guest-controlled text for a terminal (see str_escape). */
void ids_text_str(struct console *con, const char *s);

/* Reports one finding of a check ("finding: <check>: <text>", or a JSON
 * object {"type":"finding","check":...,"finding":...}) and counts it. */
void ids_finding(struct ids_session *s, const char *check, const char *fmt, ...) __printf(3, 4);
/* A check that could not run because guest data is not what the kernel
 * keeps there: "finding: <check>: TAMPERED: <doing>: <library error>". */
void ids_tampered(struct ids_session *s, const char *check, const char *doing);

/* The subcommands. */
int ids_banner(struct console *con, int argc, char **argv);
int ids_syscall(struct console *con, int argc, char **argv);
int ids_plist(struct console *con, int argc, char **argv);
int ids_lsmod(struct console *con, int argc, char **argv);
int ids_check(struct console *con, int argc, char **argv);
int ids_watch(struct console *con, int argc, char **argv);
int ids_hooks(struct console *con, int argc, char **argv);
int ids_protect(struct console *con, int argc, char **argv);

/* Every check of `ids check` on an opened session (ids_open's result in
 * opened): findings printed (quietly) on s->con; returns their number.
 * What stops a check is itself a finding: this never fails. */
int ids_run_checks(struct ids_session *s, int opened);

/* Checks shared by the commands and `ids check`; each returns the number
 * of findings it reported (guest data that stops it counts as one). With
 * quiet, only findings are printed (as "finding: ..." lines or JSON). */
int ids_scan_syscalls(struct ids_session *s, bool only_flagged, bool quiet);
int ids_scan_tasks(struct ids_session *s, bool hidden, bool quiet);
int ids_scan_modules(struct ids_session *s, bool quiet);
int ids_scan_hooks(struct ids_session *s, bool quiet);

/* Who owns a kernel address outside kernel text: a module's name (hidden
 * set when it is not on the module list but found through sysfs), or NULL
 * (memory no module owns). ids_module_ranges() reads the module list and
 * sysfs first; it returns -1 if the list cannot be walked. */
int ids_module_ranges(struct ids_session *s);
const char *ids_module_of(uint64_t addr, bool *hidden);
/* "symbol+0xoff" for kernel text, "module <name>" or "memory no listed
 * module owns" elsewhere. */
void ids_describe_addr(struct ids_session *s, uint64_t addr, char *buf, size_t size);
/* Kernel text/rodata against the bundle's Image (commands/ids/integrity.c);
 * in_check: syscall-table slots are left to ids_scan_syscalls. */
int ids_integrity(struct console *con, int argc, char **argv);
int ids_scan_integrity(struct ids_session *s, bool in_check);

#endif
