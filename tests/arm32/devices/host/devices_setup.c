/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest the device tests and fuzzers drive: its devices probed from a device tree. */
#include <stdio.h>
#include <string.h>

#include <mamoru/emulator.h>

#include "devices.h"
#include "stubs.h"

struct guest g;

static struct vdev *window(const char *name)
{
	for (unsigned i = 0; i < g.nvdevs; i++)
		if (!strcmp(g.vdevs[i].name, name))
			return &g.vdevs[i];
	return NULL;
}

struct vvic *the_vic(void)
{
	return vvic_of_guest(&g);
}

struct vsp804 *the_timer(void)
{
	return window("sp804")->priv;    /* struct vsp804 is the device's first member */
}

struct vsysregs *the_sys(void)
{
	return window("sysregs")->priv;
}

const char *devices_setup(const char *dtb_path)
{
	static unsigned char blob[1 << 16];
	static struct fdt fdt;
	FILE *f = fopen(dtb_path, "rb");
	if (!f)
		return "cannot open the device tree";
	size_t size = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	if (fdt_init(&fdt, blob, size))
		return "not a device tree";
	strcpy(g.name, "guest0");
	stub_console_init();
	stub_now_ns = 1000000000ull;          /* an arbitrary, non-zero boot time */
	return emulators_probe(&g, &fdt);
}
