# SPDX-License-Identifier: GPL-2.0-only
"""The IDS test attack module (tests/guest_module/mamoru_attack.c) for the versatilepb guest:
built against the versatile kernel (mamoru.versatilekernel) with `arm-linux-gnueabi-`, then
patched for software virtualization like the kernel itself (mamoru.armv5patch): the patched
.ko is what goes into the guest's initramfs (mamoru.versatile_guest) at
mamoru.guest_module.GUEST_MODULE_PATH.

An external module needs the kernel's build tree, which the kernel's cached build deletes.
The tree is made once per kernel build, beside it: linux-source unpacked again (without the
sources no module build reads: Documentation, other architectures, the C files of drivers,
fs, net, sound), the build's .config, `make olddefconfig modules_prepare`, and a
Module.symvers written from the vmlinux's export tables (MODVERSIONS is off, so every CRC is
0: modpost only wants to know which symbols exist, and whether GPL-only). About two minutes
on 2 cores, most of it xz. Cache layout, under the kernel build's directory:

    versatile-kernel/<build>/module-tree/        src/ and obj/ (O=); .ok when complete
    versatile-kernel/<build>/module-<hash>/      <hash>: the module's sources, the patcher
                                                 (older ones stay: another checkout may use
                                                 them; about 400 KB each)
        mamoru_attack.ko          as built (unpatched)
        mamoru_attack.patched.ko  what the guest loads
        report.json               the patcher's report (--json form)
        .ok                       written last
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mamoru import debian, paths, versatilekernel
from mamoru.guest_module import MODULE_NAME, SOURCE_DIR, check_vermagic
from mamoru.kernelbuild import KernelBuildError, run_logged, unpack_source
from mamoru.versatilekernel import ARCH, CROSS_COMPILE, VersatileKernel

HERE = Path(__file__).parent
# The versatile kernel's getdents64 (ARM EABI number 217): the module's default hook there.
HOOKED_SYSCALL = 217
HOOKED_HANDLER = "sys_getdents64"
# A text symbol /proc/kallsyms lists (for mamoru.guest_module.runtime_sct: no KASLR here, so
# its runtime address is its link address and the slide is 0).
SLIDE_SYMBOL = "sys_read"
BUILD_TIMEOUT = 300.0
TOOLS = ("gcc", "ld", "objcopy", "nm")
# Unpacked with the tree but never read by an external module's build (every Kconfig is:
# olddefconfig reads them all).
_OTHER_ARCHES = ("alpha", "arc", "arm64", "csky", "hexagon", "ia64", "loongarch", "m68k",
                 "microblaze", "mips", "nios2", "openrisc", "parisc", "powerpc", "riscv",
                 "s390", "sh", "sparc", "um", "x86", "xtensa")
TREE_EXCLUDES = ("*/Documentation/*.rst", "*/Documentation/*.txt", "*/Documentation/*.yaml",
                 "*/drivers/*.c", "*/fs/*.c", "*/net/*.c",
                 "*/sound/*.c", "*/tools/testing/*",
                 *(f"*/arch/{a}/*.[chS]" for a in _OTHER_ARCHES),   # Kconfig is read
                 *(f"*/arch/{a}/*.dts*" for a in _OTHER_ARCHES))


class VersatileModuleError(RuntimeError):
    """The versatile attack module cannot be built or patched (one message, with the tool's
    output when there is one)."""


@dataclass(frozen=True)
class VersatileModule:
    """The attack module for one versatile kernel: as built, as patched, and the report."""

    built: Path
    patched: Path
    report: Path

    def report_dict(self) -> dict[str, object]:
        data = json.loads(self.report.read_text())
        assert isinstance(data, dict)
        return data


def _note(msg: str) -> None:
    print(f"versatile-module: {msg}", file=sys.stderr, flush=True)


def check_tools() -> None:
    """Raises VersatileModuleError naming the first missing tool and its package."""
    for tool in TOOLS:
        if shutil.which(CROSS_COMPILE + tool) is None:
            raise VersatileModuleError(f"{CROSS_COMPILE}{tool} not found: install "
                                       "gcc-arm-linux-gnueabi (`./mamoru setup`)")
    for tool in ("make", "tar", "xz", "gcc"):
        if shutil.which(tool) is None:
            raise VersatileModuleError(f"{tool} not found (`./mamoru setup`)")


def make_argv(tree: Path, module_dir: Path, target: str = "modules") -> list[str]:
    """The make command line building the module in module_dir against tree (src/, obj/)."""
    return ["make", "-C", str(tree / "obj"), f"M={module_dir}", f"ARCH={ARCH}",
            f"CROSS_COMPILE={CROSS_COMPILE}", target]


def tree_argv(tree: Path, *targets: str) -> list[str]:
    """The make command line preparing the tree (kernel sources in src/, output in obj/)."""
    return ["make", "-C", str(tree / "src"), f"O={tree / 'obj'}", f"ARCH={ARCH}",
            f"CROSS_COMPILE={CROSS_COMPILE}", *targets]


def symvers_lines(vmlinux: Path) -> list[str]:
    """Module.symvers of vmlinux: `0x00000000<TAB>sym<TAB>vmlinux<TAB>EXPORT_SYMBOL[_GPL]<TAB>
    namespace` for each `__ksymtab_<sym>` symbol (its section says whether GPL-only; its
    namespace is the string `__kstrtabns_<sym>` points at)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with vmlinux.open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            raise VersatileModuleError(f"{vmlinux} has no symbol table")
        sections = [elf.get_section(i) for i in range(elf.num_sections())]
        exports: dict[str, str] = {}
        namespaces: dict[str, int] = {}
        for sym in symtab.iter_symbols():
            shndx = sym["st_shndx"]
            if not isinstance(shndx, int):
                continue
            if sym.name.startswith("__ksymtab_"):
                sec = sections[shndx].name
                if sec in ("__ksymtab", "__ksymtab_gpl"):
                    exports[sym.name.removeprefix("__ksymtab_")] = (
                        "EXPORT_SYMBOL_GPL" if sec == "__ksymtab_gpl" else "EXPORT_SYMBOL")
            elif sym.name.startswith("__kstrtabns_"):
                namespaces[sym.name.removeprefix("__kstrtabns_")] = sym["st_value"]

        def string_at(addr: int) -> str:
            for sec in sections:
                lo = sec["sh_addr"]
                if sec["sh_type"] != "SHT_NOBITS" and lo <= addr < lo + sec["sh_size"]:
                    data = sec.data()
                    off = addr - lo
                    return data[off:data.index(b"\0", off)].decode()
            return ""

        if not exports:
            raise VersatileModuleError(f"{vmlinux} exports nothing (no __ksymtab_ symbols)")
        return [f"0x00000000\t{name}\tvmlinux\t{kind}\t"
                f"{string_at(namespaces[name]) if name in namespaces else ''}"
                for name, kind in sorted(exports.items())]


