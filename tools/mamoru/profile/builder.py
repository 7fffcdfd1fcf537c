# SPDX-License-Identifier: GPL-2.0-only
"""What goes into a profile, gathered from a Kernel (see inputs.py).

Keys: sym.<name> (link address), <struct>.<member> (byte offset), sizeof.<struct>,
sizeof.<struct>.<member>, const.<name>, str.<name>, sct.<n>/csct.<n> (the link-time syscall
table entries, see syscalls.py); text symbols in their own table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from mamoru.profile.errors import ProfileError
from mamoru.profile.format import Profile
from mamoru.profile.inputs import Kernel, guess_sibling, open_kernel, parse_config
from mamoru.profile.layout import Struct
from mamoru.profile.syscalls import (
    ARM_TABLES,
    RELA,
    TABLES,
    decode_relr,
    relocations_in,
    table_slots,
    table_words,
)

REQUIRED_SYMBOLS = (
    "_text", "_stext", "_etext", "__start_rodata", "__end_rodata", "_end", "linux_banner",
    "sys_call_table", "init_task", "swapper_pg_dir", "init_pid_ns", "vectors",
    "kimage_voffset", "memstart_addr",
)
# `ids net`: the socket hash tables, the socket files' f_op, and what /proc/net/{tcp,udp}[6]
# are made of (the proc_ops every /proc/net seq file uses, each entry's seq_operations and
# its show function as the kernel was built).
NET_SYMBOLS = (
    "init_net", "tcp_hashinfo", "udp_table", "socket_file_ops", "proc_net_seq_ops",
    "tcp4_seq_ops", "tcp4_seq_show", "tcp6_seq_ops", "tcp6_seq_show",
    "udp_seq_ops", "udp4_seq_show", "udp6_seq_ops", "udp6_seq_show",
)
OPTIONAL_SYMBOLS = (
    *NET_SYMBOLS,
    "compat_sys_call_table", "modules", "_sinittext", "_einittext", "__init_begin",
    "__init_end", "_sdata", "_edata", "__bss_start", "init_mm", "init_cred", "kimage_vaddr",
    "vabits_actual", "module_alloc_base", "__per_cpu_offset", "__start_BTF", "__stop_BTF",
    # Anchors for locating the kernel: the KPTI trampoline's table and vectors, the
    # Spectre-hardened vector copies (VBAR_EL1 may point at any of them).
    "tramp_pg_dir", "tramp_vectors", "__entry_tramp_text_end", "__bp_harden_el1_vectors",
    "this_cpu_vector", "nr_cpu_ids",
    # Hook and hidden-module checks: sysfs's module kset, the kprobe hash table, ftrace's
    # list of registered callbacks.
    "module_kset", "kprobe_table", "ftrace_ops_list", "ftrace_list_end",
    # The locks fork and exit change the task list and the PID table under: held, the
    # lists may be mid-update (core/vmi/quiesce.c).
    "tasklist_lock", "pidmap_lock",
)
# A 32-bit ARM kernel (ELF32 vmlinux): no KASLR, no vectors/kimage_voffset/memstart_addr;
# sys_call_table in .entry.text, and sys_oabi_call_table with CONFIG_OABI_COMPAT.
ARM_REQUIRED_SYMBOLS = (
    "_text", "_stext", "_etext", "__start_rodata", "__end_rodata", "_end", "linux_banner",
    "sys_call_table", "init_task", "swapper_pg_dir", "init_pid_ns",
)
ARM_OPTIONAL_SYMBOLS = ("sys_oabi_call_table", "vector_swi", "__vectors_start")
# MODULES_VADDR = PAGE_OFFSET - 16 MiB (8 MiB with a Thumb-2 kernel): the lowest kernel VA.
ARM_MODULES_SIZE = 16 << 20
ARM_MODULES_SIZE_THUMB2 = 8 << 20
# Equivalent names in other kernel versions, tried when the first name is missing.
SYMBOL_ALIASES = {"__start_rodata": ("_srodata",), "__end_rodata": ("_erodata",)}

REQUIRED_MEMBERS: dict[str, tuple[str, ...]] = {
    "task_struct": ("tasks", "pid", "tgid", "comm", "mm", "active_mm", "real_parent", "parent",
                    "cred", "real_cred", "flags", "thread_pid"),
    "cred": ("uid", "euid"),
    "mm_struct": ("pgd",),
    "list_head": ("next", "prev"),
    "hlist_head": ("first",),
    "hlist_node": ("next", "pprev"),
    "pid": ("level", "numbers", "tasks"),
    "upid": ("nr", "ns"),
    "pid_namespace": ("idr",),
    "idr": ("idr_rt", "idr_base"),
    "xarray": ("xa_head",),
    "xa_node": ("shift", "slots"),
}
OPTIONAL_MEMBERS: dict[str, tuple[str, ...]] = {
    "task_struct": ("pid_links", "group_leader", "children", "sibling", "thread_group",
                    "thread_node", "signal", "stack", "exit_state", "start_time", "se",
                    "files"),
    "cred": ("gid", "egid", "suid", "fsuid"),
    "pid": ("count",),
    "pid_namespace": ("level", "parent"),
    "idr": ("idr_next",),
    "xarray": ("xa_flags",),
    "xa_node": ("offset", "count", "nr_values", "parent"),
}
# `ids net` (recorded when the kernel has tcp_hashinfo): the socket's common head, the TCP
# hash tables (listening: lhash2 of hlist_nulls chains; established/time-wait/request: ehash),
# UDP's table, a socket file's way to its sock (file -> socket -> sock), a task's fd table,
# and /proc/net's entries (init_net.proc_net's rb-tree of proc_dir_entry).
NET_STRUCTS: dict[str, tuple[str, ...]] = {
    "sock_common": ("skc_daddr", "skc_rcv_saddr", "skc_dport", "skc_num", "skc_family",
                    "skc_state", "skc_node", "skc_nulls_node", "skc_net", "skc_v6_daddr",
                    "skc_v6_rcv_saddr"),
    "sock": ("__sk_common", "sk_socket", "sk_protocol", "sk_type"),
    "inet_hashinfo": ("ehash", "ehash_mask", "lhash2", "lhash2_mask"),
    "inet_ehash_bucket": ("chain",),
    "inet_listen_hashbucket": ("nulls_head", "head"),
    "hlist_nulls_head": ("first",),
    "hlist_nulls_node": ("next", "pprev"),
    "udp_table": ("hash", "mask"),
    "udp_hslot": ("head", "count"),
    "socket": ("state", "type", "file", "sk"),
    "file": ("f_op", "private_data"),
    "files_struct": ("fdt",),
    "fdtable": ("max_fds", "fd"),
    "net": ("proc_net",),
    "proc_dir_entry": ("subdir", "subdir_node", "name", "namelen", "seq_ops", "proc_ops"),
    "rb_root": ("rb_node",),
    "rb_node": ("rb_right", "rb_left"),
    "seq_operations": ("start", "stop", "next", "show"),
}
# Structures the profile records when the kernel has them (no error when absent).
OPTIONAL_STRUCTS: dict[str, tuple[str, ...]] = {
    "kset": ("list",),
    "kobject": ("entry", "name", "parent"),
    "module_kobject": ("kobj", "mod"),
    "kprobe": ("hlist", "addr", "symbol_name", "pre_handler", "post_handler", "flags"),
    "ftrace_ops": ("func", "next", "flags"),
    **NET_STRUCTS,
}
# The symbol that tells an optional structure is in use.
OPTIONAL_STRUCT_SYMBOLS = {"kset": "module_kset", "kobject": "module_kset",
                           "module_kobject": "module_kset", "kprobe": "kprobe_table",
                           "ftrace_ops": "ftrace_ops_list",
                           **{name: "tcp_hashinfo" for name in NET_STRUCTS}}
# kprobe_table has 1 << KPROBE_HASH_BITS buckets; 6 in every 4.x-6.x kernel.
KPROBE_TABLE_SIZE = 64
MODULE_MEMBERS = ("list", "name", "state")
MODULE_LAYOUT_MEMBERS = ("base", "size", "text_size", "ro_size")      # up to 6.3: core_layout
MODULE_MEMORY_MEMBERS = ("base", "size")                               # 6.4+: mem[]
ENUMERATORS = ("PIDTYPE_PID", "PIDTYPE_TGID", "PIDTYPE_PGID", "PIDTYPE_SID", "PIDTYPE_MAX",
               "MOD_TEXT", "MOD_DATA", "MOD_RODATA", "MOD_MEM_NUM_TYPES")
STATE_MEMBERS = ("__state", "state")            # 5.14+ / older
TEXT_PREFERENCE_MAX = 8


@dataclass
class BuildResult:
    profile: Profile
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    source: str = ""


def _leading_ones(x: int) -> int:
    n = 0
    for bit in range(63, -1, -1):
        if not x >> bit & 1:
            break
        n += 1
    return n


def _text_symbols(k: Kernel, prof: Profile) -> list[tuple[int, str]]:
    """Text symbols within [_text, _etext) and the init text, ordered by address; among
    aliases the name kallsyms would prefer comes first (strong before weak, fewer leading
    underscores first, then by name, so both inputs give the same order)."""
    ranges = [(prof.get("sym._text"), prof.get("sym._etext"))]
    if isinstance(prof.get("sym._sinittext"), int) and isinstance(prof.get("sym._einittext"), int):
        ranges.append((prof.get("sym._sinittext"), prof.get("sym._einittext")))
    keyed = []
    seen: set[tuple[int, str]] = set()
    for addr, name, t in k.text_candidates:
        if not any(isinstance(lo, int) and isinstance(hi, int) and lo <= addr < hi
                   for lo, hi in ranges):
            continue
        if (addr, name) in seen:
            continue
        seen.add((addr, name))
        underscores = len(name) - len(name.lstrip("_"))
        keyed.append((addr, t in "Ww", min(underscores, TEXT_PREFERENCE_MAX), name))
    keyed.sort()
    return [(addr, name) for addr, _, _, name in keyed]


def _member(prof: Profile, s: Struct, member: str, key: str | None = None) -> bool:
    m = s.members.get(member)
    if m is None:
        return False
    key = key or f"{s.name}.{member}"
    prof.number(key, m.offset)
    prof.number(f"sizeof.{key}", m.size)
    if m.bit_size:
        prof.number(f"bitfield.{key}", m.bit_offset % 8 << 8 | m.bit_size)
    return True


def _structs(k: Kernel, prof: Profile, notes: list[str]) -> None:
    want = set(REQUIRED_MEMBERS) | set(OPTIONAL_MEMBERS) | set(OPTIONAL_STRUCTS)
    if "tcp_hashinfo" not in k.symbols:          # no TCP/IP: no compile unit searched for it
        want -= set(NET_STRUCTS)
    with_modules = "modules" in k.symbols
    if with_modules:
        want |= {"module", "module_layout", "module_memory"}
    # An optional structure is looked for as hard as a required one when the kernel has
    # the data it describes, so both inputs (BTF, DWARF) give the same profile.
    present = {name for name, sym in OPTIONAL_STRUCT_SYMBOLS.items() if sym in k.symbols}
    search = getattr(k.types, "search", None)
    if search is not None:                       # DWARF: one search for everything
        search(want, ENUMERATORS,
               set(REQUIRED_MEMBERS) | ({"module"} if with_modules else set()) | present)
    found = k.types.structs(sorted(want))
    missing = [s for s in REQUIRED_MEMBERS if s not in found]
    if missing:
        raise ProfileError(f"{k.type_source}: no complete definition of struct "
                           f"{', '.join(missing)}")
    for sname, members in REQUIRED_MEMBERS.items():
        s = found[sname]
        prof.number(f"sizeof.{sname}", s.size)
        for m in members:
            if not _member(prof, s, m):
                raise ProfileError(f"{k.type_source}: struct {sname} has no member {m}")
        for m in OPTIONAL_MEMBERS.get(sname, ()):
            _member(prof, s, m)
    for sname, members in OPTIONAL_STRUCTS.items():
        s = found.get(sname)
        if s is None:
            continue
        prof.number(f"sizeof.{sname}", s.size)
        for m in members:
            _member(prof, s, m)
    if "kprobe_table" in k.symbols and "kprobe" in found:
        prof.number("const.kprobe_table_size", KPROBE_TABLE_SIZE)
    task = found["task_struct"]
    for m in STATE_MEMBERS:
        if _member(prof, task, m, "task_struct.__state"):
            prof.string("str.task_state_member", m)
            if m != "__state":
                notes.append(f"task_struct.__state records the member '{m}'")
            break
    else:
        raise ProfileError(f"{k.type_source}: struct task_struct has neither __state nor state")

    if with_modules:
        mod = found.get("module")
        if mod is None:
            raise ProfileError(f"{k.type_source}: no complete definition of struct module")
        prof.number("sizeof.module", mod.size)
        for m in MODULE_MEMBERS:
            if not _member(prof, mod, m) and m != "state":
                raise ProfileError(f"{k.type_source}: struct module has no member {m}")
        _member(prof, mod, "mkobj")
        if _member(prof, mod, "core_layout") and "module_layout" in found:
            lay = found["module_layout"]
            prof.number("sizeof.module_layout", lay.size)
            for m in MODULE_LAYOUT_MEMBERS:
                _member(prof, lay, m)
        elif _member(prof, mod, "mem") and "module_memory" in found:
            mm = found["module_memory"]
            prof.number("sizeof.module_memory", mm.size)
            for m in MODULE_MEMORY_MEMBERS:
                _member(prof, mm, m)
        else:
            raise ProfileError(f"{k.type_source}: struct module has neither core_layout "
                               "(module_layout) nor mem (module_memory)")

    for name, value in k.types.enumerators(ENUMERATORS).items():
        prof.number(f"const.{name}", value)
    # XA_CHUNK_SHIFT from the slot array: XA_CHUNK_SIZE pointers.
    slots = found["xa_node"].members["slots"]
    chunk = slots.size // k.ptr_size
    if chunk < 2 or chunk & (chunk - 1):
        raise ProfileError(f"xa_node.slots has {chunk} entries; expected a power of two")
    prof.number("const.xa_chunk_shift", chunk.bit_length() - 1)
    prof.number("const.task_comm_len", task.members["comm"].size)


def _config_int(config: dict[str, str], name: str) -> int | None:
    v = config.get(name)
    if v is None or v in ("y", "m", "n"):
        return None
    try:
        return int(v, 0)
    except ValueError:
        return None


def _arm_constants(k: Kernel, prof: Profile, config: dict[str, str], notes: list[str]) -> None:
    """A 32-bit ARM kernel: 4 KiB pages, two-level short-descriptor tables, no KASLR. The
    kernel's VAs run from MODULES_VADDR (below PAGE_OFFSET) to the top of the 4 GiB."""
    text = prof.get("sym._text")
    assert isinstance(text, int)
    derived: list[str] = []
    page_offset = _config_int(config, "PAGE_OFFSET")
    if page_offset is None:
        page_offset = text & 0xFFF0_0000          # _text is PAGE_OFFSET + TEXT_OFFSET (32 KiB)
        derived.append("page_offset (from _text)")
    if not (0x4000_0000 <= page_offset <= text < 1 << 32):
        raise ProfileError(f"implausible 32-bit ARM layout: PAGE_OFFSET {page_offset:#x}, "
                           f"_text {text:#x}")
    if "OABI_COMPAT" in config:
        compat = int(config["OABI_COMPAT"] == "y")
    else:
        compat = int("sys_oabi_call_table" in k.symbols)
        derived.append("compat (from sys_oabi_call_table)")
    thumb2 = config.get("THUMB2_KERNEL") == "y"
    prof.string("str.arch", "arm")
    prof.number("const.ptr_size", 4)
    prof.number("const.va_bits", 32)
    prof.number("const.page_shift", 12)
    prof.number("const.page_size", 1 << 12)
    prof.number("const.pgtable_levels", 2)
    prof.number("const.randomize_base", 0)
    prof.number("const.compat", compat)
    prof.number("const.text_offset", text - page_offset)
    prof.address("const.page_offset", page_offset)
    prof.address("const.kva_start",
                 page_offset - (ARM_MODULES_SIZE_THUMB2 if thumb2 else ARM_MODULES_SIZE))
    if derived:
        notes.append("derived without a .config: " + ", ".join(derived))


