/* SPDX-License-Identifier: GPL-2.0-only */
/* `guest`: list and control guests, show their registers and memory. */
#include <arch/guest_irq.h>
#include <arch/guest_regs.h>
#include <arch/vcpu_run.h>
#include <mamoru/command.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>
#include <mamoru/passthrough.h>
#include <mamoru/vcpu_pin.h>

#define DUMP_MAX 4096

static void list(struct console *con)
{
	bool any = false;
	con_printf(con, "%-8s %-8s %10s %5s %10s  %s\n", "name", "state", "memory", "vcpus", "exits", "notes");
	for (int i = 0; i < GUEST_MAX; i++) {
		struct guest *g = &guests[i];
		if (g->state == GUEST_EMPTY)
			continue;
		con_printf(con, "%-8s %-8s %7llu MiB %5d %10llu  %s\n", g->name, guest_state_name(g->state),
			   (unsigned long long)(g->ram_size >> 20), (int)g->nr_vcpus,
			   (unsigned long long)g->exits_seen, g->reason);
		if (g->nr_vcpus > 1) {
			con_printf(con, "         vcpus:");
			for (unsigned c = 0; c < g->nr_vcpus; c++)
				con_printf(con, " %u %s", c, vcpu_online(g, c) ? "on" : "off");
			con_printf(con, "\n");
		}
		passthrough_list(con, g, "         ");
		guest_list_vdevs(g, con, "         ");
		if (g->ram_host)
			con_printf(con, "         ram: guest-physical 0x%llx, host 0x%llx%s\n",
				   (unsigned long long)g->ram_ipa, (unsigned long long)g->ram_host,
				   g->ram_host == g->ram_ipa ? " (1:1)" : "");
		any = true;
	}
	if (any)
		con_printf(con, "guest interrupts: %s\n", arch_guest_irq_model());
}

static int dumpmem(struct console *con, struct guest *g, const char *a, const char *l)
{
	uint64_t addr, len;
	uint8_t buf[16];
	if (parse_u64(a, &addr) || parse_u64(l, &len) || len == 0) {
		con_printf(con, "error: address and length must be numbers (decimal or 0x hex)\n");
		return CMD_FAIL;
	}
	if (len > DUMP_MAX) {
		con_printf(con, "error: at most %d bytes at a time\n", DUMP_MAX);
		return CMD_FAIL;
	}
	for (uint64_t off = 0; off < len; off += 16) {
		size_t n = (size_t)MIN(16ull, len - off);
		if (guest_read_phys(g, addr + off, buf, n)) {
			con_printf(con, "error: 0x%llx is outside %s's RAM (0x%llx-0x%llx)\n",
				   (unsigned long long)(addr + off), g->name, (unsigned long long)g->ram_ipa,
				   (unsigned long long)(g->ram_ipa + g->ram_size - 1));
			return CMD_FAIL;
		}
		con_printf(con, "%016llx:", (unsigned long long)(addr + off));
		for (size_t i = 0; i < n; i++)
			con_printf(con, " %02x", buf[i]);
		con_printf(con, "%*s  ", (int)(3 * (16 - n)), "");
		for (size_t i = 0; i < n; i++)
			con_printf(con, "%c", buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '.');
		con_printf(con, "\n");
	}
	return CMD_OK;
}

/* guest stats [<guest>] [--clear] */
static int stats(struct console *con, int argc, char **argv)
{
	const char *name = NULL;
	bool clear = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--clear") && !clear)
			clear = true;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			return CMD_USAGE;
	}
	struct guest *g = guest_lookup(con, name);
	if (!g)
		return CMD_FAIL;
	if (g->state == GUEST_FAILED) {
		con_printf(con, "error: %s could not be loaded: %s\n", g->name, g->reason);
		return CMD_FAIL;
	}
	guest_stats_print(con, g);
	if (clear)
		guest_stats_mark(g);
	return CMD_OK;
}

