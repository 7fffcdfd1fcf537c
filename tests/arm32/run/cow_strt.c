/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest user program for tests/arm32/run: does the guest kernel's copy to user space
 * honour copy-on-write? The parent dirties a page, forks, and the child has the kernel
 * write into that (still shared, read-only) page with read() from a pipe. With
 * CONFIG_CPU_USE_DOMAINS the kernel writes user memory with STRT, which must fault on the
 * read-only page so that the child gets its own copy; the parent must still see its data.
 * Prints "parent: parent-data child-ok" when it does, "parent: CHILD!-data ..." when the
 * child's write went through to the parent's page. No C library: raw EABI system calls.
 */
typedef unsigned long ulong;

static long sys3(long nr, long a, long b, long c)
{
	register long r0 __asm__("r0") = a;
	register long r1 __asm__("r1") = b;
	register long r2 __asm__("r2") = c;
	register long r7 __asm__("r7") = nr;
	__asm__ volatile("svc #0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
	return r0;
}

static long sys4(long nr, long a, long b, long c, long d)
{
	register long r0 __asm__("r0") = a;
	register long r1 __asm__("r1") = b;
	register long r2 __asm__("r2") = c;
	register long r3 __asm__("r3") = d;
	register long r7 __asm__("r7") = nr;
	__asm__ volatile("svc #0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r7) : "memory");
	return r0;
}

enum { NR_EXIT = 1, NR_FORK = 2, NR_READ = 3, NR_WRITE = 4, NR_PIPE = 42, NR_WAIT4 = 114 };

static char page[4096] __attribute__((aligned(4096)));   /* .bss: nothing in the file */

static void say(const char *s, long n)
{
	sys3(NR_WRITE, 1, (long)s, n);
}

void _start(void)
{
	int fds[2];
	static const char mine[] = "parent-data";
	for (unsigned i = 0; i < sizeof(mine); i++)  /* the parent's own page before the fork */
		page[i] = mine[i];
	if (sys3(NR_PIPE, (long)fds, 0, 0) < 0)
		sys3(NR_EXIT, 2, 0, 0);
	long pid = sys3(NR_FORK, 0, 0, 0);
	if (pid == 0) {
		/* Read the page first, from user mode: the child's mapping of it is then in
		 * place (a shadow MMU fills it) before the kernel's write. */
		if (*(volatile char *)page != 'p')
			sys3(NR_EXIT, 4, 0, 0);
		sys3(NR_WRITE, fds[1], (long)"CHILD!", 6);
		long n = sys3(NR_READ, fds[0], (long)page, 6);   /* the kernel writes the page */
		sys3(NR_EXIT, n == 6 && page[0] == 'C' ? 0 : 3, 0, 0);
	}
	int status = -1;
	sys4(NR_WAIT4, pid, (long)&status, 0, 0);
	say("parent: ", 8);
	say(page, 11);
	say(status == 0 ? " child-ok\n" : " child-failed\n", status == 0 ? 10 : 14);
	sys3(NR_EXIT, 0, 0, 0);
	for (;;)
		;
}
