/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest's bad accesses (core/vdev.c guest_bad_access): all counted, the first
 * few of each boot reported on the console, a new boot (guest_reset_vdevs)
 * reported again.  vdev_test
 */
#include <string.h>

#include <mamoru/console.h>
#include <mamoru/guest.h>

#include "check.h"

static struct guest g;
static char out[4096];
static struct buffer_console buf;

/* How many times s occurs in what printk wrote since the last call; clears it. */
static unsigned count(const char *s)
{
	unsigned n = 0;
	out[buf.len < sizeof(out) ? buf.len : sizeof(out) - 1] = '\0';
	for (const char *p = out; (p = strstr(p, s)); p += strlen(s))
		n++;
	buf.len = 0;
	return n;
}

static void checks(void)
{
	for (int i = 0; i < 20; i++)
		guest_bad_access(&g, "read of unmapped memory", 0x8000000 + 4 * (uint64_t)i, 0x1000);
	CHECK(g.bad_accesses == 20);
	CHECK(count("abort injected") == 8);
	guest_bad_access(&g, "read of unmapped memory", 0x9000000, 0x1000);
	CHECK(count("abort injected") == 0);        /* quiet for the rest of this boot */

	guest_reset_vdevs(&g);                      /* the guest reboots */
	guest_bad_access(&g, "write to unmapped memory", 0x9000000, 0x2000);
	out[buf.len] = '\0';
	CHECK(strstr(out, "guest0: write to unmapped memory at guest-physical 0x9000000 "
			  "(pc 0x2000): abort injected\n") != NULL);
	CHECK(count("abort injected") == 1 && g.bad_accesses == 22);
	for (int i = 0; i < 7; i++)
		guest_bad_access(&g, "read of unmapped memory", 0x9000000, 0x2000);
	CHECK(count("further reports suppressed until it reboots") == 1);
}

int main(void)
{
	strcpy(g.name, "guest0");
	buffer_console_init(&buf, out, sizeof(out) - 1);
	sys_console = &buf.con;
	checks();
	sys_console = NULL;
	return check_summary("vdev_test");
}