/* A command that reloads g (reset, kick of a halted guest) must have every
 * vCPU of g off its core: one on a core that did not stop would run on in the
 * new boot's memory with the old boot's state. */
static bool vcpus_off_cores(struct console *con, const struct guest *g)
{
	uint32_t running = vcpus_of_guest_running(g);
	for (unsigned c = 0; c < g->nr_vcpus; c++)
		if (running & (1u << c)) {
			con_printf(con, "error: %s's vCPU %u on cpu%u did not stop (`cpus` shows "
				   "the core); %s left as it is\n", g->name, c, vcpu_core(g, c),
				   g->name);
			return false;
		}
	return true;
}

static int cmd_guest(struct console *con, int argc, char **argv)
{
	if (argc < 2)
		return CMD_USAGE;
	const char *sub = argv[1];
	if (!strcmp(sub, "list")) {
		if (argc != 2)
			return CMD_USAGE;
		list(con);
		return CMD_OK;
	}
	if (!strcmp(sub, "dumpmem")) {
		if (argc != 5)
			return CMD_USAGE;
		struct guest *g = guest_lookup(con, argv[2]);
		return g ? dumpmem(con, g, argv[3], argv[4]) : CMD_FAIL;
	}
	if (!strcmp(sub, "stats"))
		return stats(con, argc - 2, argv + 2);
	if (argc > 3)
		return CMD_USAGE;
	struct guest *g = guest_lookup(con, argc == 3 ? argv[2] : NULL);
	if (!g)
		return CMD_FAIL;
	if (g->state == GUEST_FAILED) {
		con_printf(con, "error: %s could not be loaded: %s\n", g->name, g->reason);
		return CMD_FAIL;
	}
	if (!strcmp(sub, "kick")) {
		if (g->state == GUEST_RUNNING) {
			con_printf(con, "%s is already running\n", g->name);
			return CMD_OK;
		}
		if (g->state == GUEST_HALTED && !vcpus_off_cores(con, g))
			return CMD_FAIL;
		guest_start(g);
	} else if (!strcmp(sub, "pause")) {
		if (g->state != GUEST_RUNNING) {
			con_printf(con, "error: %s is %s, not running\n", g->name, guest_state_name(g->state));
			return CMD_FAIL;
		}
		guest_pause(g);
	} else if (!strcmp(sub, "resume")) {
		if (g->state != GUEST_PAUSED) {
			con_printf(con, "error: %s is %s, not paused\n", g->name, guest_state_name(g->state));
			return CMD_FAIL;
		}
		guest_resume(g);
	} else if (!strcmp(sub, "reset")) {
		bool run = g->state == GUEST_RUNNING || g->state == GUEST_HALTED;
		if (!vcpus_off_cores(con, g) || guest_reset(g))
			return CMD_FAIL;
		g->state = run ? GUEST_RUNNING : GUEST_LOADED;
	} else if (!strcmp(sub, "halt")) {
		guest_halt(g, "halted by the user");
		return CMD_OK;
	} else if (!strcmp(sub, "regs")) {
		guest_snapshot(g);
		arch_guest_print_regs(con, g);
		return CMD_OK;
	} else {
		return CMD_USAGE;
	}
	con_printf(con, "%s: %s\n", g->name, guest_state_name(g->state));
	return CMD_OK;
}

static const struct command guest_cmd = {
	.name = "guest",
	.summary = "list guests; kick, pause, resume, reset, halt, regs, stats, dumpmem",
	.usage = "guest list | guest kick|pause|resume|reset|halt|regs [<guest>] |\n"
		 "       guest stats [<guest>] [--clear] |\n"
		 "       guest dumpmem <guest> <guest-physical-address> <length>\n"
		 "  <guest> defaults to guest0; dumpmem shows at most 4096 bytes of guest RAM;\n"
		 "  stats: exits by kind and device accesses since the guest's boot (or the\n"
		 "  last --clear, which prints them and starts counting anew)",
	.exec = cmd_guest,
};
COMMAND(guest_cmd);
