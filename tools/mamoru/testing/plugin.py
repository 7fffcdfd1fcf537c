# SPDX-License-Identifier: GPL-2.0-only
"""The pytest plugin of Mamoru's test suite (tests/conftest.py loads it): command-line
options, board parametrization, markers, console transcripts in failure reports, a safety
net that leaves no QEMU behind, and the backends of a real board (--console).

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

Markers:
  qemu            needs QEMU itself; skipped with --console
  configs(*ids)   runs only on these board configurations (QEMU)
  guests(*arches) needs guest support: runs only on boards whose board.toml has guests,
                  and with arches (e.g. "arm64") only on boards of those architectures
                  (the guest tests that need the arm64 Debian guest); never parametrized
                  over the others
  kconfig(*opts)  skipped where build/<board>/.config has one of the options off
  exclusive       changes what build/ holds for other tests: runs while no other test
                  does (mamoru.testing.parallel: the suite runs on several workers)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from mamoru.boards import BoardConfig
from mamoru.hwreset import terminal_asker
from mamoru.qemu import STARTS, kill_all, qemu_binary
from mamoru.testing import kconfig, parallel
from mamoru.testing.backends import BoardPower, SerialLine
from mamoru.testing.options import hardware, selected_configs
from mamoru.testing.report import REPORTS, WATCHED, transcript_section
from mamoru.testing.target import COSTS, BootCost

MARKERS = [
    "qemu: needs QEMU itself (a fresh boot, special machine options); skipped with --console",
    "boot: boots a fresh QEMU for this test alone (slower)",
    "configs(*ids): run only on these board configurations (e.g. \"virt-gicv2\", \"rpi3\")",
    "guests(*arches): needs guest support; parametrized only over boards that run guests "
    "(board.toml guests), of these architectures when given (e.g. \"arm64\")",
    "kconfig(*options): skip where the board's build/<board>/.config has an option off "
    "(e.g. \"IDS_PROTECT\")",
    "xdist_group(name): modules of one group run on one worker (pytest-xdist registers it "
    "too; here for runs without it)",
    "exclusive: changes what build/ holds for other tests (a board's bundle); runs while "
    "no other worker runs a test",
]


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


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)


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
        # @pytest.mark.guests: not on boards without guest support (nothing to skip there),
        # nor on boards of other architectures when it names some.
        guests = metafunc.definition.get_closest_marker("guests")
        if guests is not None:
            configs = [c for c in configs if c.board.guests
                       and (not guests.args or c.board.arch.name in guests.args)]
        # Module scope groups a module's tests by config, so shared targets boot once each.
        metafunc.parametrize(
            "board_config", configs, ids=[c.id for c in configs], scope="module"
        )


def _boards_of(item: pytest.Item) -> list[str]:
    callspec = getattr(item, "callspec", None)
    config = callspec.params.get("board_config") if callspec is not None else None
    if isinstance(config, BoardConfig):
        return [config.board.name]
    return sorted({c.board.name for c in selected_configs(item.config)})


def _no_guest_board(item: pytest.Item) -> bool:
    """A guests test left with no configuration (only guest-less boards selected)."""
    callspec = getattr(item, "callspec", None)
    config = callspec.params.get("board_config") if callspec is not None else None
    return (item.get_closest_marker("guests") is not None and "board_config" in
            getattr(item, "fixturenames", ()) and not isinstance(config, BoardConfig))


# First: xdist's worker turns each test's group mark into its node id in this hook, so the
# module groups must be marked before it runs.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Not run, not skipped: a board without guest support has no guest tests at all.
    gone = [item for item in items if _no_guest_board(item)]
    if gone:
        config.hook.pytest_deselected(items=gone)
        items[:] = [item for item in items if not _no_guest_board(item)]
    qemu_skip = pytest.mark.skip(reason="needs QEMU; testing real hardware (--console)")
    for item in items:
        if hardware(config) and item.get_closest_marker("qemu"):
            item.add_marker(qemu_skip)
        options = [o for m in item.iter_markers("kconfig") for o in m.args]
        if options:
            reason = kconfig.skip_reason(options, _boards_of(item))
            if reason is not None:
                item.add_marker(pytest.mark.skip(reason=reason))
    # On xdist's workers --dist reads "no"; "loadgroup" is what they are told instead.
    if config.getoption("dist", None) == "loadgroup" or config.getoption("loadgroup", False):
        parallel.group_by_module(items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    with parallel.test_lock(item.get_closest_marker("exclusive") is not None):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None]:
    report: pytest.TestReport = yield  # type: ignore[misc]
    item.stash.setdefault(REPORTS, {})[report.when] = report
    if report.failed and item.stash.get(WATCHED, []):
        report.sections.append(("console transcript", transcript_section(item)))
    return report  # type: ignore[return-value]


def boot_summary() -> list[str]:
    """One line per board configuration: QEMU processes started, boots waited for up to the
    hypervisor's prompt and guest boots up to the guest's shell, with the seconds they took
    (where the suite's time goes)."""
    lines = []
    for cid in sorted(set(STARTS) | set(COSTS)):
        c = COSTS.get(cid)
        line = f"mamoru: {cid}: {STARTS.get(cid, 0)} QEMU start(s)"
        if c is not None:
            line += (f"; {c.boots} boot(s) to the prompt, {c.boot_s:.0f} s; "
                     f"{c.guests} guest boot(s) to its shell, {c.guest_s:.0f} s")
        lines.append(line)
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in boot_summary():
        terminalreporter.write_line(line)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist's controller: adds a finished worker's boot costs to the run's."""
    output = getattr(node, "workeroutput", {}).get("mamoru_boots", {})
    for cid, (starts, boots, boot_s, guests, guest_s) in output.items():
        STARTS[cid] += starts
        cost = COSTS[cid]
        cost.boots += boots
        cost.boot_s += boot_s
        cost.guests += guests
        cost.guest_s += guest_s


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if parallel.is_worker(session.config):
        session.config.workeroutput["mamoru_boots"] = {  # type: ignore[attr-defined]
            cid: [STARTS.get(cid, 0), *_cost_fields(COSTS.get(cid, BootCost()))]
            for cid in set(STARTS) | set(COSTS)}
    left = kill_all()
    if left:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"mamoru: killed {left} QEMU process(es) left running", yellow=True)


def _cost_fields(c: BootCost) -> list[float]:
    return [c.boots, c.boot_s, c.guests, c.guest_s]


# -- the real board's backends, one per session ------------------------------------------


@pytest.fixture(scope="session")
def board_backends(request: pytest.FixtureRequest) -> Iterator[tuple[SerialLine, BoardPower]]:
    """--console: the board's serial line and power (reset) backends for the session."""
    if not hardware(request.config):
        pytest.skip("a real board (--console)")
    line = SerialLine(request.config.getoption("--console"), request.config.getoption("--baud"))
    power = BoardPower(line, request.config.getoption("--reset-cmd"),
                       terminal_asker(request.config))
    try:
        yield line, power
    finally:
        line.close()
