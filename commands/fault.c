/* SPDX-License-Identifier: GPL-2.0-only */
/* `fault`: deliberately take an exception, to test the crash report and
 * the W^X protection of the image. Fatal by design. */
#include <mamoru/command.h>
#include <mamoru/libc.h>

/* An instruction kept as data: "ret" on AArch64. ARMv5 has no execute-never, so
 * jumping into data runs it: there it is a permanently undefined instruction
 * (UDF #0), which still ends in a crash report (Undefined Instruction). */
#ifdef __aarch64__
static const uint32_t ret_insn = 0xd65f03c0;
#else
static const uint32_t ret_insn = 0xe7f000f0;
#endif
static uint32_t data_insn[1];

/* An address no board maps: above 32 GiB on arm64, in the top 512 MiB on ARMv5. */
#define UNMAPPED ((uintptr_t)(UINTPTR_MAX > 0xffffffffu ? 0x7f0000000ull : 0xf0000000u))

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
		con_printf(con, "reading unmapped address 0x%llx...\n", (unsigned long long)UNMAPPED);
		(void)*(volatile uint64_t *)UNMAPPED;
	} else if (!strcmp(argv[1], "exec-data")) {
		con_printf(con, "jumping into data...\n");
		data_insn[0] = ret_insn;
		void (*fn)(void) = (void (*)(void))(uintptr_t)data_insn;
		fn();
	} else if (!strcmp(argv[1], "exec-unmapped")) {
		con_printf(con, "jumping to unmapped address 0x%llx...\n", (unsigned long long)UNMAPPED);
		void (*fn)(void) = (void (*)(void))UNMAPPED;
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
	.usage = "fault write-text|write-rodata|unmapped|exec-data|exec-unmapped\n"
		 "  write-text     store to hypervisor code (permission fault)\n"
		 "  write-rodata   store to read-only data (permission fault)\n"
		 "  unmapped       load from an unmapped address (translation fault)\n"
		 "  exec-data      branch into writable data (instruction abort; ARMv5:\n"
		 "                 undefined instruction, it has no execute-never)\n"
		 "  exec-unmapped  branch to an unmapped address (instruction/prefetch abort)",
	.exec = cmd_fault,
};
COMMAND(fault_cmd);
