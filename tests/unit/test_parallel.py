# SPDX-License-Identifier: GPL-2.0-only
"""The suite on several workers: when `./mamoru test` asks pytest-xdist for workers, and the
test lock (mamoru.testing.parallel) that lets an `exclusive` test run alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.testing import parallel
from mamoru.verbs import test as test_verb


def test_one_worker_per_cpu_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_verb.os, "cpu_count", lambda: 2)
    assert test_verb.worker_args(None, []) == ["-n", "2", "--dist", "loadgroup"]
    monkeypatch.setattr(test_verb.os, "cpu_count", lambda: 64)
    assert test_verb.worker_args(None, ["tests/ids"])[:2] == ["-n", "4"]
    monkeypatch.setattr(test_verb.os, "cpu_count", lambda: 1)
    assert test_verb.worker_args(None, []) == []
    assert test_verb.worker_args(3, []) == ["-n", "3", "--dist", "loadgroup"]
    assert test_verb.worker_args(1, []) == []


@pytest.mark.parametrize("args", [
    ["--console", "/dev/ttyUSB0", "--board", "rpi4"],     # one board, one console
    ["--console=socket://127.0.0.1:5000"],
    ["-n", "3"], ["-n3"], ["--numprocesses=3"], ["--dist", "load"],
    ["-p", "no:xdist"], ["--pdb"],
])
def test_no_workers_where_the_arguments_decide(args: list[str]) -> None:
    assert test_verb.worker_args(2, args) == []


def _hold(exclusive: bool, seconds: float, build: Path, wait: bool = True
          ) -> subprocess.Popen[str]:
    """Another process that holds the test lock (in build) for seconds; with wait, returns
    once it holds it."""
    code = ("import sys, time; from pathlib import Path; from mamoru import paths; "
            "from mamoru.testing import parallel; "
            f"paths.BUILD = Path({str(build)!r}); "
            f"cm = parallel.test_lock({exclusive}); cm.__enter__(); print('held', flush=True); "
            f"time.sleep({seconds}); cm.__exit__(None, None, None)")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                         env={"PYTHONPATH": str(paths.ROOT / "tools")})
    assert p.stdout is not None
    if wait:
        assert p.stdout.readline() == "held\n"
    return p


@pytest.mark.parametrize("other_exclusive, mine_exclusive, waits", [
    (False, False, False),       # two ordinary tests run side by side
    (True, False, True),         # an exclusive test holds the others off
    (False, True, True),         # and waits for the running one
])
def test_the_lock_lets_an_exclusive_test_run_alone(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        other_exclusive: bool, mine_exclusive: bool, waits: bool) -> None:
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    other = _hold(other_exclusive, 1.5, tmp_path)
    try:
        started = time.monotonic()
        with parallel.test_lock(mine_exclusive):
            waited = time.monotonic() - started
        assert (waited >= 1.0) == waits, waited
    finally:
        other.kill()
        other.wait(10)


def test_a_waiting_exclusive_test_is_not_starved(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """While an exclusive test waits for a running one, no new test starts before it."""
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    running = _hold(False, 2.0, tmp_path)
    waiting = _hold(True, 1.0, tmp_path, wait=False)
    try:
        time.sleep(0.5)                       # the exclusive one is queued at the gate
        started = time.monotonic()
        with parallel.test_lock(False):
            waited = time.monotonic() - started
        assert waited >= 2.0, waited          # 1.5 s more of the running one + 1 s exclusive
    finally:
        for p in (running, waiting):
            p.kill()
            p.wait(10)


MODULE = '''
import os
import pytest

@pytest.mark.parametrize("i", range(6))
def test_one(i):
    with open(os.environ["RAN_LOG"], "a") as f:
        f.write(f"{__name__} {os.environ.get('PYTEST_XDIST_WORKER')}\\n")
'''


def test_a_module_stays_on_one_worker(tmp_path: Path) -> None:
    """Under ./mamoru test's --dist loadgroup every module's tests run on one worker (its
    module-scoped targets are one QEMU); once they were spread over both (the workers see
    --dist as "no", and the groups were never marked)."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["mamoru.testing.plugin"]\n')
    for name in ("test_a.py", "test_b.py", "test_c.py"):
        (tmp_path / name).write_text(MODULE)
    log = tmp_path / "ran.log"
    r = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup",
                        "-p", "no:cacheprovider", "-q", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(paths.ROOT / "tools"),
                            "RAN_LOG": str(log)})
    assert r.returncode == 0, r.stdout + r.stderr
    runs = [line.split() for line in log.read_text().splitlines()]
    assert len(runs) == 18, runs
    workers = {m: {w for mm, w in runs if mm == m} for m, _ in runs}
    assert all(len(w) == 1 for w in workers.values()), workers
    assert {w for ws in workers.values() for w in ws} <= {"gw0", "gw1"}
