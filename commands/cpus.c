/* SPDX-License-Identifier: GPL-2.0-only */
/* `cpus`: the CPUs Mamoru runs on; `cpus ping [N]`: IPI round trips to each. */
#include <arch/cpu.h>
#include <mamoru/command.h>
#include <mamoru/libc.h>
#include <mamoru/smp.h>
#include <mamoru/vcpu_pin.h>

#define PING_DEFAULT 100u
#define PING_MAX 100000u
#define STALL_MAX_MS 5000u

static void list(struct console *con)
{
	con_printf(con, "cpu  mpidr         state          ipis      calls   guest ms     sleeps      turns\n");
	uint64_t hz = timer_freq() ? timer_freq() : 1;
	for (unsigned i = 0; i < smp_cpu_count(); i++) {
		struct smp_cpu *c = smp_cpu(i);
		enum smp_state st = smp_cpu_state(c);
		/* Time this core spent running vCPUs (pinned vCPUs: its own). */
		uint64_t ms = smp_cpu_guest_ticks(c) / (hz / 1000 ? hz / 1000 : 1);
		con_printf(con, "%3u  0x%-10llx  %-12s %6llu %10llu %10llu %10llu %10llu%s\n", i,
			   (unsigned long long)c->mpidr, smp_state_name(st),
			   (unsigned long long)smp_cpu_ipis(c), (unsigned long long)smp_cpu_calls(c),
			   (unsigned long long)ms, (unsigned long long)smp_cpu_sleeps(c),
			   (unsigned long long)vcpu_turns_ended(i),
			   i == smp_this_cpu() ? "  (this CPU)" : "");
		if (st == SMP_REFUSED && c->why)
			con_printf(con, "     why: %s\n", c->why);
	}
}

/* Runs on the pinged CPU: says which CPU it is. */
static void where(void *arg)
{
	*(unsigned *)arg = smp_this_cpu();
}

/* Prints ns as microseconds with one decimal. */
static void print_us(struct console *con, const char *label, uint64_t ns)
{
	con_printf(con, " %s %llu.%llu", label, (unsigned long long)(ns / 1000),
		   (unsigned long long)(ns % 1000 / 100));
}

static int ping(struct console *con, unsigned rounds)
{
	int bad = 0, pinged = 0;

	for (unsigned i = 0; i < smp_cpu_count(); i++) {
		struct smp_cpu *c = smp_cpu(i);
		if (i == smp_this_cpu() || smp_cpu_state(c) != SMP_ONLINE)
			continue;
		uint64_t min = UINT64_MAX, max = 0, sum = 0;
		unsigned ok = 0;
		int err = 0;
		for (unsigned r = 0; r < rounds; r++) {
			/* Static: a core that took the call too late may still write it. */
			static unsigned who;
			who = ~0u;
			uint64_t t0 = timer_now_ns();
			err = smp_call(i, where, &who);
			uint64_t dt = timer_now_ns() - t0;
			if (err)
				break;
			if (who != i) {
				con_printf(con, "cpu %u: the call ran on CPU %u\n", i, who);
				err = SMP_ERR_NOCPU;
				break;
			}
			ok++;
			sum += dt;
			min = MIN(min, dt);
			max = MAX(max, dt);
		}
		pinged++;
		if (err) {
			con_printf(con, "cpu %u: %s after %u answers\n", i, smp_err_name(err), ok);
			bad++;
			continue;
		}
		con_printf(con, "cpu %u: %u/%u answered, round trip us:", i, ok, rounds);
		print_us(con, "min", min);
		print_us(con, "avg", sum / ok);
		print_us(con, "max", max);
		con_printf(con, "\n");
	}
	if (!pinged)
		con_printf(con, "cpus: no other CPU online\n");
	return bad ? CMD_FAIL : CMD_OK;
}

/* Runs on the stalled CPU, interrupts masked: busy for arg milliseconds. The
 * argument is a value, not a pointer: the caller may have given up and left. */
static void busy(void *arg)
{
	uint64_t until = timer_now_ns() + (uint64_t)(uintptr_t)arg * 1000000ull;
	while (timer_now_ns() < until)
		cpu_relax();
}

/* What a CPU that does not answer looks like to smp_call (a test aid). */
static int stall(struct console *con, int argc, char **argv)
{
	uint64_t cpu, ms;
	if (argc != 4 || parse_u64(argv[2], &cpu) || parse_u64(argv[3], &ms) || ms > STALL_MAX_MS)
		return CMD_USAGE;
	if (cpu == smp_this_cpu() || cpu >= smp_cpu_count()) {
		con_printf(con, "cpus: CPU %llu is this one or not there\n", (unsigned long long)cpu);
		return CMD_FAIL;
	}
	uint64_t t0 = timer_now_ns();
	int err = smp_call((unsigned)cpu, busy, (void *)(uintptr_t)ms);
	con_printf(con, "cpu %llu: %s after %llu ms\n", (unsigned long long)cpu, smp_err_name(err),
		   (unsigned long long)((timer_now_ns() - t0) / 1000000ull));
	return err ? CMD_FAIL : CMD_OK;
}

static int cmd_cpus(struct console *con, int argc, char **argv)
{
	if (argc == 1) {
		list(con);
		return CMD_OK;
	}
	if (strcmp(argv[1], "stall") == 0)
		return stall(con, argc, argv);
	if (strcmp(argv[1], "ping") != 0 || argc > 3)
		return CMD_USAGE;
	uint64_t n = PING_DEFAULT;
	if (argc == 3 && (parse_u64(argv[2], &n) || n == 0 || n > PING_MAX))
		return CMD_USAGE;
	return ping(con, (unsigned)n);
}

static const struct command cpus_cmd = {
	.name = "cpus",
	.summary = "list the CPUs Mamoru runs on; IPI round trips",
	.usage = "cpus [ping [N] | stall CPU MS]\n"
		 "  cpus         each CPU: index, MPIDR, state (online, did not come, refused),\n"
		 "               IPIs it handled, calls it ran, time it ran guests, times it\n"
		 "               slept waiting for an interrupt and vCPU turns its timer ended\n"
		 "               (a core with two vCPUs to run)\n"
		 "  cpus ping N  N calls (default 100, at most 100000) to each other online CPU;\n"
		 "               round trip min/avg/max in microseconds\n"
		 "  cpus stall CPU MS  keeps CPU busy with interrupts masked for MS ms (at most\n"
		 "               5000) through smp_call, which gives up after its deadline\n"
		 "               (a test of a CPU that does not answer)",
	.exec = cmd_cpus,
};
COMMAND(cpus_cmd);
