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

#include "report.h"

#define IDS_MODULE_LIMIT 1024

struct ids_session {
	struct guest *g;
	const struct profile *prof;
	struct vmi *vmi;
	struct vmi_bank bank;
	struct ids_reporter rep;  /* where the records go (text or JSON) */
	struct ids_sink *sink;
	bool located;        /* the kernel's slide is known: checks can read it */
	uint64_t started_ns;
	unsigned findings;   /* findings emitted so far */
	unsigned partial;    /* warnings that a check was done only in part */
};

/* Parsed `ids <sub> [guest] [--flag ...]` arguments. */
struct ids_args {
	const char *guest;
	bool json, hooked, hidden;
	bool check;          /* report as `ids check` does: findings only */
	bool tasks;          /* reads the task list or the PID table: ids_open waits until the
			      * guest is not changing them (docs/ids.md, "Not mid-update") */
};

#define IDS_OPT_HOOKED 1u
#define IDS_OPT_HIDDEN 2u

/* ids_open's results. */
#define IDS_OPEN_OK 0
#define IDS_OPEN_TAMPERED 1     /* the kernel could not be located: a finding */
#define IDS_CANNOT_CHECK (-1)   /* no such guest, not running, no profile */

/* Fills a from argv (argv[0] is the subcommand); returns -1 on an unknown
 * or misplaced option. allowed: IDS_OPT_* flags the subcommand accepts
 * besides --json. */
int ids_parse(int argc, char **argv, unsigned allowed, struct ids_args *a);
/* Sets up the reporter on con (a->json, a->check), finds the guest, loads
 * its profile, reads its vCPU state and locates the kernel (KASLR). Anchors
 * that disagree are emitted as findings. Returns IDS_OPEN_OK;
 * IDS_OPEN_TAMPERED when the guest runs but its kernel cannot be located
 * (emitted as a finding); IDS_CANNOT_CHECK after an error record when there
 * is nothing to inspect. The guest stays stopped until the command returns. */
int ids_open(struct ids_session *s, struct console *con, const struct ids_args *a);
/* Emits the command's totals (t->findings and t->stopped_us filled in here):
 * the text reporter's last line, JSON's summary object. */
void ids_emit_totals(struct ids_session *s, struct ids_totals *t);

/* Hands a record to the session's reporter, counting its findings. */
void ids_emit(struct ids_session *s, const struct ids_record *rec);
/* A finding of a check ("finding: <check>: <text>"). check and the text
 * are descriptions: guest names in them are escaped already. */
void ids_finding(struct ids_session *s, const char *check, const char *fmt, ...) __printf(3, 4);
/* A check that could not run because guest data is not what the kernel
 * keeps there: "finding: <check>: TAMPERED: <doing>: <library error>". */
void ids_tampered(struct ids_session *s, const char *check, const char *doing);
/* Part of a check could not be done for a reason that is not tampering (a
 * legitimate guest can be that large): "warning: <check>: partially checked:
 * <text>"; `ids check` then says PARTIAL unless it has findings. */
void ids_partial(struct ids_session *s, const char *check, const char *fmt, ...) __printf(3, 4);
/* An error that stops the command ("error: ..."), or a note. */
void ids_error(struct ids_session *s, const char *fmt, ...) __printf(2, 3);
void ids_note(struct ids_session *s, const char *fmt, ...) __printf(2, 3);

/* The subcommands that take their own arguments. */
int ids_watch(struct console *con, int argc, char **argv);
int ids_protect(struct console *con, int argc, char **argv);

/* The scans run by the dispatcher (ids.c) on an opened session; each
 * fills in what its totals line counts (t->count by default is the
 * number of findings it emitted). CMD_OK, or CMD_FAIL after an error. */
int ids_run_banner(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_syscall(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_plist(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_lsmod(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_integrity(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_hooks(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_net(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);
int ids_run_check(struct ids_session *s, const struct ids_args *a, struct ids_totals *t);

/* Every check of `ids check` on an opened session (ids_open's result in
 * opened); returns the number of findings. What stops a check is itself a
 * finding: this never fails. */
int ids_run_checks(struct ids_session *s, int opened);

/* Checks shared by the commands and `ids check`; each returns the number
 * of findings it emitted (guest data that stops it counts as one). */
int ids_scan_syscalls(struct ids_session *s, bool only_flagged);
int ids_scan_tasks(struct ids_session *s, bool hidden, bool only_flagged);
int ids_scan_modules(struct ids_session *s);
int ids_scan_hooks(struct ids_session *s);
/* /proc/net files not running the kernel's seq_operations, and the sockets
 * they may hide; nothing when the profile lacks the socket layout. */
int ids_scan_net(struct ids_session *s);

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
 * in_check: syscall-table slots are left to ids_scan_syscalls. Returns the
 * number of findings, or -1 after an error (no usable manifest, outside
 * `ids check`); t (may be NULL) gets the bytes checked. */
int ids_scan_integrity(struct ids_session *s, bool in_check, struct ids_totals *t);

#endif
