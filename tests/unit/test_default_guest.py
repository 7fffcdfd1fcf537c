# SPDX-License-Identifier: GPL-2.0-only
"""Which guest a board's default bundle holds comes from its description (board.toml
default_guest, else its architecture's in boards/boards.toml), not from the verbs: the
versatile guest for versatilepb, Debian's cloud kernel for virt, its generic kernel for
the Pis. The build
makes bundles only for boards with guests; `./mamoru bundle --board versatilepb` makes its
bundle anyway, rebuilt only when an input changed. No kernel is built here (fakes)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import time
from pathlib import Path

import pytest

from mamoru import boards, bundle, paths, versatile_guest, versatilekernel
from mamoru.boards import ARCHES, BOARDS, BOARDS_DIR, BoardError, load_boards
from mamoru.bundle import GuestSpec, read_bundle
from mamoru.guest_platform import GuestPlatform
from mamoru.verbs import bundle as bundle_verb


def test_each_board_names_its_default_guest() -> None:
    assert BOARDS["versatilepb"].default_guest == "versatile"
    assert ARCHES["arm32"].default_guest is None      # versatilepb names its own
    assert ARCHES["arm64"].default_guest == "debian-cloud"
    assert BOARDS["virt"].default_guest == "debian-cloud"
    # The Pis name Debian's generic kernel, which has their drivers; the Pi 3's guest owns
    # the USB controller behind which its Ethernet sits.
    for name in ("rpi3", "rpi4"):
        assert BOARDS[name].default_guest == "debian-generic", name
    assert BOARDS["rpi3"].default_passthrough == ("/soc/usb@7e980000",)
    assert BOARDS["rpi4"].default_passthrough is None
    assert BOARDS["virt"].default_passthrough is None
    assert set(boards.DEFAULT_GUESTS) == {"debian-cloud", "debian-generic", "versatile"}


def test_the_pi_default_guest_platform() -> None:
    """What the Pis' default bundles are made of (no kernel fetched: the platform)."""
    p3, p4, v = (bundle.board_platform(b) for b in ("rpi3", "rpi4", "virt"))
    assert (p3.disk, p3.passthrough) == ("sd:2", ("/soc/usb@7e980000",))
    assert (p4.disk, p4.passthrough) == ("sd:2", None)
    assert (v.disk, v.passthrough) == (None, None)
    # A vCPU on each of the board's four cores.
    assert (p3.vcpus, p4.vcpus, v.vcpus) == (4, 4, 4)
    assert BOARDS["versatilepb"].cpus == 1
    assert bundle.board_platform("rpi3", kaslr=True).kaslr
    assert bundle.DEBIAN_KINDS[BOARDS["rpi3"].default_guest or ""] == "generic"


def _boards_copy(tmp_path: Path) -> Path:
    root = tmp_path / "boards"
    shutil.copytree(BOARDS_DIR, root, ignore=shutil.ignore_patterns("*.c"))
    return root


def test_a_wrong_default_guest_is_refused(tmp_path: Path) -> None:
    root = _boards_copy(tmp_path)
    toml = root / "arm" / "versatilepb" / "board.toml"
    text = toml.read_text()
    assert 'default_guest = "versatile"' in text
    toml.write_text(text.replace('default_guest = "versatile"', 'default_guest = "vxworks"'))
    with pytest.raises(BoardError, match="default_guest 'vxworks' is not one of"):
        load_boards(root)
    # A board that runs guests must have one; without guests it may have none.
    assert "guests = true" in text
    toml.write_text(text.replace('default_guest = "versatile"', ""))
    with pytest.raises(BoardError, match="needs a default_guest"):
        load_boards(root)
    toml.write_text(text.replace('default_guest = "versatile"', "")
                    .replace("guests = true", "guests = false"))
    assert load_boards(root)[0]["versatilepb"].default_guest is None


@pytest.fixture
def guestless_versatilepb(monkeypatch: pytest.MonkeyPatch) -> None:
    """versatilepb as a board that runs no guests (board.toml guests = false)."""
    monkeypatch.setitem(BOARDS, "versatilepb",
                        dataclasses.replace(BOARDS["versatilepb"], guests=False))


