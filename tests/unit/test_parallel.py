# SPDX-License-Identifier: GPL-2.0-only
"""The suite on several workers: when `./mamoru test` asks pytest-xdist for workers, and the
test lock (mamoru.testing.parallel) that lets an `exclusive` test run alone."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
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


def _hold(exclusive: bool, build: Path, wait: bool = True) -> subprocess.Popen[str]:
    """Another process that takes the test lock (in build) and holds it until a line comes
    on its standard input; with wait, returns once it holds it. It prints "held" then."""
    code = ("import sys; from pathlib import Path; from mamoru import paths; "
            "from mamoru.testing import parallel; "
            f"paths.BUILD = Path({str(build)!r}); "
            f"cm = parallel.test_lock({exclusive}); cm.__enter__(); print('held', flush=True); "
            "sys.stdin.readline(); cm.__exit__(None, None, None)")
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         env={"PYTHONPATH": str(paths.ROOT / "tools")})
    assert p.stdout is not None
    if wait:
        assert p.stdout.readline() == "held\n"
    return p


def _release(p: subprocess.Popen[str]) -> None:
    assert p.stdin is not None
    p.stdin.write("go\n")
    p.stdin.flush()


def _stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        p.kill()
        p.wait(10)


class _Taker(threading.Thread):
    """This process taking the test lock in a thread; `held` is set once it has it."""

    def __init__(self, exclusive: bool) -> None:
        super().__init__(daemon=True)
        self.exclusive = exclusive
        self.held = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        with parallel.test_lock(self.exclusive):
            self.held.set()
            self.done.wait(60)


# Generous: these wait for a condition (the lock changing hands), they time nothing.
SETTLE = 60.0
# How long a taker that must wait is watched not to get the lock (it never may, so a busy
# machine cannot make this fail; it only shortens what a broken lock would be caught in).
WATCH = 0.5


@pytest.mark.parametrize("other_exclusive, mine_exclusive, waits", [
    (False, False, False),       # two ordinary tests run side by side
    (True, False, True),         # an exclusive test holds the others off
    (False, True, True),         # and waits for the running one
])
def test_the_lock_lets_an_exclusive_test_run_alone(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        other_exclusive: bool, mine_exclusive: bool, waits: bool) -> None:
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    other = _hold(other_exclusive, tmp_path)
    mine = _Taker(mine_exclusive)
    try:
        mine.start()
        if waits:
            assert not mine.held.wait(WATCH), "took the lock while the other held it"
            _release(other)
        assert mine.held.wait(SETTLE), "never got the lock"
    finally:
        mine.done.set()
        _stop(other)


def _gate_taken(build: Path) -> bool:
    """Whether someone holds the turnstile exclusively (an exclusive test is queued)."""
    fd = os.open(build / parallel.GATE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_a_waiting_exclusive_test_is_not_starved(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """While an exclusive test waits for a running one, no new test starts before it: the
    new one gets the lock only after the exclusive one has had it."""
    monkeypatch.setattr(paths, "BUILD", tmp_path)
    running = _hold(False, tmp_path)
    waiting = _hold(True, tmp_path, wait=False)
    mine = _Taker(False)
    try:
        deadline = time.monotonic() + SETTLE
        while not _gate_taken(tmp_path):      # the exclusive one is queued at the gate
            assert time.monotonic() < deadline, "the exclusive test never reached the gate"
            time.sleep(0.05)
        mine.start()
        assert not mine.held.wait(WATCH), "started past a queued exclusive test"
        _release(running)
        assert waiting.stdout is not None and waiting.stdout.readline() == "held\n"
        assert not mine.held.is_set(), "ran beside the exclusive test"
        _release(waiting)
        assert mine.held.wait(SETTLE), "never got the lock after the exclusive test"
    finally:
        mine.done.set()
        _stop(running, waiting)


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
