# SPDX-License-Identifier: GPL-2.0-only
"""`./mamoru setup`'s apt part (mamoru.verbs.setup.ensure_packages): an optional package
(ccache) that cannot be installed leaves a warning, not a failed setup, and is not tried
again on later runs; one that can is installed; MAMORU_CCACHE=0 leaves ccache out; a
required one that fails still stops setup."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from mamoru.verbs import setup


class FakeRunner(setup.Runner):
    """Root, records each command; fails the ones whose words contain `fail`."""

    def __init__(self, fail: str | None = None) -> None:
        super().__init__(dry_run=False)
        self.root_prefix = []
        self.fail = fail
        self.ran: list[list[str]] = []

    def root(self, argv: Sequence[str], env: dict[str, str] | None = None) -> bool:
        self.ran.append(list(argv))
        if self.fail and self.fail in argv:
            raise SystemExit(f"setup: '{' '.join(argv)}' failed with exit code 100")
        return True


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, list[str]]:
    """A Debian 12 host with QEMU 10, its sources and architectures in place; the missing
    packages are what the test puts in the returned dict."""
    missing: dict[str, list[str]] = {"required": [], "optional": []}
    monkeypatch.setenv("MAMORU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MAMORU_CCACHE", raising=False)
    monkeypatch.setattr(setup, "qemu_version", lambda binary="": (10, 0, 2))
    monkeypatch.setattr(setup, "sources_have_suite", lambda suite, apt_dir=None: True)
    monkeypatch.setattr(setup, "sources_have", lambda *a, **k: True)
    monkeypatch.setattr(setup, "foreign_architectures", lambda: set(setup.FOREIGN_ARCHES))
    monkeypatch.setattr(setup, "missing_packages", lambda pkgs: [
        p for p in pkgs if p in missing["required"] + missing["optional"]])
    return missing


def test_optional_package_failure_is_a_warning(host: dict[str, list[str]],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    host["optional"] = ["ccache"]
    r = FakeRunner(fail="ccache")
    setup.ensure_packages(r, "bookworm")
    assert ["apt-get", "update"] in r.ran
    assert ["apt-get", "install", "-y", "ccache"] in r.ran
    assert "warning" in capsys.readouterr().out
    # Tried once: the next run (every ./mamoru test sets up) leaves it alone.
    again = FakeRunner(fail="ccache")
    assert setup.ensure_packages(again, "bookworm") == [] and again.ran == []


def test_ccache_off_is_not_installed(host: dict[str, list[str]],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    host["optional"] = ["ccache"]
    monkeypatch.setenv("MAMORU_CCACHE", "0")
    r = FakeRunner()
    assert setup.ensure_packages(r, "bookworm") == [] and r.ran == []


def test_optional_package_is_installed(host: dict[str, list[str]]) -> None:
    host["optional"] = ["ccache"]
    r = FakeRunner()
    assert "install ccache (optional)" in setup.ensure_packages(r, "bookworm")
    assert r.ran == [["apt-get", "update"], ["apt-get", "install", "-y", "ccache"]]


def test_nothing_missing_runs_nothing(host: dict[str, list[str]]) -> None:
    r = FakeRunner()
    assert setup.ensure_packages(r, "bookworm") == [] and r.ran == []


def test_required_package_failure_stops_setup(host: dict[str, list[str]]) -> None:
    host["required"] = ["cpio"]
    with pytest.raises(SystemExit):
        setup.ensure_packages(FakeRunner(fail="cpio"), "bookworm")