def test_the_build_makes_bundles_only_for_boards_with_guests(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    monkeypatch.setattr(bundle, "default_board_bundle", lambda b: made.append(b) or Path(b))
    assert BOARDS["versatilepb"].guests
    assert bundle.ensure_board_bundles(["versatilepb", "virt"]) == [Path("versatilepb"),
                                                                   Path("virt")]
    monkeypatch.setitem(BOARDS, "versatilepb",
                        dataclasses.replace(BOARDS["versatilepb"], guests=False))
    assert bundle.ensure_board_bundles(["versatilepb", "virt", "rpi3"]) == [Path("virt"),
                                                                           Path("rpi3")]
    assert made == ["versatilepb", "virt", "virt", "rpi3"]


@pytest.fixture
def fake_versatile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """A fake versatile kernel and guest (no build, no dtc); BUILD in tmp_path. Returns
    the fake inputs; every call of versatile_guest() is counted in the list's last slot."""
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    src = tmp_path / "k"
    src.mkdir()
    files = [src / n for n in ("zImage", "Image", "vmlinux", "config", "System.map", "pb.dtb",
                               "busybox")]
    old = time.time() - 100
    for f in files:
        f.write_bytes(f.name.encode())
        os.utime(f, (old, old))
    k = versatilekernel.VersatileKernel("6.1.0-fake", *files[:6])
    calls: list[int] = []
    monkeypatch.setattr(versatilekernel, "versatile_kernel", lambda: k)
    monkeypatch.setattr(versatilekernel, "busybox_armel", lambda: files[6])

    def fake_guest(kk: versatilekernel.VersatileKernel | None = None) -> GuestSpec:
        calls.append(1)
        assert kk in (k, None)
        return GuestSpec(GuestPlatform(name="guest0"), k.image, b"initrd", b"profile",
                         dtb=b"dtb", extra={"sidetab": b"\x01\x02\x03\x04"})
    monkeypatch.setattr(versatile_guest, "versatile_guest", fake_guest)
    monkeypatch.setattr(bundle, "tool_inputs", lambda: [])
    return [*files, calls]  # type: ignore[list-item]


def test_the_versatile_bundle_is_rebuilt_only_when_an_input_changes(
        fake_versatile: list[Path]) -> None:
    calls: list[int] = fake_versatile[-1]  # type: ignore[assignment]
    out = bundle.default_board_bundle("versatilepb")
    assert out == paths.BUILD / "versatilepb" / "guests.cpio"
    assert read_bundle(out) == {"guest0": {"kernel": b"Image", "initrd": b"initrd",
                                           "dtb": b"dtb", "profile": b"profile",
                                           "sidetab": b"\x01\x02\x03\x04"}}
    assert len(calls) == 1
    bundle.default_board_bundle("versatilepb")
    assert len(calls) == 1                          # nothing changed: not rebuilt
    vmlinux = fake_versatile[2]
    assert vmlinux.name == "vmlinux"
    vmlinux.write_bytes(b"a new build")             # a new mtime
    bundle.default_board_bundle("versatilepb")
    assert len(calls) == 2
    assert (paths.BUILD / "guests" / "versatile.cpio").is_file()


def _verb(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    bundle_verb.add_arguments(parser)
    return bundle_verb.main(parser.parse_args(list(argv)))


def test_bundle_verb_writes_the_versatilepb_bundle(
        fake_versatile: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert BOARDS["versatilepb"].guests
    assert _verb("--board", "versatilepb") == 0
    out, err = capsys.readouterr()
    assert "runs no guests" not in err
    target = paths.BUILD / "versatilepb" / "guests.cpio"
    assert f"bundle: {target}" in out and "(versatile)" in out
    assert read_bundle(target)["guest0"]["kernel"] == b"Image"
    other = paths.BUILD / "x.cpio"
    assert _verb("--board", "versatilepb", "-o", str(other)) == 0
    assert read_bundle(other)["guest0"]["dtb"] == b"dtb"


def test_bundle_verb_notes_a_board_without_guests(
        fake_versatile: list[Path], guestless_versatilepb: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _verb("--board", "versatilepb") == 0
    assert "versatilepb runs no guests yet" in capsys.readouterr().err
    assert (paths.BUILD / "versatilepb" / "guests.cpio").is_file()


@pytest.mark.parametrize("argv, message", [
    (["--board", "versatilepb", "--board", "virt", "-o", "x.cpio"], "different default guests"),
    (["--board", "versatilepb", "--guests", "g.toml", "-o", "x.cpio"], "guest files describe"),
    (["--board", "versatilepb", "--kaslr", "-o", "x.cpio"], "no KASLR"),
    ([], "give -o FILE"),
    (["--board", "virt", "--board", "rpi3"], "give -o FILE"),
    (["--board", "rpi3", "--board", "rpi4", "-o", "x.cpio"], "different default guests"),
])
def test_bundle_verb_refusals(fake_versatile: list[Path], capsys: pytest.CaptureFixture[str],
                              argv: list[str], message: str) -> None:
    assert _verb(*argv) == 2
    assert message in capsys.readouterr().err
    assert not (Path("x.cpio")).exists()
