# SPDX-License-Identifier: GPL-2.0-only
"""The one thing tests talk to: a Target with explicit states, behind power and console
backends (backends.py), so the same test runs under QEMU and on a real board.

States and transitions (`to_state`):

    OFF --boot--> BOOTING --prompt--> HYPERVISOR <--detach / attach--> GUEST
     ^                                     |
     +------------- off / dirty -----------+

- HYPERVISOR: the hypervisor's shell at a fresh prompt (Ctrl-U, Enter, prompt).
- GUEST: the console bound to the guest's shell (`vserial bind`); `ensure_guest()` instead
  waits once per boot for the guest's shell and returns to the prompt, running the target's
  guest_init commands and after_guest hooks (e.g. `dmesg -n 1`, `ids protect off`).
- dirty: a failed test (or a console that stopped answering) marks the target dirty; its
  next user gets a fresh boot instead of whatever the failure left behind.
"""

from __future__ import annotations

import atexit
import enum
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mamoru import guest_disk, paths
from mamoru.boards import Board, BoardConfig, UartName, config_for
from mamoru.console import Console, ConsoleError
from mamoru.guestshell import GuestShell
from mamoru.qemu import Qemu
from mamoru.testing.backends import ConsoleBackend, PowerBackend, qemu_backends
from mamoru.testing.options import hardware, selected_configs
from mamoru.testing.report import failed, watch

BOOT_TIMEOUT = 60.0
GUEST_BOOT_TIMEOUT = 90.0


@dataclass
class BootCost:
    """What booting cost a session on one board configuration (the plugin prints it)."""

    boots: int = 0          # boots waited for up to the hypervisor's prompt
    boot_s: float = 0.0
    guests: int = 0         # guest boots waited for up to the guest's shell (ensure_guest)
    guest_s: float = 0.0


COSTS: defaultdict[str, BootCost] = defaultdict(BootCost)   # by config.id


class State(enum.Enum):
    OFF = "off"
    BOOTING = "booting"             # switched on, prompt not seen yet
    HYPERVISOR = "hypervisor"       # at the hypervisor's prompt
    GUEST = "guest"                 # the console bound to the guest's shell


