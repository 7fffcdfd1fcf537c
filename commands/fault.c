/* SPDX-License-Identifier: GPL-2.0-only */
/* `fault`: deliberately take an exception, to test the crash report and
 * the W^X protection of the image. Fatal by design. */
#include <mamoru/command.h>
#include <mamoru/libc.h>

static const uint32_t ret_insn = 0xd65f03c0;   /* a data word holding "ret" */
static uint32_t data_insn[1];

static int cmd_fault(struct console *con, int argc, char **argv)
{
	if (argc != 2)
		return CMD_USAGE;
	if (!strcmp(argv[1], "write-text")) {
		con_printf(con, "writing to the hypervisor's text...\n");
		*(volatile uint32_t *)(uintptr_t)&cmd_fault = 0;
	} else if (!strcmp(argv[1], "write-rodata")) {
		con_printf(con, "writing to read-only data...\n");
		*(volatile uint32_t *)(uintptr_t)&ret_insn = 0;
	} else if (!strcmp(argv[1], "unmapped")) {
		con_printf(con, "reading unmapped address 0x7f0000000...\n");
		(void)*(volatile uint64_t *)(uintptr_t)0x7f0000000ull;
	} else if (!strcmp(argv[1], "exec-data")) {
		con_printf(con, "jumping into data...\n");
		data_insn[0] = ret_insn;
		void (*fn)(void) = (void (*)(void))(uintptr_t)data_insn;
		fn();
	} else {
		return CMD_USAGE;
	}
	con_printf(con, "error: no fault was taken\n");
	return CMD_FAIL;
}

static const struct command fault_cmd = {
	.name = "fault",
	.summary = "trigger an exception on purpose (testing the crash report)",
	.usage = "fault write-text|write-rodata|unmapped|exec-data\n"
		 "  write-text    store to hypervisor code (permission fault)\n"
		 "  write-rodata  store to read-only data (permission fault)\n"
		 "  unmapped      load from an unmapped address (translation fault)\n"
		 "  exec-data     branch into writable data (instruction abort)",
	.exec = cmd_fault,
};
COMMAND(fault_cmd);
