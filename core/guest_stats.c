/* SPDX-License-Identifier: GPL-2.0-only */
/* `guest stats`: a guest's exits by kind, its device accesses and the accesses it got
 * an abort for since a mark (guest_stats.h), with rates over the time since then. */
#include <arch/cpu.h>
#include <mamoru/guest.h>
#include <mamoru/libc.h>

void guest_stats_mark(struct guest *g)
{
	struct guest_stat rows[GUEST_STATS_MAX];
	unsigned n = arch_guest_stats(g, rows, GUEST_STATS_MAX);
	g->stats_base.at_ns = timer_now_ns();
	g->stats_base.run_ns = arch_guest_run_ns(g);
	g->stats_base.exits = g->exits_seen;
	g->stats_base.bad_accesses = g->bad_accesses;
	for (unsigned i = 0; i < GUEST_STATS_MAX; i++)
		g->stats_base.arch[i] = i < n ? rows[i].count : 0;
	for (unsigned i = 0; i < GUEST_MAX_VDEVS; i++) {
		g->stats_base.reads[i] = i < g->nvdevs ? g->vdevs[i].reads : 0;
		g->stats_base.writes[i] = i < g->nvdevs ? g->vdevs[i].writes : 0;
	}
}

/* count per second over ms milliseconds ("-" when no time has passed). */
static void rate(struct console *con, uint64_t count, uint64_t ms)
{
	if (!ms)
		con_printf(con, "%12s", "-");
	else
		con_printf(con, "%12llu", (unsigned long long)(count / ms * 1000 + count % ms * 1000 / ms));
}

static void row(struct console *con, const char *indent, const char *name, uint64_t count,
		uint64_t ms)
{
	con_printf(con, "%s%-*s %12llu", indent, 20 - (int)strlen(indent), name,
		   (unsigned long long)count);
	rate(con, count, ms);
	con_printf(con, "\n");
}

void guest_stats_print(struct console *con, const struct guest *g)
{
	struct guest_stat rows[GUEST_STATS_MAX];
	unsigned n = arch_guest_stats(g, rows, GUEST_STATS_MAX);
	uint64_t ms = (timer_now_ns() - g->stats_base.at_ns) / 1000000;
	uint64_t in = (arch_guest_run_ns(g) - g->stats_base.run_ns) / 1000000;
	/* Time in the guest adds up over its vCPUs, which run side by side on their cores:
	 * the share is of what they all could have had. */
	uint64_t all = ms * (g->nr_vcpus ? g->nr_vcpus : 1);
	con_printf(con, "%s: %llu.%03llu s counted (since its boot or --clear), "
		   "%llu.%03llu s in the guest (%llu%%)\n", g->name,
		   (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000),
		   (unsigned long long)(in / 1000), (unsigned long long)(in % 1000),
		   (unsigned long long)(all ? MIN(in, all) * 100 / all : 0));
	con_printf(con, "%-20s %12s %12s\n", "exits", "count", "per s");
	row(con, "", "total", g->exits_seen - g->stats_base.exits, ms);
	for (unsigned i = 0; i < n; i++)
		row(con, rows[i].detail ? "    " : "  ", rows[i].name,
		    rows[i].count - g->stats_base.arch[i], ms);
	con_printf(con, "%-20s %12s %12s %12s\n", "device accesses", "reads", "writes", "per s");
	for (unsigned i = 0; i < g->nvdevs; i++) {
		const struct vdev *d = &g->vdevs[i];
		uint64_t r = d->reads - g->stats_base.reads[i], w = d->writes - g->stats_base.writes[i];
		char name[32];
		m_snprintf(name, sizeof(name), "%s@%llx", d->name, (unsigned long long)d->base);
		con_printf(con, "  %-18s %12llu %12llu", name, (unsigned long long)r,
			   (unsigned long long)w);
		rate(con, r + w, ms);
		con_printf(con, "\n");
	}
	/* Every access the guest got an abort for, reported on the console or not (the
	 * reports stop after a few each boot: core/vdev.c). */
	con_printf(con, "%-20s %12s %12s\n", "aborts injected", "count", "per s");
	row(con, "  ", "bad accesses", g->bad_accesses - g->stats_base.bad_accesses, ms);
}
