# SPDX-License-Identifier: GPL-2.0-only
"""pytest plumbing for Mamoru: which boards to test, QEMU and console fixtures,
console transcripts in failure reports, and a safety net that leaves no QEMU behind.

Options:
  --board NAME    virt (both GICs), virt-gicv2, virt-gicv3, rpi4 or rpi3; repeatable.
                  Default: every configuration.
  --console DEV   test a real board on this serial device (or pyserial URL such as
                  socket://host:port) instead of QEMU; needs --board. Tests marked
                  `qemu` are skipped.
  --baud N        baud rate for --console (115200).
  --reset-cmd CMD with --console: a shell command that power-cycles the board (a relay).
                  Used when the board does not answer; without it the hypervisor's
                  `reset` is tried, then the user is asked (docs/sdcard.md).

Fixtures for tests/target:
  board_config    the configuration under test (tests using it run once per config)
  target          a freshly booted target at its prompt: .console, .board, .config, .qemu
  shell           a target shared by the tests of a module (booted once per config and
                  module, rebooted after a failure), brought to a fresh prompt per test
  launch          a factory for QEMU targets with special options (wrong EL, no DTB, ...)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from mamoru.boards import BoardConfig
from mamoru.console import Console, open_device
from mamoru.hwreset import BoardReset, terminal_asker
from mamoru.qemu import kill_all, qemu_binary
from mamoru.testing import (
    REPORTS,
    WATCHED,
    Launcher,
    ShellSession,
    Target,
    failed,
    hardware,
    selected_configs,
    transcript_section,
    watch,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mamoru", "Mamoru targets")
    group.addoption(
        "--board", action="append", default=[], metavar="NAME",
        help="board configuration to test: virt, virt-gicv2, virt-gicv3, rpi4, rpi3 "
        "(repeatable; default: all)",
    )
    group.addoption(
        "--console", default=None, metavar="DEVICE",
        help="test a real board on this serial device or pyserial URL instead of QEMU",
    )
    group.addoption("--baud", type=int, default=115200, help="baud rate for --console")
    group.addoption(
        "--reset-cmd", default=None, metavar="COMMAND",
        help="with --console: shell command that power-cycles the board (e.g. a relay); "
        "otherwise the hypervisor's `reset` is used or you are asked",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    configs = ", ".join(c.id for c in selected_configs(config))
    if hardware(config):
        return [f"mamoru: {configs} on {config.getoption('--console')}"]
    r = subprocess.run([qemu_binary(), "--version"], capture_output=True, text=True, check=False)
    version = r.stdout.splitlines()[0] if r.stdout else "QEMU not found"
    return [f"mamoru: {configs} under {version}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "board_config" in metafunc.fixturenames:
        configs = selected_configs(metafunc.config)
        # @pytest.mark.configs(...): the module needs only some configurations (the IDS
        # features are the same on every board; test_ids.py covers every one).
        only = metafunc.definition.get_closest_marker("configs")
        if only is not None and not hardware(metafunc.config):
            configs = [c for c in configs if c.id in only.args]
        # Module scope groups a module's tests by config, so `shell` boots once each.
        metafunc.parametrize(
            "board_config", configs, ids=[c.id for c in configs], scope="module"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hardware(config):
        return
    skip = pytest.mark.skip(reason="needs QEMU; testing real hardware (--console)")
    for item in items:
        if item.get_closest_marker("qemu"):
            item.add_marker(skip)


# -- reports and cleanup ---------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None]:
    report: pytest.TestReport = yield  # type: ignore[misc]
    item.stash.setdefault(REPORTS, {})[report.when] = report
    if report.failed and item.stash.get(WATCHED, []):
        report.sections.append(("console transcript", transcript_section(item)))
    return report  # type: ignore[return-value]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = kill_all()
    if left:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"mamoru: killed {left} QEMU process(es) left running", yellow=True)


@pytest.fixture
def launch(request: pytest.FixtureRequest) -> Iterator[Launcher]:
    if hardware(request.config):
        pytest.skip("needs QEMU; testing real hardware (--console)")
    launcher = Launcher(request.node, request.config)  # type: ignore[arg-type]
    try:
        yield launcher
    finally:
        launcher.close()


@pytest.fixture(scope="session")
def hardware_console(request: pytest.FixtureRequest) -> Iterator[Console]:
    device = request.config.getoption("--console")
    console = Console(open_device(device, request.config.getoption("--baud")))
    try:
        yield console
    finally:
        console.close()


@pytest.fixture(scope="session")
def board_reset(request: pytest.FixtureRequest) -> BoardReset:
    """Real hardware only: restarts the board (--reset-cmd, its `reset`, or the user)."""
    if not hardware(request.config):
        pytest.skip("resets a real board (--console)")
    console: Console = request.getfixturevalue("hardware_console")
    return BoardReset(console, request.config.getoption("--reset-cmd"),
                      terminal_asker(request.config))


def _hardware_target(request: pytest.FixtureRequest, config: BoardConfig) -> Target:
    console: Console = request.getfixturevalue("hardware_console")
    watch(request.node, f"{config.id} on {request.config.getoption('--console')}", console,
          None, console.mark())
    boot_log = request.getfixturevalue("board_reset").ready()
    return Target(config, console, None, boot_log)


@pytest.fixture
def target(request: pytest.FixtureRequest, board_config: BoardConfig) -> Iterator[Target]:
    """A fresh boot per test (on hardware: the board as it is, at a fresh prompt)."""
    if hardware(request.config):
        yield _hardware_target(request, board_config)
        return
    launcher = Launcher(request.node, request.config)  # type: ignore[arg-type]
    try:
        yield launcher.boot(board_config)
    finally:
        launcher.close()


@pytest.fixture(scope="module")
def _shell_session(
    request: pytest.FixtureRequest, board_config: BoardConfig
) -> Iterator[ShellSession | None]:
    if hardware(request.config):
        yield None
        return
    session = ShellSession(request, board_config)
    try:
        yield session
    finally:
        session.launcher.close()


@pytest.fixture
def shell(
    request: pytest.FixtureRequest,
    board_config: BoardConfig,
    _shell_session: ShellSession | None,
) -> Iterator[Target]:
    """A target at a fresh prompt, shared with the module's other tests."""
    if _shell_session is None:
        yield _hardware_target(request, board_config)
        return
    node: pytest.Item = request.node  # type: ignore[assignment]
    yield _shell_session.get(node)
    if failed(node):
        _shell_session.dirty = True
