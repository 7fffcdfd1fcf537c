/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids plist`: the guest's processes from the kernel's task list. With
 * --hidden, the task list is cross-checked against the PID table
 * (init_pid_ns's IDR): a process present in one and missing from the other
 * has been tampered with (for instance unlinked from the task list to hide
 * it from ps).
 */
#include <mamoru/heap.h>
#include <mamoru/libc.h>

#include "ids.h"

#define MAX_TASKS 8192

struct collect {
	struct vmi_task *tasks;
	unsigned n;
	bool leaders_only;
	bool overflow;
};

static int collect(void *ctx, const struct vmi_task *t)
{
	struct collect *c = ctx;
	if (c->leaders_only && t->pid != t->tgid)
		return 0;                   /* threads: the task list holds group leaders */
	if (c->n == MAX_TASKS) {
		c->overflow = true;
		return 1;
	}
	c->tasks[c->n++] = *t;
	return 0;
}

/* Shell sort by PID: no recursion, no allocation. */
static void sort_by_pid(struct vmi_task *t, unsigned n)
{
	for (unsigned gap = n / 2; gap; gap /= 2)
		for (unsigned i = gap; i < n; i++) {
			struct vmi_task tmp = t[i];
			unsigned j = i;
			for (; j >= gap && t[j - gap].pid > tmp.pid; j -= gap)
				t[j] = t[j - gap];
			t[j] = tmp;
		}
}

static char state_letter(uint64_t state)
{
	if (state == 0)
		return 'R';
	if (state & 0x20) return 'Z';           /* EXIT_ZOMBIE */
	if (state & 0x10) return 'X';           /* EXIT_DEAD */
	if ((state & 0x402) == 0x402) return 'I'; /* TASK_IDLE */
	if (state & 0x08) return 't';           /* traced */
	if (state & 0x04) return 'T';           /* stopped */
	if (state & 0x02) return 'D';
	if (state & 0x01) return 'S';
	return '?';
}

static void emit_task(struct ids_session *s, const struct vmi_task *t, const char *finding)
{
	struct ids_record rec = {.type = IDS_REC_PROCESS, .findings = finding != NULL, .process = {
		.pid = t->pid, .ppid = t->ppid, .uid = t->uid, .state = state_letter(t->state),
		.kthread = t->kthread, .name = t->comm, .task = t->addr, .finding = finding,
	}};
	ids_emit(s, &rec);
}

static bool contains(const struct vmi_task *sorted, unsigned n, int32_t pid)
{
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (sorted[mid].pid == pid)
			return true;
		if (sorted[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int ids_scan_tasks(struct ids_session *s, bool hidden, bool only_flagged)
{
	struct collect list = {.tasks = kmalloc(MAX_TASKS * sizeof(struct vmi_task))};
	struct collect table = {.leaders_only = true};
	unsigned before = s->findings;

	if (!list.tasks) {
		ids_finding(s, "processes", "not checked: out of hypervisor memory for the task list");
		return 1;
	}
	/* A list that cannot be walked to its end is what a rootkit's DKOM
	 * gone wrong (or on purpose) leaves: a finding, and what was read so
	 * far is still shown. */
	bool list_ok = vmi_task_foreach(s->vmi, MAX_TASKS, collect, &list) >= 0;
	if (!list_ok)
		ids_tampered(s, "task list", "walking the task list");
	else if (list.overflow)
		ids_finding(s, "task list", "TAMPERED: more than %d tasks on the task list", MAX_TASKS);
	if (!only_flagged)
		for (unsigned i = 0; i < list.n; i++)
			emit_task(s, &list.tasks[i], NULL);
	if (!hidden)
		goto out;
	table.tasks = kmalloc(MAX_TASKS * sizeof(struct vmi_task));
	if (!table.tasks) {
		ids_finding(s, "processes", "not checked: out of hypervisor memory for the PID table");
		goto out;
	}
	if (vmi_pid_foreach(s->vmi, MAX_TASKS * 4, collect, &table) < 0) {
		ids_tampered(s, "PID table", "walking the PID table");
		goto out;
	}
	if (table.overflow) {
		ids_finding(s, "PID table", "TAMPERED: more than %d processes in the PID table", MAX_TASKS);
		goto out;
	}
	/* Comparing against a list cut short would call everything after the
	 * cut hidden: the walk's failure is the finding then. */
	if (!list_ok || list.overflow)
		goto out;
	sort_by_pid(list.tasks, list.n);
	sort_by_pid(table.tasks, table.n);
	for (unsigned i = 0; i < table.n; i++)
		if (table.tasks[i].pid != 0 && !contains(list.tasks, list.n, table.tasks[i].pid))
			emit_task(s, &table.tasks[i], "HIDDEN: in the PID table but not in the task list");
	for (unsigned i = 0; i < list.n; i++)
		if (list.tasks[i].pid != 0 && !contains(table.tasks, table.n, list.tasks[i].pid))
			emit_task(s, &list.tasks[i], "in the task list but not in the PID table");
out:
	kfree(list.tasks);
	if (table.tasks)
		kfree(table.tasks);
	return (int)(s->findings - before);
}

int ids_run_plist(struct ids_session *s, const struct ids_args *a, struct ids_totals *t)
{
	t->hidden = a->hidden;
	ids_scan_tasks(s, a->hidden, false);
	return CMD_OK;
}
