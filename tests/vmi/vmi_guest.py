# SPDX-License-Identifier: GPL-2.0-only
"""Real guest data for the VMI tests: boot Debian's arm64 cloud kernel under plain QEMU, record
ground truth over the serial console, stop the vCPU through QEMU's gdbstub (our own minimal GDB
remote-protocol client), read its system registers and save guest RAM with QMP `pmemsave`.

Every QEMU is killed on every path (context manager + atexit); the console transcript goes into
every error.
"""

from __future__ import annotations

import atexit
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

RAM_BASE = 0x4000_0000
PROMPT = "guest# "
_LIVE: set[subprocess.Popen[bytes]] = set()


def _kill_live() -> None:
    for p in list(_LIVE):
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        _LIVE.discard(p)


atexit.register(_kill_live)


class GuestError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- GDB remote protocol ------------------------------------------------------------------------


class GdbRemote:
    """Just enough of the GDB remote serial protocol: interrupt, stop reply, target
    description (qXfer:features:read) and single-register reads (p)."""

    def __init__(self, port: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def _recv_packet(self) -> str:
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = self.buf[start + 1:end]
                    cs = int(self.buf[end + 1:end + 3], 16)
                    self.buf = self.buf[end + 3:]
                    if sum(body) & 0xFF != cs:
                        self.sock.sendall(b"-")
                        continue
                    self.sock.sendall(b"+")
                    return self._unescape(body).decode("latin-1")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise GuestError("gdbstub closed the connection")
            self.buf += chunk

    @staticmethod
    def _unescape(body: bytes) -> bytes:
        out = bytearray()
        i = 0
        while i < len(body):
            c = body[i]
            if c == 0x7D and i + 1 < len(body):
                out.append(body[i + 1] ^ 0x20)
                i += 2
            elif c == 0x2A and out:  # run-length encoding: previous char repeated
                out += bytes([out[-1]]) * (body[i + 1] - 29)
                i += 2
            else:
                out.append(c)
                i += 1
        return bytes(out)

    def command(self, data: str) -> str:
        raw = data.encode()
        self.sock.sendall(b"$" + raw + b"#" + f"{sum(raw) & 0xFF:02x}".encode())
        return self._recv_packet()

    def interrupt(self) -> str:
        self.sock.sendall(b"\x03")
        return self._recv_packet()

    def xfer(self, annex: str) -> str:
        out, off = "", 0
        while True:
            r = self.command(f"qXfer:features:read:{annex}:{off:x},4000")
            if not r or r[0] not in "lm":
                raise GuestError(f"qXfer {annex}: {r!r}")
            out += r[1:]
            off += len(r) - 1
            if r[0] == "l":
                return out

    def register_numbers(self) -> dict[str, int]:
        """Register name -> number, from target.xml and the files it includes."""
        regs: dict[str, int] = {}
        nxt = 0

        def walk(annex: str) -> None:
            nonlocal nxt
            # QEMU's XML uses an undeclared xi: prefix: scan tags instead of parsing.
            for tag, attrs in re.findall(r"<(xi:include|reg)\b([^>]*)>", self.xfer(annex)):
                a = dict(re.findall(r'([\w:]+)="([^"]*)"', attrs))
                if tag == "xi:include":
                    walk(a["href"])
                else:
                    num = int(a.get("regnum", nxt))
                    regs[a["name"]] = num
                    nxt = num + 1

        walk("target.xml")
        return regs

    def read_register(self, num: int) -> int:
        r = self.command(f"p{num:x}")
        if not r or r.startswith("E") or len(r) % 2:
            raise GuestError(f"reading register {num}: {r!r}")
        return int.from_bytes(bytes.fromhex(r), "little")


# -- QMP ------------------------------------------------------------------------------------


class Qmp:
    def __init__(self, path: Path, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(120)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self) -> dict:
        while True:
            line = self.file.readline()
            if not line:
                raise GuestError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, cmd: str, **args: object) -> object:
        self.file.write(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        self.file.flush()
        r = self._read()
        if "error" in r:
            raise GuestError(f"QMP {cmd}: {r['error']}")
        return r.get("return")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


# -- the guest --------------------------------------------------------------------------------


@dataclass
class Capture:
    """What one boot gave: ground truth and the memory dump with registers."""

    proc_version: str
    ps: list[tuple[int, str]]
    kallsyms: dict[int, str]                # address -> name (syscall handlers, vectors)
    regs: dict[str, int]
    dump: Path
    ram_size: int
    transcript: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Guest:
    """A Debian cloud kernel with a busybox initramfs under QEMU virt (EL1, TCG)."""

    def __init__(self, image: Path, initrd: Path, workdir: Path, *, kaslr: bool,
                 mem_mb: int = 256) -> None:
        self.workdir = workdir
        self.mem_mb = mem_mb
        self.gdb_port = _free_port()
        self.qmp_path = workdir / "qmp.sock"
        append = "console=ttyAMA0 rdinit=/init" + ("" if kaslr else " nokaslr")
        self.argv = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "1",
                     "-m", f"{mem_mb}M", "-display", "none", "-monitor", "none",
                     "-serial", "stdio", "-kernel", str(image), "-initrd", str(initrd),
                     "-append", append, "-gdb", f"tcp:127.0.0.1:{self.gdb_port}",
                     "-qmp", f"unix:{self.qmp_path},server=on,wait=off", "-no-reboot"]
        self.out = bytearray()
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Guest:
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        _LIVE.add(self.proc)
        threading.Thread(target=self._reader, daemon=True).start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=10)
            _LIVE.discard(self.proc)

    def _reader(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            b = self.proc.stdout.read1(65536)
            if not b:
                return
            with self.lock:
                self.out += b

    def transcript(self) -> str:
        with self.lock:
            return self.out.decode("utf-8", "replace").replace("\r", "")

    def fail(self, msg: str) -> GuestError:
        text = self.transcript()
        if len(text) > 12000:
            text = "[...]\n" + text[-12000:]
        return GuestError(f"{msg}\n--- QEMU: {' '.join(self.argv)}\n--- console:\n{text}")

    def wait_for(self, pattern: str, start: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                i = self.out.find(pattern.encode(), start)
            if i >= 0:
                return i + len(pattern)
            if self.proc is not None and self.proc.poll() is not None:
                raise self.fail(f"QEMU exited ({self.proc.returncode}) waiting for {pattern!r}")
            time.sleep(0.05)
        raise self.fail(f"timed out after {timeout:.0f} s waiting for {pattern!r}")

    def run(self, cmd: str, timeout: float = 30.0) -> str:
        """Runs a shell command; its output between unique markers."""
        assert self.proc is not None and self.proc.stdin is not None
        tag = f"@@{time.monotonic_ns() % 10**9}@@"
        with self.lock:
            start = len(self.out)
        line = f"echo {tag}B; {cmd}; echo {tag}E\n"
        self.proc.stdin.write(line.encode())
        self.proc.stdin.flush()
        # Skip the echoed command line: the markers' output starts at line beginnings.
        b = self.wait_for(f"\n{tag}B", start, timeout)
        e = self.wait_for(f"\n{tag}E", b, timeout)
        with self.lock:
            text = self.out[b:e - len(tag) - 2].decode("utf-8", "replace")
        return text.replace("\r", "").strip("\n")

    def capture(self, dump: Path) -> Capture:
        return self.capture_with(
            dump, kallsyms=r"__arm64_sys_[a-z0-9_]+|vectors|__arm64_compat_sys_[a-z0-9_]+",
            boot_timeout=120, kallsyms_timeout=60, ram_base=RAM_BASE,
            stop=self._stop_and_read_registers)

    def capture_with(self, dump: Path, *, kallsyms: str, boot_timeout: float,
                     kallsyms_timeout: float, ram_base: int,
                     stop: Callable[[], dict[str, int]]) -> Capture:
        """The ground truth from the guest's shell (/proc/version, ps, the /proc/kallsyms
        lines whose names match `kallsyms`), then the vCPU stopped in the kernel (`stop`:
        its registers) and guest RAM from ram_base saved to dump."""
        self.wait_for(PROMPT, 0, boot_timeout)
        # Kernel messages off the console: a driver probing late (the Versatile's mouse)
        # once printed into the middle of /proc/version's line.
        self.run("dmesg -n 1")
        version = self.run("cat /proc/version")
        ps_text = self.run("ps -o pid,comm")
        ps = []
        for line in ps_text.splitlines()[1:]:
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[0].isdigit():
                ps.append((int(parts[0]), parts[1].strip()))
        syms = self.run(f"grep -E ' ({kallsyms})$' /proc/kallsyms", timeout=kallsyms_timeout)
        found: dict[int, str] = {}
        for line in syms.splitlines():
            parts = line.split()
            if len(parts) == 3:
                found[int(parts[0], 16)] = parts[2]
        if not ps or not found or "Linux version" not in version:
            raise self.fail("ground truth incomplete")
        # Let the shell go idle (the kernel's idle loop), then stop the vCPU.
        time.sleep(0.5)
        regs = stop()
        qmp = Qmp(self.qmp_path)
        try:
            qmp.execute("pmemsave", val=ram_base, size=self.mem_mb << 20, filename=str(dump))
        finally:
            qmp.close()
        return Capture(version.strip(), ps, found, regs, dump, self.mem_mb << 20,
                       self.transcript(), {"kallsyms_all": syms})

    WANT = ("TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "SCTLR_EL1", "VBAR_EL1", "SP_EL0", "pc",
            "cpsr")

    def _stop_and_read_registers(self) -> dict[str, int]:
        gdb = GdbRemote(self.gdb_port)
        try:
            gdb.command("qSupported:xmlRegisters=aarch64")
            gdb.command("?")  # QEMU stops the VM when a debugger attaches
            nums = gdb.register_numbers()
            for _ in range(20):
                # QEMU names some EL1 registers without the suffix (SCTLR, VBAR).
                found = {n: nums.get(n, nums.get(n.removesuffix("_EL1"))) for n in self.WANT}
                missing = [n for n, num in found.items() if num is None]
                if missing:
                    raise self.fail(f"gdbstub lacks registers {missing}")
                regs = {n: gdb.read_register(num) for n, num in found.items()
                        if num is not None}
                if (regs["cpsr"] >> 2) & 3 == 1:  # stopped at EL1: TTBR1 is the kernel's
                    return regs
                gdb.sock.sendall(b"$c#63")  # continue (no reply until the next stop)
                time.sleep(0.2)
                gdb.interrupt()
            raise self.fail("the vCPU never stopped at EL1")
        finally:
            gdb.close()


def guest_files(workdir: Path) -> tuple[Path, Path, str]:
    """(kernel Image, initramfs, release) for the default Debian guest."""
    from mamoru import guest_assets

    k = guest_assets.cloud_kernel()
    initrd = guest_assets.build_initramfs(workdir / "initramfs.cpio",
                                          guest_assets.default_init_script())
    return k.image, initrd, k.version


def capture_guest(workdir: Path, *, kaslr: bool, mem_mb: int = 256,
                  image: Path | None = None) -> Capture:
    """Boots the default guest (or another kernel `image` with the same initramfs) and
    captures it."""
    if image is None:
        image, initrd, _ = guest_files(workdir)
    else:
        from mamoru import guest_assets

        initrd = guest_assets.build_initramfs(workdir / "initramfs.cpio",
                                              guest_assets.default_init_script())
    dump = workdir / f"ram-{'kaslr' if kaslr else 'nokaslr'}.bin"
    with Guest(image, initrd, workdir, kaslr=kaslr, mem_mb=mem_mb) as g:
        try:
            return g.capture(dump)
        except (OSError, GuestError, ValueError) as e:
            if isinstance(e, GuestError):
                raise
            raise g.fail(f"capture failed: {e!r}") from e


def write_regs(path: Path, regs: dict[str, int]) -> Path:
    """The register file vmi_tool reads: 'name value' lines."""
    names = {"TTBR0_EL1": "ttbr0_el1", "TTBR1_EL1": "ttbr1_el1", "TCR_EL1": "tcr_el1",
             "SCTLR_EL1": "sctlr_el1", "VBAR_EL1": "vbar_el1", "SP_EL0": "sp_el0", "pc": "pc"}
    path.write_text("".join(f"{names[k]} {v:#x}\n" for k, v in regs.items() if k in names))
    return path

