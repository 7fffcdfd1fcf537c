# SPDX-License-Identifier: GPL-2.0-only
"""QEMU command lines for every board, and a Qemu process wrapper with a console.

This is the one place that knows how Mamoru is run under QEMU: `./mamoru run`,
the pytest fixtures and the benchmarks all build their command lines here.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

import serial

from mamoru import paths, qemu_dtb
from mamoru.boards import BOARDS, DEFAULT_BOARD, Board, BoardConfig, UartName, gic_versions
from mamoru.console import Console
from mamoru.guest_assets import TELNET_PORT

ChardevKind = Literal["tcp", "pty", "stdio"]


def qemu_binary(board: Board | None = None) -> str:
    """$MAMORU_QEMU, else the board architecture's emulator (boards/boards.toml)."""
    arch = (board or BOARDS[DEFAULT_BOARD]).arch
    return os.environ.get("MAMORU_QEMU", arch.qemu)


class QemuError(Exception):
    pass


@dataclass(frozen=True)
class Chardev:
    """Where the console UART goes: a TCP server socket, a pty, or this terminal."""

    kind: ChardevKind
    port: int = 0   # tcp only

    def serial_arg(self) -> str:
        """The -serial value for a console on one UART."""
        if self.kind == "tcp":
            return f"tcp:127.0.0.1:{self.port},server=on,wait=on"
        if self.kind == "pty":
            return "pty"
        return "mon:stdio"

    def chardev_arg(self, ident: str) -> str:
        """A -chardev value multiplexing the console over both UARTs."""
        if self.kind == "tcp":
            return (
                f"socket,id={ident},host=127.0.0.1,port={self.port},"
                "server=on,wait=on,mux=on"
            )
        if self.kind == "pty":
            return f"pty,id={ident},mux=on"
        return f"stdio,id={ident},mux=on"