class Target:
    """A board (QEMU or real) and the state it is in.

    config, console, qemu (None on real hardware), board and boot_log are what tests use.
    """

    def __init__(
        self,
        config: BoardConfig,
        power: PowerBackend,
        line: ConsoleBackend,
        *,
        label: str | None = None,
        boot_timeout: float = BOOT_TIMEOUT,
        guest: str = "guest0",
        guest_timeout: float = GUEST_BOOT_TIMEOUT,
        guest_init: Sequence[str] = (),
        after_guest: Sequence[Callable[[Target], None]] = (),
    ) -> None:
        self.config = config
        self.power = power
        self.line = line
        self.label = label or config.id
        self.boot_timeout = boot_timeout
        self.guest = guest
        self.guest_timeout = guest_timeout
        self.guest_command_timeout = 30.0   # a guest shell command's default (GuestShell)
        # How long the hypervisor's shell may take to answer before the target is taken
        # for dead and booted afresh (slower on a board whose guest traps a lot).
        self.sync_timeout = 5.0
        self.guest_init = list(guest_init)
        self.after_guest = list(after_guest)
        self.boot_log = ""              # everything before the first prompt of this boot
        self.dirty = False
        self.guest_up = False           # the guest reached its shell in this boot
        self.boots = 0
        self._powered = State.OFF       # OFF, BOOTING or HYPERVISOR (GUEST: see state)
        self._shell: GuestShell | None = None
        self._node: pytest.Item | None = None

    # -- what tests use ------------------------------------------------------------------

    @property
    def console(self) -> Console:
        return self.line.console()

    @property
    def qemu(self) -> Qemu | None:
        return self.power.qemu

    @property
    def board(self) -> Board:
        return self.config.board

    @property
    def telnet_port(self) -> int | None:
        """The loopback port QEMU forwards to the guest's telnetd (None: no network)."""
        q = self.qemu
        return None if q is None else q.net_port

    @property
    def disk(self) -> Path | None:
        """The image QEMU gives the guest as its disk (None: none)."""
        options = getattr(self.power, "options", {})
        disk = options.get("disk")
        return disk if isinstance(disk, Path) else None

    @property
    def shell(self) -> GuestShell:
        """The guest's shell on the current console (a new one after every boot)."""
        c = self.console
        if self._shell is None or self._shell.console is not c:
            self._shell = GuestShell(c, self.guest)
            self._shell.command_timeout = self.guest_command_timeout
        return self._shell

    @property
    def state(self) -> State:
        if self._powered is State.HYPERVISOR and self._shell is not None \
                and self._shell.attached and self._shell.console is self.console:
            return State.GUEST
        return self._powered

    # -- transitions -------------------------------------------------------------------

    def use(self, node: pytest.Item | None) -> None:
        """Attributes what happens from now on to test `node`: its report gets the console
        transcript from here on (and that of every boot during the test)."""
        self._node = node
        if node is not None and self._powered is not State.OFF:
            c = self.console
            watch(node, self.label, c, self.qemu, c.mark())

    def mark_dirty(self) -> None:
        self.dirty = True
        self.power.mark_dirty()

    def boot(self, *, wait_prompt: bool = True, timeout: float | None = None) -> str:
        """Switches the target on afresh (QEMU: a new process; a board: as it is if it
        answers and is not dirty, else reset). Returns the boot log."""
        fresh = self.dirty or self._powered is not State.OFF
        self._powered, self.guest_up, self._shell, self.boot_log = State.OFF, False, None, ""
        self.boots += 1
        started = time.monotonic()
        log = self.power.on(fresh=fresh)
        self.dirty = False
        self._powered = State.BOOTING
        c = self.console
        if self._node is not None:
            watch(self._node, self.label, c, self.qemu,
                  0 if log is None else max(0, c.mark() - len(log)))
        if log is not None:
            self.boot_log = log
            self._powered = State.HYPERVISOR
        elif wait_prompt:
            self._wait_prompt(timeout)
        else:
            return self.boot_log
        cost = COSTS[self.config.id]
        cost.boots += 1
        cost.boot_s += time.monotonic() - started
        return self.boot_log

    def _wait_prompt(self, timeout: float | None) -> None:
        try:
            self.boot_log = self.console.wait_prompt(timeout or self.boot_timeout)
        except BaseException:
            self.dirty = True
            raise
        self._powered = State.HYPERVISOR

    def off(self) -> None:
        self.power.off()
        self._powered, self.guest_up, self._shell = State.OFF, False, None

    def close(self) -> None:
        self.off()

    def to_state(self, state: State, timeout: float | None = None) -> Target:
        """Brings the target into state, booting, rebooting, attaching or detaching as
        needed; a dirty target or one that stopped answering is booted afresh."""
        if state is State.OFF:
            self.off()
        elif state is State.BOOTING:
            self.boot(wait_prompt=False)
        elif state is State.HYPERVISOR:
            self._to_hypervisor(timeout)
        elif not (self.state is State.GUEST and not self.dirty and self.power.alive()):
            self.ensure_guest()
            try:
                self.shell.attach(timeout or self.guest_timeout)
            except BaseException:
                self.dirty = True
                raise
        return self

    def _to_hypervisor(self, timeout: float | None) -> None:
        if not self.dirty and self._powered is not State.OFF and self.power.alive():
            try:
                if self._powered is State.BOOTING:
                    self._wait_prompt(timeout)
                elif self.state is State.GUEST:
                    self.shell.detach()
                else:
                    self.console.sync(timeout=self.sync_timeout)
                return
            except ConsoleError:
                self.dirty = True
        self.boot(timeout=timeout)

    def ensure_guest(self) -> Target:
        """The hypervisor's prompt, with the guest known to have reached its shell in this
        boot (waited for once per boot, then the guest_init commands and after_guest hooks)."""
        self._to_hypervisor(None)
        if self.guest_up:
            return self
        try:
            g = self.shell
            started = time.monotonic()
            g.attach(self.guest_timeout)
            cost = COSTS[self.config.id]
            cost.guests += 1
            cost.guest_s += time.monotonic() - started
            for cmd in self.guest_init:
                g.run(cmd)
            g.detach()
            for hook in self.after_guest:
                hook(self)
        except BaseException:
            self.dirty = True
            raise
        self.guest_up = True
        return self


@contextmanager
def at_state(target: Target, node: pytest.Item, state: State = State.HYPERVISOR, *,
             guest: bool = False) -> Iterator[Target]:
    """One test's use of a shared target: its transcript goes into node's report, the
    target is brought to state (guest: with the guest up, at the hypervisor's prompt), and
    afterwards the console is detached from the guest; a failure marks the target dirty."""
    target.use(node)
    try:
        if guest:
            target.ensure_guest()           # leaves it at a fresh prompt
        if not (guest and state is State.HYPERVISOR):
            target.to_state(state)
        yield target
    finally:
        if failed(node):
            target.mark_dirty()
        elif target.state is State.GUEST:
            try:
                target.shell.detach()
            except ConsoleError:
                target.mark_dirty()
        target.use(None)


