# SPDX-License-Identifier: GPL-2.0-only
"""Test-side helpers shared by tests/conftest.py and the target tests: the Target
a test talks to, booting QEMU targets, and transcripts for failure reports."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.boards import Board, BoardConfig, UartName, config_for, select_configs
from mamoru.console import Console, ConsoleError
from mamoru.qemu import Qemu

BOOT_TIMEOUT = 60.0
TRANSCRIPT_LIMIT = 20000


def selected_configs(config: pytest.Config) -> list[BoardConfig]:
    """The board configurations --board selects (one on real hardware)."""
    try:
        chosen = select_configs(config.getoption("--board"))
    except ValueError as e:
        raise pytest.UsageError(f"--board: {e}") from None
    if config.getoption("--console"):
        if not config.getoption("--board"):
            raise pytest.UsageError("--console needs --board (which board is on the line?)")
        chosen = chosen[:1]
    return chosen


def hardware(config: pytest.Config) -> bool:
    return config.getoption("--console") is not None


# -- transcripts in reports ------------------------------------------------------------


@dataclass
class _Watched:
    label: str
    console: Console
    qemu: Qemu | None
    mark: int = 0


WATCHED = pytest.StashKey[list[_Watched]]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def watch(item: pytest.Item, label: str, console: Console, qemu: Qemu | None,
          mark: int = 0) -> None:
    """Puts this console's transcript (from mark on) into item's report if it fails."""
    item.stash.setdefault(WATCHED, []).append(_Watched(label, console, qemu, mark))


def failed(item: pytest.Item) -> bool:
    """Whether any phase of item's run so far failed (reports kept by conftest)."""
    return any(r.failed for r in item.stash.get(REPORTS, {}).values())


def printable(text: str) -> str:
    """Console text for a report: no \\r, other control characters as \\xNN."""
    return "".join(
        c if c in "\n\t" or (c >= " " and c != "\x7f") else f"\\x{ord(c):02x}"
        for c in text.replace("\r\n", "\n")
    )


def transcript_section(item: pytest.Item) -> str:
    parts = []
    for w in item.stash.get(WATCHED, []):
        text = printable(w.console.since(w.mark))
        if len(text) > TRANSCRIPT_LIMIT:
            text = f"[... {len(text) - TRANSCRIPT_LIMIT} characters left out ...]\n" + text[
                -TRANSCRIPT_LIMIT:
            ]
        parts.append(f"===== {w.label} =====\n{text}")
        if w.qemu is not None:
            parts.append(f"----- QEMU -----\n{w.qemu.describe()}")
    return "\n".join(parts)


# -- targets ---------------------------------------------------------------------------


@dataclass
class Target:
    """A running hypervisor at its prompt."""

    config: BoardConfig
    console: Console
    qemu: Qemu | None                 # None on real hardware
    boot_log: str = ""                # everything before the first prompt

    @property
    def board(self) -> Board:
        return self.config.board


@dataclass
class Launcher:
    """Boots QEMU targets for one test (or module) and stops them all afterwards."""

    node: pytest.Item | None
    pytest_config: pytest.Config
    running: list[Qemu] = field(default_factory=list)

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
        image = paths.image_path(config.board.name)
        if not image.is_file():
            pytest.fail(
                f"{image} is missing: ./mamoru build --board {config.board.name}", pytrace=False
            )
        qemu = Qemu(
            config,
            console_uart=console_uart,
            no_dtb=no_dtb,
            virtualization=virtualization,
            append=append,
            initrd=initrd,
            cpu=cpu,
        )
        self.running.append(qemu)
        qemu.start()
        assert qemu.console is not None
        if self.node is not None:
            watch(self.node, config.id, qemu.console, qemu)
        target = Target(config, qemu.console, qemu)
        if wait_prompt:
            target.boot_log = qemu.console.wait_prompt(timeout)
        return target

    def close(self) -> None:
        for q in self.running:
            q.stop()
        self.running.clear()


class ShellSession:
    """One boot shared by a module's tests; rebooted when a test failed or it died."""

    def __init__(self, request: pytest.FixtureRequest, config: BoardConfig) -> None:
        self.config = config
        self.launcher = Launcher(None, request.config)
        self.current: Target | None = None
        self.dirty = True

    def get(self, node: pytest.Item) -> Target:
        t = self.current
        if t is not None and not self.dirty and t.qemu is not None and t.qemu.poll() is None:
            mark = t.console.mark()
            try:
                t.console.sync()
            except ConsoleError:
                self.dirty = True
            else:
                watch(node, self.config.id, t.console, t.qemu, mark)
                return t
        self.launcher.close()
        t = self.launcher.boot(self.config)
        watch(node, self.config.id, t.console, t.qemu)
        self.current, self.dirty = t, False
        return t


# -- the front door, run as a user would ------------------------------------------------


@dataclass
class Run:
    """One `./mamoru profile` run: the profile file, its --verbose output and wall time."""

    path: Path
    output: str
    seconds: float


def mamoru_cli(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs ./mamoru with args; raises AssertionError with its output when it fails (check)."""
    r = subprocess.run([str(paths.ROOT / "mamoru"), *map(str, args)], cwd=paths.ROOT,
                       capture_output=True, text=True, check=False)
    if check and r.returncode != 0:
        raise AssertionError(f"./mamoru {' '.join(map(str, args))} failed ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    return r