def qemu_argv(
    config: BoardConfig,
    console: Chardev,
    *,
    image: Path | None = None,
    gic: int | None = None,
    console_uart: UartName | None = None,
    dtb: Path | None = None,
    no_dtb: bool = False,
    virtualization: bool = True,
    append: str | None = None,
    initrd: Path | None = None,
    cpu: str | None = None,
    net_port: int | None = None,
    disk: Path | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The full QEMU command line for config, from its board's board.toml.

    console_uart: one of the board's uarts ('pl011', 'mini' on the Pi) or 'both' (one
      console multiplexed over all of them: output from either, e.g. for early errors).
      A UART other than the board's default console adds -append console=serial<N>
      (QEMU's numbering, which the Pi DTBs' aliases follow).
    gic: another GIC version than config's, on boards whose configurations choose one.
    dtb: another device tree; no_dtb: none at all (boards with a dtb: the image gets none).
    virtualization: False leaves out the board's el2_property (virt: starts at EL1).
    initrd: the guest bundle (build/<board>/guests.cpio), loaded like an initrd.
    cpu: another QEMU CPU model than the board's (boards whose board.toml passes -cpu:
      virt, cortex-a72), e.g. 'max' or 'neoverse-n1' to see what the guest is offered.
    net_port: the board's net_device on QEMU user networking, the guest's telnet port
      (10.0.2.15:23) forwarded from 127.0.0.1:net_port (loopback only).
    disk: the board's disk_device on this raw image (the guest's /data).
    """
    board = config.board
    image = image or paths.image_path(board.name)
    uart = console_uart or config.uart
    argv = [qemu_binary(board)]

    machine = board.machine
    if virtualization and board.el2_property:
        machine += f",{board.el2_property}"
    g = gic or config.gic
    if g is not None:
        if g not in gic_versions(board.name):
            raise QemuError(f"{board.name} has no GICv{g} configuration")
        machine += f",gic-version={g}"
    options = list(board.qemu_options)
    if cpu is not None:
        if "-cpu" not in options:
            raise QemuError(f"QEMU {board.machine} has a fixed CPU, not {cpu!r}")
        options[options.index("-cpu") + 1] = cpu
    argv += ["-M", machine, "-m", f"{board.ram >> 20}M", *options]

    if uart == "both":
        serials = ["-chardev", console.chardev_arg("con")]
        serials += [a for _ in board.uarts for a in ("-serial", "chardev:con")]
    elif uart in board.uarts:
        serials = [a for u in board.uarts
                   for a in ("-serial", console.serial_arg() if u == uart else "null")]
        if uart != board.default_uart:
            index = board.uarts.index(uart)
            append = f"console=serial{index} {append}" if append else f"console=serial{index}"
    else:
        raise QemuError(f"QEMU {board.machine} has no {uart!r} UART "
                        f"(only {', '.join(board.uarts)})")

    if not no_dtb:
        path = dtb or (paths.dtb_dir() / board.dtb if board.dtb else board.built_dtb)
        if path is not None:      # none: QEMU generates the device tree
            if not path.is_file():
                fix = "./mamoru build" if path == board.built_dtb else "./mamoru setup"
                raise QemuError(f"device tree {path} is missing: run {fix}")
            if dtb is None and board.dtb:
                try:
                    path = qemu_dtb.qemu_dtb(board, path)
                except qemu_dtb.DtbError as e:
                    raise QemuError(f"device tree {path}: {e}") from None
            argv += ["-dtb", str(path)]

    argv += ["-kernel", str(image), "-display", "none", "-monitor", "none", *serials]
    if append:
        argv += ["-append", append]
    if initrd is not None:
        if not initrd.is_file():
            raise QemuError(f"guest bundle {initrd} is missing: run ./mamoru build")
        argv += ["-initrd", str(initrd)]
    argv += device_args(board, net_port=net_port, disk=disk)
    argv += list(extra)
    return argv


def device_args(board: Board, *, net_port: int | None = None,
                disk: Path | None = None) -> list[str]:
    """-netdev/-drive and -device arguments of the guest's network card and disk."""
    argv: list[str] = []
    if net_port is not None:
        if board.net_device is None:
            raise QemuError(f"{board.name} has no network device for the guest (board.toml)")
        argv += ["-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{net_port}-:{TELNET_PORT}",
                 "-device", f"{board.net_device},netdev=net0"]
    if disk is not None:
        if board.disk_device is None:
            raise QemuError(f"{board.name} has no disk device for the guest (board.toml)")
        if not disk.is_file():
            raise QemuError(f"guest disk {disk} is missing: run ./mamoru build")
        name = str(disk).replace(",", ",,")     # QEMU's option syntax escapes commas
        argv += ["-drive", f"if=none,file={name},format=raw,id=disk0",
                 "-device", f"{board.disk_device},drive=disk0"]
    return argv


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Every QEMU this process started and has not reaped: the safety net kills them.
_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def kill_all() -> int:
    """Kills every QEMU this process started that still runs; returns how many."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
        _LIVE.clear()
    n = 0
    for p in procs:
        if p.poll() is None:
            n += 1
            p.kill()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
    return n


atexit.register(kill_all)

# QEMU processes started in this Python process, per board configuration (config.id): the
# test plugin prints them at the end of a session (what each config's boots cost the suite).
STARTS: Counter[str] = Counter()

_PTY_RE = re.compile(r"char device redirected to (/dev/pts/\d+)")


class Qemu:
    """One QEMU running Mamoru with its console attached (a context manager).

    chardev 'tcp' (default): the console is a TCP server socket QEMU holds the
    guest for until we connect, so no output is lost. 'pty': a pseudo-terminal
    (termios applies); output before we open it may be lost.
    On exit, on every path, QEMU is terminated (then killed) and the port closed.
    """

    def __init__(
        self,
        config: BoardConfig,
        *,
        chardev: Literal["tcp", "pty"] = "tcp",
        baud: int = 115200,
        connect_timeout: float = 15.0,
        image: Path | None = None,
        gic: int | None = None,
        console_uart: UartName | None = None,
        dtb: Path | None = None,
        no_dtb: bool = False,
        virtualization: bool = True,
        append: str | None = None,
        initrd: Path | None = None,
        cpu: str | None = None,
        net: bool = False,
        disk: Path | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        """Options after connect_timeout are qemu_argv's, except net: the board's network
        device, its telnet port forwarded from a free loopback port (net_port, chosen at
        every start)."""
        self.config = config
        self.chardev_kind = chardev
        self.baud = baud
        self.connect_timeout = connect_timeout
        self._argv_for = lambda chardev: qemu_argv(
            config,
            chardev,
            image=image,
            gic=gic,
            console_uart=console_uart,
            dtb=dtb,
            no_dtb=no_dtb,
            virtualization=virtualization,
            append=append,
            initrd=initrd,
            cpu=cpu,
            net_port=self.net_port if net else None,
            disk=disk,
            extra=extra,
        )
        self.net = net
        self.net_port: int | None = None
        self.argv: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.port: serial.SerialBase | None = None
        self.console: Console | None = None
        self.pty: str | None = None
        self.console_port = 0                 # chardev 'tcp': where QEMU serves the console
        self.started_at = 0.0
        self._output: list[str] = []
        self._output_lock = threading.Lock()
        self._readers: list[threading.Thread] = []

    # -- process ---------------------------------------------------------------

    @property
    def output(self) -> str:
        """What QEMU itself printed (stderr and stdout)."""
        with self._output_lock:
            return "".join(self._output)

    def _spawn(self, chardev: Chardev) -> subprocess.Popen[bytes]:
        self.argv = self._argv_for(chardev)
        self._output = []
        self.started_at = time.monotonic()
        proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,   # Ctrl-C reaches us, and we stop QEMU
        )
        with _LIVE_LOCK:
            _LIVE.add(proc)
        self._readers = []
        for stream in (proc.stdout, proc.stderr):
            t = threading.Thread(target=self._pump, args=(stream,), daemon=True)
            t.start()
            self._readers.append(t)
        return proc

    def _pump(self, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            with self._output_lock:
                self._output.append(raw.decode(errors="replace"))

    def _fail(self, what: str) -> QemuError:
        return QemuError(
            f"{what}\ncommand: {' '.join(self.argv)}\nQEMU said:\n{self.output or '(nothing)'}"
        )

    def start(self) -> Qemu:
        STARTS[self.config.id] += 1
        try:
            if self.chardev_kind == "tcp":
                self._listen_tcp()
                self.port = serial.serial_for_url(
                    f"socket://127.0.0.1:{self.console_port}", baudrate=self.baud, timeout=0.05)
            else:
                self._start_pty()
        except BaseException:
            self.stop()
            raise
        assert self.port is not None
        self.console = Console(self.port)
        return self

    def listen(self) -> int:
        """Starts QEMU with its console a TCP server (chardev 'tcp') and returns the port once
        QEMU waits on it, without connecting: the console is another client's (a test suite
        run against QEMU as if it were a board, `--console socket://...`). stop() ends it."""
        STARTS[self.config.id] += 1
        try:
            self._listen_tcp()
        except BaseException:
            self.stop()
            raise
        return self.console_port

    def _listen_tcp(self) -> None:
        """QEMU started and waiting for a client on console_port (it says so before it waits).
        A port another process took between free_port() and QEMU's bind makes QEMU exit:
        another one is tried (left to chance, a client would talk to whatever holds it)."""
        for _attempt in range(3):
            port = free_port()
            if self.net:
                self.net_port = free_port()
            self.proc = self._spawn(Chardev("tcp", port))
            waiting = f"waiting for connection on: disconnected:tcp:127.0.0.1:{port}"
            deadline = time.monotonic() + self.connect_timeout
            while waiting not in self.output:
                if self.proc.poll() is not None:
                    self._join_readers()
                    if "in use" in self.output or "host forwarding" in self.output:
                        break                       # lost the race for a port
                    raise self._fail(f"QEMU exited with {self.proc.returncode} at startup")
                if time.monotonic() >= deadline:
                    raise self._fail(f"QEMU did not listen for its console on port {port}")
                time.sleep(0.02)
            else:
                self.console_port = port
                return
        raise self._fail("no free TCP port for the console")

    def _start_pty(self) -> None:
        for _attempt in range(3):
            if self.net:
                self.net_port = free_port()
            self.proc = self._spawn(Chardev("pty"))
            deadline = time.monotonic() + self.connect_timeout
            while True:
                m = _PTY_RE.search(self.output)
                if m:
                    self.pty = m.group(1)
                    self.port = serial.Serial(self.pty, baudrate=self.baud, timeout=0.05)
                    return
                if self.proc.poll() is not None:
                    self._join_readers()
                    if self.net and "host forwarding" in self.output:
                        break                       # another process took the port first
                    raise self._fail(f"QEMU exited with {self.proc.returncode} at startup")
                if time.monotonic() >= deadline:
                    raise self._fail("QEMU did not report its pty")
                time.sleep(0.02)
        raise self._fail("no free TCP port for the guest's network")

    def _join_readers(self) -> None:
        for t in self._readers:
            t.join(1)

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def wait(self, timeout: float) -> int:
        """Waits for QEMU to exit by itself; returns its exit code."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise self._fail(f"QEMU still runs after {timeout:g} s") from None
        self._join_readers()
        return code

    def stop(self) -> None:
        """Terminates QEMU (kills it if it lingers) and closes the console."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(3)
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait(5)
            with _LIVE_LOCK:
                _LIVE.discard(proc)
            self._join_readers()
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
        if self.console is not None:
            self.console.close()
        elif self.port is not None:
            self.port.close()

    def __enter__(self) -> Qemu:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def describe(self) -> str:
        """The command line and QEMU's own messages, for reports."""
        code = self.poll()
        state = "running" if code is None else f"exited with {code}"
        said = self.output or "(nothing)"
        return f"command: {' '.join(self.argv)}\nQEMU {state}; it said:\n{said}"