@contextmanager
def in_guest(target: Target, timeout: float = 60.0) -> Iterator[GuestShell]:
    """guest0's shell on target's console for the block (attached within timeout s, detached
    after it); a failure inside marks the target dirty: its console state is unknown."""
    target.shell.attach(timeout)
    try:
        yield target.shell
        target.shell.detach()
    except BaseException:
        target.mark_dirty()
        raise


# -- QEMU targets with special options -------------------------------------------------


def qemu_target(config: BoardConfig, *, initrd: Path | None = None, label: str | None = None,
                guest_init: Sequence[str] = (),
                after_guest: Sequence[Callable[[Target], None]] = (),
                **options: object) -> Target:
    """A Target on QEMU (not switched on yet); options are Qemu's. On a board with the
    guest's network card and disk (board.toml net_device, disk_device) the target has
    both unless options say otherwise: the telnet port forwarded from a free loopback port,
    a fresh disk image of its own (kept across its boots) in a temporary directory."""
    image = options.get("image") or paths.image_path(config.board.name)
    if not Path(str(image)).is_file():
        pytest.fail(f"{image} is missing: ./mamoru build --board {config.board.name}",
                    pytrace=False)
    if config.board.net_device is not None:
        options.setdefault("net", True)
    if config.board.disk_device is not None and "disk" not in options:
        options["disk"] = scratch_disk()
    power, line = qemu_backends(config, initrd=initrd, **options)
    return Target(config, power, line, label=label, guest_init=guest_init,
                  after_guest=after_guest)


_SCRATCH: list[Path] = []


def scratch_disk(files: dict[str, bytes] | None = None) -> Path:
    """A fresh guest disk image in a temporary directory, removed when Python exits."""
    d = Path(tempfile.mkdtemp(prefix="mamoru-disk-"))
    if not _SCRATCH:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _SCRATCH])
    _SCRATCH.append(d)
    return guest_disk.make_disk(d / "disk.img", files=files)


def new_target(request: pytest.FixtureRequest, config: BoardConfig, *,
               initrd: Path | Callable[[], Path] | None = None, label: str | None = None,
               **kwargs: Any) -> Target:
    """A Target for config, switched off: QEMU (with initrd as the guest bundle; a function
    giving the path is called only then), or the real board of --console (the plugin's
    board_backends fixture; its SD card holds the bundle, so initrd does not apply).
    kwargs: Target's (guest_init, after_guest, ...)."""
    if hardware(request.config):
        line, power = request.getfixturevalue("board_backends")
        return Target(config, power, line,
                      label=label or f"{config.id} on {request.config.getoption('--console')}",
                      **kwargs)
    if callable(initrd):
        initrd = initrd()
    return qemu_target(config, initrd=initrd, label=label, **kwargs)


@contextmanager
def module_target(request: pytest.FixtureRequest, config: BoardConfig, *,
                  qemu_only: str | None = None, **kwargs: Any) -> Iterator[Target]:
    """new_target(request, config, **kwargs) for a module's tests to share, closed after
    them (the body of a module-scoped fixture); qemu_only: why a real board is skipped."""
    if qemu_only and hardware(request.config):
        pytest.skip(qemu_only)
    t = new_target(request, config, **kwargs)
    try:
        yield t
    finally:
        t.close()


@dataclass
class Launcher:
    """Boots QEMU targets for one test (or module) and stops them all afterwards."""

    node: pytest.Item | None
    pytest_config: pytest.Config
    targets: list[Target] = field(default_factory=list)

    @property
    def running(self) -> list[Qemu]:
        return [t.qemu for t in self.targets if t.qemu is not None]

    def require(self, board: str, gic: int | None = None) -> BoardConfig:
        """The standard config of board; skips unless --board selects it."""
        wanted = config_for(board, gic)
        selected = selected_configs(self.pytest_config)
        if not any(c.board.name == board for c in selected):
            pytest.skip(f"{board} is not among the selected boards")
        return next((c for c in selected if c == wanted), wanted)

    def boot(
        self,
        config: BoardConfig,
        *,
        wait_prompt: bool = True,
        timeout: float = BOOT_TIMEOUT,
        console_uart: UartName | None = None,
        no_dtb: bool = False,
        virtualization: bool = True,
        append: str | None = None,
        initrd: Path | None = None,
        cpu: str | None = None,
    ) -> Target:
        t = qemu_target(config, initrd=initrd, console_uart=console_uart, no_dtb=no_dtb,
                        virtualization=virtualization, append=append, cpu=cpu)
        self.targets.append(t)
        t.use(self.node)
        t.boot(wait_prompt=wait_prompt, timeout=timeout)
        return t

    def close(self) -> None:
        for t in self.targets:
            t.off()
        self.targets.clear()
