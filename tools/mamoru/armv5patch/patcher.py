# SPDX-License-Identifier: GPL-2.0-only
"""Patch a vmlinux (to a raw Image) or a module (to a .ko): every sensitive word in an `$a`
region becomes `SVC<cond> #imm24` (mamoru.armv5patch.encoding); `$d` data and literal pools
are never touched, `$t` Thumb regions are skipped and reported."""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mamoru.armv5patch import encoding as enc
from mamoru.armv5patch.classify import COUNTED, PATCHED, UNPATCHED, classify
from mamoru.armv5patch.elfscan import ElfInfo, PatchError, build_image, read


@dataclass
class Site:
    section: str
    address: int   # sh_addr + offset (the section offset in a module)
    offset: int    # file offset
    kind: str
    original: int
    patched: int
    side_index: int | None = None


@dataclass
class PatchResult:
    relocatable: bool
    sites: list[Site] = field(default_factory=list)
    counted: Counter[str] = field(default_factory=Counter)
    unpatched: list[dict[str, object]] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)  # Thumb / unmapped regions
    per_section: dict[str, Counter[str]] = field(default_factory=dict)
    side_table: list[int] = field(default_factory=list)
    output: bytes = b""

    def counts(self) -> dict[str, int]:
        c = Counter(s.kind for s in self.sites)
        return {k: c[k] for k in PATCHED}


def patch_bytes(data: bytes) -> PatchResult:
    info: ElfInfo = read(data)
    out = bytearray(data)
    res = PatchResult(info.relocatable)
    for sec in info.sections:
        per = res.per_section.setdefault(sec.name, Counter())
        for reg in sec.regions:
            if reg.kind in ("t", "unmapped"):
                res.skipped.append({"section": sec.name, "address": sec.addr + reg.start,
                                    "size": reg.end - reg.start,
                                    "reason": "Thumb code" if reg.kind == "t"
                                    else "no mapping symbol"})
                continue
            if reg.kind != "a":
                continue
            start = (reg.start + 3) & ~3
            for off in range(start, reg.end - 3, 4):
                fo = sec.offset + off
                word = struct.unpack_from("<I", data, fo)[0]
                c = classify(word)
                if c is None:
                    continue
                name, kind = c
                addr = sec.addr + off
                if kind is None:
                    if name in UNPATCHED:
                        res.unpatched.append({"section": sec.name, "address": addr,
                                              "kind": name, "word": word})
                    else:
                        res.counted[name] += 1
                    continue
                if any(off - 3 <= r <= off + 3 for r in sec.reloc_targets):
                    raise PatchError(f"{sec.name}+{off:#x}: the sensitive instruction "
                                     f"{word:#010x} ({name}) is the target of a relocation; "
                                     "patching it would be undone or corrupted at load time")
                side = None
                try:
                    imm = enc.compact_imm(word, kind)
                except enc.NoCompactForm:
                    side = len(res.side_table)
                    if side >= enc.SIDE_MAX:
                        raise PatchError("side table full") from None
                    res.side_table.append(word)
                    imm = enc.SIDE.code << enc.KIND_SHIFT | side
                new = enc.svc(word >> 28, imm)
                struct.pack_into("<I", out, fo, new)
                res.sites.append(Site(sec.name, addr, fo, name, word, new, side))
                per[name] += 1
    res.output = bytes(out) if info.relocatable else build_image(bytes(out), info.image)
    return res


def side_table_bytes(table: list[int]) -> bytes:
    return struct.pack(f"<{len(table)}I", *table)


def report_dict(res: PatchResult, source: str) -> dict[str, object]:
    return {
        "input": source,
        "type": "module" if res.relocatable else "vmlinux",
        "patched": res.counts(),
        "patched_total": len(res.sites),
        "side_table_entries": len(res.side_table),
        "counted": {k: res.counted[k] for k in COUNTED},
        "per_section": {s: dict(c) for s, c in res.per_section.items() if c},
        "unpatched": [dict(u, address=f"{u['address']:#x}", word=f"{u['word']:#010x}")
                      for u in res.unpatched],
        "skipped": [dict(s, address=f"{s['address']:#x}") for s in res.skipped],
        "side_table": [f"{w:#010x}" for w in res.side_table],
        "sites": [{"section": s.section, "address": f"{s.address:#x}", "kind": s.kind,
                   "original": f"{s.original:#010x}", "svc": f"{s.patched:#010x}"}
                  for s in res.sites],
    }


def report_text(res: PatchResult, source: str) -> str:
    lines = [f"patch-guest: {source} ({'module' if res.relocatable else 'vmlinux'}): "
             f"{len(res.sites)} sites patched, {len(res.side_table)} through the side table"]
    lines += [f"  {k:16} {n}" for k, n in res.counts().items()]
    lines.append("counted, not patched (trap as undefined in USR mode):")
    lines += [f"  {k:16} {res.counted[k]}" for k in COUNTED]
    lines.append("per section:")
    for s, c in res.per_section.items():
        if c:
            lines.append(f"  {s:16} " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())))
    for u in res.unpatched:
        lines.append(f"unpatched: {u['section']} {u['address']:#x} {u['kind']} "
                     f"{u['word']:#010x} (UNPREDICTABLE on ARMv5)")
    for s in res.skipped:
        lines.append(f"skipped: {s['section']} {s['address']:#x} +{s['size']:#x} "
                     f"({s['reason']})")
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, data: bytes) -> None:
    """Write all of `data` or nothing: no partial output file is left behind."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is not what a plain write gives
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dumps_json(d: dict[str, object]) -> str:
    return json.dumps(d, indent=1) + "\n"
