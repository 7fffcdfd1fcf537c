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

/* Fills a from argv (argv[0] is the subcommand); returns -1 on an unknown
 * or misplaced option (the caller returns CMD_USAGE). allowed: IDS_OPT_*
 * flags the subcommand accepts besides --json. */
int ids_parse(int argc, char **argv, unsigned allowed, struct ids_args *a);
/* Finds the guest, loads its profile, reads its vCPU state and locates the
 * kernel (KASLR). Prints a clear error and returns -1 when any step fails. */
int ids_open(struct ids_session *s, struct console *con, const struct ids_args *a);
/* Ends a scan: in JSON mode prints a summary object with the time the
 * guest was held. */
void ids_close(struct ids_session *s, const char *what);
/* Prints an error with the introspection library's explanation. */
int ids_error(struct ids_session *s, const char *doing);
/* Writes s as a JSON string literal (quotes and escapes included). */
void ids_json_str(struct console *con, const char *s);

/* The subcommands. */
int ids_banner(struct console *con, int argc, char **argv);
int ids_syscall(struct console *con, int argc, char **argv);
int ids_plist(struct console *con, int argc, char **argv);
int ids_lsmod(struct console *con, int argc, char **argv);
int ids_check(struct console *con, int argc, char **argv);
int ids_watch(struct console *con, int argc, char **argv);

/* Every check of `ids check`: findings printed (quietly) on s->con; returns
 * their number, or -1 after printing an error. */
int ids_run_checks(struct ids_session *s);

/* Checks shared by the commands and `ids check`; each returns the number
 * of findings, or -1 after printing an error. With quiet, only findings
 * are printed (as "finding: ..." lines or JSON objects). */
int ids_scan_syscalls(struct ids_session *s, bool only_flagged, bool quiet);
int ids_scan_tasks(struct ids_session *s, bool hidden, bool quiet);
/* Kernel text/rodata against the bundle's Image (commands/ids/integrity.c);
 * in_check: syscall-table slots are left to ids_scan_syscalls. */
int ids_integrity(struct console *con, int argc, char **argv);
int ids_scan_integrity(struct ids_session *s, bool in_check);

#endif