def tree_dir(k: VersatileKernel) -> Path:
    return k.directory / "module-tree"


def _source_deb(k: VersatileKernel) -> Path:
    """The linux-source .deb the kernel was built from (named in its build stamp)."""
    try:
        package = json.loads((k.directory / ".ok").read_text())["package"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise VersatileModuleError(f"{k.directory}/.ok does not name its package: {e}") from e
    deb = paths.cache_dir() / "debs" / package
    if deb.is_file():
        return deb
    name = package.split("_")[0]
    try:
        return debian.apt_download(name, paths.cache_dir() / "debs")
    except debian.DebianError as e:
        raise VersatileModuleError(f"cannot fetch {package}: {e}") from e


def module_tree(k: VersatileKernel) -> Path:
    """The prepared build tree for external modules of k (made once, see the docstring)."""
    tree = tree_dir(k)
    if (tree / ".ok").is_file():
        return tree
    check_tools()
    with paths.locked(k.directory, ".module-tree.lock"):
        if (tree / ".ok").is_file():
            return tree
        deb = _source_deb(k)
        # Made where it stays (its Makefiles name their absolute paths); complete once .ok
        # is written, removed on any failure.
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir()
        log = tree / "build.log"
        try:
            _note(f"preparing the module build tree of {k.version} from {deb.name} "
                  f"(about 2 minutes; log {log})")
            unpack_source(deb, tree / "src", log, TREE_EXCLUDES)
            (tree / "obj").mkdir()
            shutil.copy2(k.config, tree / "obj" / ".config")
            run_logged(tree_argv(tree, "olddefconfig", "modules_prepare"), log)
            release = (tree / "obj" / "include" / "config" / "kernel.release").read_text()
            if release.strip() != k.version:
                raise VersatileModuleError(f"the module tree is for {release.strip()!r}, "
                                           f"the kernel is {k.version!r}")
            (tree / "obj" / "Module.symvers").write_text(
                "\n".join(symvers_lines(k.vmlinux)) + "\n")
            (tree / ".ok").write_text(f"{deb.name}\n")
        except KernelBuildError as e:
            shutil.rmtree(tree, ignore_errors=True)
            raise VersatileModuleError(str(e)) from e
        except BaseException:
            shutil.rmtree(tree, ignore_errors=True)
            raise
    return tree


def module_sources() -> list[Path]:
    return sorted(p for p in SOURCE_DIR.iterdir()
                  if p.is_file() and (p.suffix in (".c", ".h") or p.name == "Kbuild"))


def module_hash(k: VersatileKernel) -> str:
    """Digest of what the patched module is made from: release, sources, patcher."""
    h = hashlib.sha256(f"{k.version}\0{CROSS_COMPILE}\0".encode())
    for p in [*module_sources(), *sorted((HERE / "armv5patch").glob("*.py"))]:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _cached(d: Path) -> VersatileModule | None:
    m = VersatileModule(d / f"{MODULE_NAME}.ko", d / f"{MODULE_NAME}.patched.ko",
                        d / "report.json")
    if (d / ".ok").is_file() and all(p.is_file() for p in (m.built, m.patched, m.report)):
        return m
    return None


def build_attack_module(k: VersatileKernel | None = None) -> VersatileModule:
    """The attack module for k (default: the cached or built versatile kernel), built and
    patched; cached by module_hash. Raises VersatileModuleError on a missing tool, a
    compiler error, or a module the patcher cannot patch (or that needs a side table: the
    hypervisor loads the kernel's only)."""
    from mamoru.armv5patch.elfscan import PatchError
    from mamoru.armv5patch.patcher import dumps_json, patch_bytes, report_dict

    k = k or versatilekernel.versatile_kernel()
    d = k.directory / f"module-{module_hash(k)}"
    hit = _cached(d)
    if hit is not None:
        return hit
    check_tools()
    tree = module_tree(k)
    with paths.locked(k.directory, ".module.lock"):
        hit = _cached(d)
        if hit is not None:
            return hit
        tmp = Path(tempfile.mkdtemp(prefix=".module-", dir=k.directory))
        try:
            build = tmp / "build"
            build.mkdir()
            for p in module_sources():
                shutil.copy2(p, build / p.name)
            argv = make_argv(tree, build)
            try:
                r = subprocess.run(argv, capture_output=True, text=True, check=False,
                                   timeout=BUILD_TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired as e:
                raise VersatileModuleError(f"{' '.join(argv)} took over "
                                           f"{BUILD_TIMEOUT:.0f} s") from e
            ko = build / f"{MODULE_NAME}.ko"
            out = (r.stdout + r.stderr).strip()
            if r.returncode != 0 or not ko.is_file():
                raise VersatileModuleError(f"building {MODULE_NAME}.ko for {k.version} failed "
                                           f"({' '.join(argv)}):\n{out[-6000:]}")
            try:
                check_vermagic(ko, k.version)
            except RuntimeError as e:
                raise VersatileModuleError(str(e)) from e
            warnings = [line for line in out.splitlines() if "warning" in line.lower()]
            if warnings:
                _note("build warnings:\n" + "\n".join(warnings))
            try:
                res = patch_bytes(ko.read_bytes())
            except PatchError as e:
                raise VersatileModuleError(f"patch-guest: {ko.name}: {e}") from e
            if res.side_table:
                raise VersatileModuleError(
                    f"{ko.name}: {len(res.side_table)} site(s) need the side table, which "
                    "the hypervisor keeps for the kernel only")
            shutil.copy2(ko, tmp / f"{MODULE_NAME}.ko")
            (tmp / f"{MODULE_NAME}.patched.ko").write_bytes(res.output)
            (tmp / "report.json").write_text(dumps_json(report_dict(res, ko.name)))
            shutil.rmtree(build)
            (tmp / ".ok").write_text(f"{len(res.sites)} sites\n")
            shutil.rmtree(d, ignore_errors=True)
            os.replace(tmp, d)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    hit = _cached(d)
    if hit is None:
        raise VersatileModuleError(f"the module build in {d} is incomplete")
    return hit


def main() -> int:
    """`python -m mamoru.versatile_module`: build (or find) the module and print its files."""
    try:
        m = build_attack_module()
    except (VersatileModuleError, KernelBuildError) as e:
        print(f"versatile-module: {e}", file=sys.stderr)
        return 1
    rep = m.report_dict()
    print(f"built {m.built}\npatched {m.patched}\nreport {m.report}\n"
          f"sites {rep.get('patched_total')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