def _constants(k: Kernel, prof: Profile, config: dict[str, str], notes: list[str]) -> None:
    if k.arch == "arm":
        _arm_constants(k, prof, config, notes)
        return
    text = prof.get("sym._text")
    assert isinstance(text, int)
    derived: list[str] = []

    va_bits = _config_int(config, "ARM64_VA_BITS")
    if va_bits is None:
        # The image lives at the start of the upper half: -(1 << (VA_BITS_MIN - 1)) + modules.
        va_bits = 65 - _leading_ones(text)
        derived.append("va_bits (from _text; a 52-bit kernel shows as 48)")
    page_shift = _config_int(config, "ARM64_PAGE_SHIFT")
    if page_shift is None:
        if k.page_shift_hint is None:
            raise ProfileError("page size unknown: give --config (no Image header flags or "
                               "_kernel_flags_le_lo32)")
        page_shift = k.page_shift_hint
        derived.append("page_shift (from the Image header flags, _kernel_flags_le_lo32)")
    levels = _config_int(config, "PGTABLE_LEVELS")
    if levels is None:
        levels = -(-(va_bits - page_shift) // (page_shift - 3))
        derived.append("pgtable_levels (from va_bits and page_shift)")
    if not (36 <= va_bits <= 52 and page_shift in (12, 14, 16) and 1 <= levels <= 5):
        raise ProfileError(f"implausible layout: va_bits {va_bits}, page_shift {page_shift}, "
                           f"levels {levels}")
    if "RANDOMIZE_BASE" in config:
        kaslr = int(config["RANDOMIZE_BASE"] == "y")
    else:
        kaslr = int(any(n in k.symbols for n in ("kaslr_init", "kaslr_early_init",
                                                  "__pi_kaslr_early_init")))
        derived.append("randomize_base (from kaslr_* symbols)")
    if "COMPAT" in config:
        compat = int(config["COMPAT"] == "y")
    else:
        compat = int("compat_sys_call_table" in k.symbols)
        derived.append("compat (from compat_sys_call_table)")
    text_offset = k.text_offset or 0
    prof.number("const.va_bits", va_bits)
    prof.number("const.page_shift", page_shift)
    prof.number("const.page_size", 1 << page_shift)
    prof.number("const.pgtable_levels", levels)
    prof.number("const.randomize_base", kaslr)
    prof.number("const.compat", compat)
    prof.number("const.text_offset", text_offset)
    prof.address("const.page_offset", (1 << 64) - (1 << va_bits))
    prof.address("const.kimage_vaddr", text - text_offset)
    if derived:
        notes.append("derived without a .config: " + ", ".join(derived))


def _banner(k: Kernel, prof: Profile) -> None:
    addr = prof.get("sym.linux_banner")
    assert isinstance(addr, int)
    raw = k.read(addr, 512)
    if raw is None or not raw.startswith(b"Linux version "):
        raise ProfileError("cannot read linux_banner from the kernel file")
    raw = raw.split(b"\0", 1)[0]
    banner = raw.decode("utf-8", "replace")
    prof.string("str.banner", banner)
    prof.string("str.release", banner.split()[2] if len(banner.split()) > 2 else "")


def _arm_syscall_tables(k: Kernel, prof: Profile, notes: list[str]) -> None:
    """sct.<n> (sys_call_table) and csct.<n> (sys_oabi_call_table, treated like a compat
    table): a 32-bit ARM kernel is not relocated, so each 4-byte slot holds its handler's
    link address in the file; the table's ELF size (or the next symbol) gives its length."""
    text = (prof.get("sym._stext"), prof.get("sym._etext"))
    assert isinstance(text[0], int) and isinstance(text[1], int)
    hint = " (or give --no-syscall-table to leave the tables out)"
    for name, (prefix, count) in ARM_TABLES.items():
        sym = k.symbols.get(name)
        if sym is None:
            continue
        bound = k.next_symbol(sym.addr)
        if bound is None and not sym.size:
            raise ProfileError(f"{name}: neither a size nor a symbol after it bounds the "
                               f"table{hint}")
        try:
            t = table_words(name, sym.addr, bound, k.read, text, sym.size)
        except ProfileError as e:
            raise ProfileError(f"{e}{hint}") from None
        prof.number(f"const.{count}", len(t.targets))
        for i, target in enumerate(t.targets):
            prof.address(f"{prefix}.{i}", target)
        notes.append(f"{name}: {len(t.targets)} slots, {len(set(t.targets))} distinct "
                     "handlers (link addresses in the file)")


def _syscall_tables(k: Kernel, prof: Profile, notes: list[str]) -> None:
    """sct.<n> and csct.<n>: what each slot of sys_call_table (compat_sys_call_table) holds
    as linked, from the kernel's R_AARCH64_RELATIVE relocations (RELA entries, or RELR
    entries with the link address in the file); const.sct_entries and const.csct_entries
    count the slots."""
    text = (prof.get("sym._stext"), prof.get("sym._etext"))
    assert isinstance(text[0], int) and isinstance(text[1], int)
    hint = " (or give --no-syscall-table to leave the tables out)"
    bounds = {}
    for name in TABLES:
        sym = k.symbols.get(name)
        if sym is None:
            continue
        bound = k.next_symbol(sym.addr)
        if bound is None:
            raise ProfileError(f"{name}: no symbol after it bounds the table{hint}")
        bounds[name] = (sym, bound)
    try:
        rela = k.relocations() if k.relocations is not None else b""
        relr = decode_relr(k.relr()) if k.relr is not None else []
        relocs = relocations_in(rela, [(s.addr, b) for s, b in bounds.values()], relr, k.read)
        tables = [table_slots(name, sym.addr, bound, relocs, k.read, text, sym.size)
                  for name, (sym, bound) in bounds.items()]
    except ProfileError as e:
        raise ProfileError(f"{e}{hint}") from None
    for t in tables:
        prefix, count = TABLES[t.name]
        prof.number(f"const.{count}", len(t.targets))
        for i, target in enumerate(t.targets):
            prof.address(f"{prefix}.{i}", target)
        notes.append(f"{t.name}: {len(t.targets)} slots, {len(set(t.targets))} distinct "
                     f"handlers ({len(rela) // RELA.size} RELA and {len(relr)} RELR "
                     "relocations)")


def build_profile(kernel_path: Path, system_map: Path | None = None,
                  config_path: Path | None = None, syscall_table: bool = True
                  ) -> BuildResult:
    t0 = time.perf_counter()
    k, f = open_kernel(kernel_path, system_map)
    try:
        notes = list(k.notes)
        prof = Profile()
        required = ARM_REQUIRED_SYMBOLS if k.arch == "arm" else REQUIRED_SYMBOLS
        optional = OPTIONAL_SYMBOLS + (ARM_OPTIONAL_SYMBOLS if k.arch == "arm" else ())
        for name in required + optional:
            sym = k.symbols.get(name)
            for alias in SYMBOL_ALIASES.get(name, ()):
                if sym is None and alias in k.symbols:
                    sym = k.symbols[alias]
                    notes.append(f"sym.{name} is {alias}")
            if sym is None:
                if name in required:
                    raise ProfileError(f"required symbol {name} not found in "
                                       f"{'System.map' if k.kind == 'image' else 'the symtab'}")
                continue
            prof.address(f"sym.{name}", sym.addr)
        t1 = time.perf_counter()
        if config_path is None:
            config_path = guess_sibling(kernel_path, "config")
            if config_path is not None:
                notes.append(f"using the kernel configuration {config_path}")
        config = parse_config(config_path) if config_path is not None else {}
        _structs(k, prof, notes)
        t2 = time.perf_counter()
        _constants(k, prof, config, notes)
        _banner(k, prof)
        if syscall_table:
            (_arm_syscall_tables if k.arch == "arm" else _syscall_tables)(k, prof, notes)
        else:
            notes.append("--no-syscall-table: no sct.<n>/csct.<n> keys")
        prof.text = _text_symbols(k, prof)
        if not prof.text:
            raise ProfileError("no text symbols between _text and _etext")
        prof.string("str.types", k.type_source)
        t3 = time.perf_counter()
        timings = dict(k.timings)
        timings.update({"symbols": t1 - t0, "types": t2 - t1, "rest": t3 - t2,
                        "total": t3 - t0})
        cus = getattr(k.types, "cus_visited", None)
        if cus is not None:
            notes.append(f"DWARF: visited {cus} compile units")
        return BuildResult(prof, notes, timings, k.type_source)
    finally:
        if f is not None:
            f.close()  # type: ignore[attr-defined]
