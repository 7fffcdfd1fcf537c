# SPDX-License-Identifier: GPL-2.0-only
"""Struct layouts from a vmlinux's DWARF, read with pyelftools without walking all of it.

A distribution vmlinux carries ~200 MB of .debug_info in thousands of compile units; parsing all
of them takes minutes and gigabytes. The structs the profile needs are defined in headers, so
any compile unit that dereferences them holds a complete definition. The search order is:

1. .debug_pubtypes, when the kernel has one (it names the CU and DIE of each type);
2. the first compile units in link order (init/main.c comes first and uses task_struct,
   cred, mm_struct, pid, module ...), stopping at the first one that defines task_struct;
3. for what is still missing, the compile unit of a function known to use the struct
   (located through .debug_aranges from the function's address), e.g. xa_node via xa_load;
4. further compile units in order, up to a bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from elftools.dwarf.compileunit import CompileUnit
from elftools.dwarf.die import DIE
from elftools.dwarf.dwarfinfo import DWARFInfo

from mamoru.profile.errors import ProfileError
from mamoru.profile.layout import Member, Struct

# Functions whose compile unit defines a struct that the first CUs may only declare.
HINTS: dict[str, tuple[str, ...]] = {
    "xa_node": ("xa_load", "xas_load", "idr_find", "radix_tree_lookup"),
    "xarray": ("xa_load", "idr_find"),
    "idr": ("idr_find", "idr_alloc"),
    "pid_namespace": ("find_pid_ns", "alloc_pid"),
    "pid": ("find_pid_ns", "alloc_pid"),
    "upid": ("find_pid_ns", "alloc_pid"),
    "module": ("__module_address", "load_module", "module_put"),
    "module_layout": ("__module_address", "load_module"),
    "module_memory": ("__module_address", "load_module"),
    "mm_struct": ("mmput", "__mmdrop", "exit_mmap"),
    "cred": ("prepare_creds", "commit_creds"),
    "task_struct": ("do_exit", "copy_process"),
    "kprobe": ("register_kprobe", "unregister_kprobe"),
    "ftrace_ops": ("register_ftrace_function", "ftrace_set_filter"),
    "kset": ("kset_register", "load_module"),
    "kobject": ("kobject_add", "load_module"),
    "module_kobject": ("load_module", "module_param_sysfs_setup"),
    # ids net
    "sock_common": ("tcp_v4_rcv", "__inet_lookup_established"),
    "sock": ("tcp_v4_rcv", "__inet_lookup_established"),
    "inet_hashinfo": ("__inet_lookup_established", "inet_hash"),
    "inet_ehash_bucket": ("__inet_lookup_established", "inet_hash"),
    "inet_listen_hashbucket": ("__inet_lookup_listener", "inet_hash"),
    "hlist_nulls_head": ("__inet_lookup_established", "tcp_v4_rcv"),
    "hlist_nulls_node": ("__inet_lookup_established", "tcp_v4_rcv"),
    "udp_table": ("udp4_seq_show", "__udp4_lib_lookup", "udp_lib_get_port"),
    "udp_hslot": ("udp4_seq_show", "__udp4_lib_lookup", "udp_lib_get_port"),
    "socket": ("sock_alloc_file", "__sys_socket"),
    "file": ("sock_alloc_file", "fd_install"),
    "files_struct": ("fd_install", "close_fd"),
    "fdtable": ("fd_install", "close_fd"),
    "net": ("proc_create_net_data", "copy_net_ns"),
    "proc_dir_entry": ("proc_create_net_data", "proc_register", "pde_free"),
    "rb_root": ("proc_register", "rb_insert_color"),
    "rb_node": ("proc_register", "rb_insert_color"),
    "seq_operations": ("seq_read_iter", "seq_read"),
}
FIRST_CUS = 64          # how far step 2 looks for task_struct
LAST_CU = 400           # bound for step 4
_MAX_DEPTH = 64
_QUALIFIERS = {
    "DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type",
    "DW_TAG_atomic_type", "DW_TAG_immutable_type", "DW_TAG_shared_type",
}
_AGGREGATES = ("DW_TAG_structure_type", "DW_TAG_union_type")


def _name(die: DIE) -> str | None:
    attr = die.attributes.get("DW_AT_name")
    if attr is None:
        return None
    v = attr.value
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _complete(die: DIE) -> bool:
    return "DW_AT_declaration" not in die.attributes and "DW_AT_byte_size" in die.attributes


def _uleb(data: list[int], at: int) -> int:
    result = shift = 0
    for b in data[at:]:
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result
    raise ProfileError("truncated ULEB128 in a DWARF location")


class DwarfTypes:
    """The TypeSource over pyelftools' DWARFInfo, visiting as few compile units as it can."""

    def __init__(self, dwarf: DWARFInfo, symbol_address: Callable[[str], int | None]) -> None:
        self.dwarf = dwarf
        self.symbol_address = symbol_address
        self.cus_visited = 0
        self._seen: set[int] = set()
        self._structs: dict[str, DIE] = {}
        self._enums: dict[str, int] = {}
        self._searched = False

    # -- search ---------------------------------------------------------------------------

    def _scan(self, cu: CompileUnit, structs: set[str], enums: set[str]) -> None:
        if cu.cu_offset in self._seen:
            return
        self._seen.add(cu.cu_offset)
        self.cus_visited += 1
        for die in cu.get_top_DIE().iter_children():
            tag = die.tag
            if tag in _AGGREGATES:
                name = _name(die)
                if name in structs and name not in self._structs and _complete(die):
                    self._structs[name] = die
            elif tag == "DW_TAG_enumeration_type" and enums:
                for e in die.iter_children():
                    n = _name(e)
                    if n in enums and n not in self._enums:
                        self._enums[n] = int(e.attributes["DW_AT_const_value"].value)

    def _missing(self, structs: set[str], enums: set[str]) -> bool:
        return bool(structs - self._structs.keys() or enums - self._enums.keys())

    def _pubtypes(self, structs: set[str]) -> None:
        try:
            lut = self.dwarf.get_pubtypes()
        except Exception:
            return
        if lut is None:
            return
        for name in structs:
            entry = lut.get(name)
            if entry is not None and name not in self._structs:
                self._scan(self.dwarf.get_CU_at(entry.cu_ofs), structs, set())

    def _hinted(self, structs: set[str], enums: set[str]) -> None:
        try:
            aranges = self.dwarf.get_aranges()
        except Exception:
            aranges = None
        if aranges is None:
            return
        for name in sorted(structs - self._structs.keys()):
            for fn in HINTS.get(name, ()):
                addr = self.symbol_address(fn)
                if addr is None:
                    continue
                off = aranges.cu_offset_at_addr(addr)
                if off is None:
                    continue
                self._scan(self.dwarf.get_CU_at(off), structs, enums)
                if name in self._structs:
                    break

    def _in_order(self) -> Iterator[CompileUnit]:
        for i, cu in enumerate(self.dwarf.iter_CUs()):
            if i >= LAST_CU:
                return
            yield cu

    def search(self, structs: Iterable[str], enums: Iterable[str],
               required: Iterable[str] | None = None) -> None:
        """Finds the definitions; only the `required` names (default: all structs) make it
        scan compile units beyond the first ones and the hinted ones."""
        self._searched = True
        want_s, want_e = set(structs), set(enums)
        must = set(want_s if required is None else required)
        self._pubtypes(want_s)
        cus = self._in_order()
        if "task_struct" in want_s and "task_struct" not in self._structs:
            for i, cu in enumerate(cus):
                self._scan(cu, want_s, want_e)
                if "task_struct" in self._structs or i >= FIRST_CUS:
                    break
        if self._missing(want_s, want_e):
            self._hinted(want_s, want_e)
        if must - self._structs.keys():
            for cu in cus:
                self._scan(cu, want_s, want_e)
                if not must - self._structs.keys():
                    break

    # -- layouts --------------------------------------------------------------------------

    def _ref(self, die: DIE) -> DIE | None:
        if "DW_AT_type" not in die.attributes:
            return None
        return die.get_DIE_from_attribute("DW_AT_type")

    def _strip(self, die: DIE | None) -> DIE | None:
        for _ in range(_MAX_DEPTH):
            if die is None or die.tag not in _QUALIFIERS:
                return die
            die = self._ref(die)
        raise ProfileError("DWARF type chain too deep")

    def size_of(self, die: DIE | None) -> int:
        die = self._strip(die)
        if die is None:
            return 0
        if "DW_AT_byte_size" in die.attributes:
            return int(die.attributes["DW_AT_byte_size"].value)
        if die.tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_ptr_to_member_type"):
            return int(die.cu.header["address_size"])
        if die.tag == "DW_TAG_array_type":
            n = 1
            for sub in die.iter_children():
                if sub.tag != "DW_TAG_subrange_type":
                    continue
                a = sub.attributes
                if "DW_AT_count" in a:
                    n *= int(a["DW_AT_count"].value)
                elif "DW_AT_upper_bound" in a:
                    lo = int(a["DW_AT_lower_bound"].value) if "DW_AT_lower_bound" in a else 0
                    n *= int(a["DW_AT_upper_bound"].value) - lo + 1
                else:
                    n = 0          # flexible array member
            return n * self.size_of(self._ref(die))
        return 0

    @staticmethod
    def _location(attr: Any) -> int:
        v = attr.value
        if isinstance(v, int):
            return v
        if isinstance(v, list) and v and v[0] == 0x23:      # DW_OP_plus_uconst
            return _uleb(v, 1)
        raise ProfileError(f"unsupported DWARF member location {v!r}")

    def _member_bit_offset(self, m: DIE, size: int) -> tuple[int, int]:
        a = m.attributes
        bit_size = int(a["DW_AT_bit_size"].value) if "DW_AT_bit_size" in a else 0
        if "DW_AT_data_bit_offset" in a:
            return int(a["DW_AT_data_bit_offset"].value), bit_size
        byte = self._location(a["DW_AT_data_member_location"]) \
            if "DW_AT_data_member_location" in a else 0
        if bit_size and "DW_AT_bit_offset" in a:            # DWARF 2/3, counted from the MSB
            storage = int(a["DW_AT_byte_size"].value) if "DW_AT_byte_size" in a else size
            return byte * 8 + storage * 8 - int(a["DW_AT_bit_offset"].value) - bit_size, bit_size
        return byte * 8, bit_size

    def _flatten(self, die: DIE, base: int, into: Struct, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise ProfileError("DWARF anonymous members nested too deep")
        for m in die.iter_children():
            if m.tag != "DW_TAG_member":
                continue
            mtype = self._ref(m)
            size = self.size_of(mtype)
            bit_off, bit_size = self._member_bit_offset(m, size)
            name = _name(m)
            if name is None:
                inner = self._strip(mtype)
                if inner is not None and inner.tag in _AGGREGATES:
                    self._flatten(inner, base + bit_off, into, depth + 1)
                continue
            into.members.setdefault(name, Member(name, base + bit_off, size, bit_size))

    # -- the TypeSource protocol ----------------------------------------------------------

    def structs(self, names: Iterable[str]) -> dict[str, Struct]:
        names = list(names)
        if not self._searched:
            self.search(names, ())
        out = {}
        for name in names:
            die = self._structs.get(name)
            if die is not None:
                s = Struct(name, int(die.attributes["DW_AT_byte_size"].value))
                self._flatten(die, 0, s, 0)
                out[name] = s
        return out

    def enumerators(self, names: Iterable[str]) -> dict[str, int]:
        names = list(names)
        if not self._searched:
            self.search((), names, ())
        return {n: self._enums[n] for n in names if n in self._enums}
