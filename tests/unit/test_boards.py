# SPDX-License-Identifier: GPL-2.0-only
"""A board is described once: every board folder (boards/<vendor>/<board>/) has a valid
board.toml, a Kconfig entry and a defconfig that agree with each other and with its C data;
SConstruct, Kconfig and the ./mamoru tools see the same boards and the same default."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import kconfiglib
import pytest
from hostprog import run_prog

from mamoru import boards, paths, qemu_dtb, sdcard
from mamoru.boards import BOARDS, BOARDS_DIR, DEFAULT_BOARD, BoardError, load_boards
from mamoru.qemu import Chardev, QemuError, qemu_argv
from mamoru.testing.scons import scons
from mamoru.verbs import build, menuconfig, run
from mamoru.verbs import sdcard as sdcard_verb

ROOT = Path(__file__).resolve().parents[2]
FOLDER_FILES = ("board.toml", "Kconfig.board", "SConscript")


def kconfig() -> kconfiglib.Kconfig:
    os.environ["srctree"] = str(ROOT)  # noqa: SIM112 (kconfiglib reads this name)
    return kconfiglib.Kconfig(str(ROOT / "Kconfig"), warn_to_stderr=False)


def test_every_board_folder_is_a_complete_board() -> None:
    folders = sorted(p.parent for p in BOARDS_DIR.glob("*/*/*") if p.is_file())
    assert folders, "no board folders"
    assert sorted({b.folder for b in BOARDS.values()}) == sorted(set(folders))
    for b in BOARDS.values():
        assert b.folder == BOARDS_DIR / b.vendor / b.name
        for name in (*FOLDER_FILES, b.defconfig.name):
            assert (b.folder / name).is_file(), f"{b.folder}/{name} is missing"
        # The C data names the board as board.toml's title (the boot banner prints it).
        c_names = [m for f in b.folder.glob("*.c")
                   for m in re.findall(r'\.name\s*=\s*"([^"]*)"', f.read_text())]
        assert c_names == [b.title], (b.name, c_names)
        sconscript = (b.folder / "SConscript").read_text()
        assert all(f'"{c.name}"' in sconscript for c in b.folder.glob("*.c")), b.name


def test_kconfig_choice_is_the_board_folders() -> None:
    k = kconfig()
    choice = k.named_choices["BOARD_CHOICE"]
    assert {s.name for s in choice.syms} == {b.kconfig for b in BOARDS.values()}
    for sym in choice.syms:    # every entry comes from its board's Kconfig.board
        board = next(b for b in BOARDS.values() if b.kconfig == sym.name)
        assert [n.filename for n in sym.nodes] == [
            str((board.folder / "Kconfig.board").relative_to(ROOT))]


@pytest.mark.parametrize("name", list(BOARDS))
def test_defconfig_selects_its_board_and_architecture(name: str) -> None:
    b = BOARDS[name]
    k = kconfig()
    k.load_config(str(b.defconfig))
    assert not k.warnings, k.warnings
    assert k.named_choices["BOARD_CHOICE"].selection is k.syms[b.kconfig]
    assert k.syms["BOARD"].str_value == name
    assert k.syms[b.arch.kconfig].str_value == "y"
    others = [a.kconfig for a in boards.ARCHES.values() if a is not b.arch]
    assert all(k.syms[s].str_value != "y" for s in others if s in k.syms)
    # Only the board's own choices: every line of the defconfig is honoured as written.
    for line in b.defconfig.read_text().splitlines():
        m = re.match(r"^(?:CONFIG_(\w+)=(\S+)|# CONFIG_(\w+) is not set)$", line)
        if m:
            sym, value = (m[1], m[2]) if m[1] else (m[3], "n")
            assert k.syms[sym].str_value == value, (b.defconfig, line)


def test_pi_defconfigs_leave_out_the_fault_command() -> None:
    """A field device has no command that crashes it on purpose; virt (the test board)
    keeps it."""
    for b in BOARDS.values():
        k = kconfig()
        k.load_config(str(b.defconfig))
        expected = "n" if b.sdcard is not None else "y"
        assert k.syms["CMD_FAULT"].str_value == expected, b.name


def test_scons_knows_the_same_boards() -> None:
    r = scons("board=nosuchboard")
    assert r.returncode != 0
    m = re.search(r"unknown board 'nosuchboard' \(choose from (.*), all\)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert sorted(m[1].split(", ")) == sorted(BOARDS)


def test_defaults_agree(tmp_path: Path) -> None:
    # SConstruct without board=: the default board's defconfig.
    r = scons(f"out={tmp_path}", "defconfig")
    assert r.returncode == 0, r.stdout + r.stderr
    default = BOARDS[DEFAULT_BOARD]
    assert f"written from {default.defconfig.relative_to(ROOT)}" in r.stdout
    # Kconfig's choice, with no configuration loaded.
    assert kconfig().named_choices["BOARD_CHOICE"].selection.name == default.kconfig
    # The verbs that take one board.
    for verb in (build, run, menuconfig):
        parser = argparse.ArgumentParser()
        verb.add_arguments(parser)
        assert parser.parse_args([]).board == DEFAULT_BOARD, verb.__name__
    # The SD card has no default: the default board has no card, and a card fits one Pi.
    parser = argparse.ArgumentParser()
    sdcard_verb.add_arguments(parser)
    assert parser.parse_args([]).board is None
    assert BOARDS[DEFAULT_BOARD].sdcard is None


def test_sdcard_needs_a_board(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    sdcard_verb.add_arguments(parser)
    assert sdcard_verb.main(parser.parse_args(["--no-build"])) == 1
    assert "which Raspberry Pi? --board" in capsys.readouterr().err


def test_tools_read_the_descriptions() -> None:
    assert set(sdcard.CARDS) == {b.name for b in BOARDS.values() if b.sdcard}
    for name, spec in sdcard.CARDS.items():
        assert spec.dtb == BOARDS[name].dtb
        assert spec.firmware == BOARDS[name].sdcard.firmware  # type: ignore[union-attr]
    assert set(boards.DTB_FILES) == {b.dtb for b in BOARDS.values() if b.dtb}
    assert {c.board.name for c in boards.CONFIGS} == set(BOARDS)
    ids = [c.id for c in boards.CONFIGS]
    assert len(ids) == len(set(ids))


def test_no_reference_to_the_old_layout() -> None:
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True,
                             text=True, check=True).stdout.split()
    old = re.compile(r"(?<![\w/-])configs/|boards/(qemu-virt|rpi)\b|board_folder\(")
    hits = [f for f in tracked if (ROOT / f).is_file() and f != "tests/unit/test_boards.py"
            and not f.endswith((".dtb", ".bin", ".img", ".cpio"))
            and old.search((ROOT / f).read_text(errors="replace"))]
    assert not hits, hits


# -- the format: errors, and not only arm64 --------------------------------------------------


def copy_boards(tmp_path: Path) -> Path:
    root = tmp_path / "boards"
    shutil.copytree(BOARDS_DIR, root, ignore=shutil.ignore_patterns("*.c"))
    return root


def test_versatilepb_is_the_arm32_board(tmp_path: Path) -> None:
    """The second architecture: its own compiler and QEMU, a device tree the build writes
    (dts) instead of one from the cache; guests under software virtualization."""
    vpb = BOARDS["versatilepb"]
    assert vpb.arch is boards.ARCHES["arm32"] and vpb.arch.qemu == "qemu-system-arm"
    assert vpb.sdcard is None and vpb.dtb is None and vpb.guests
    assert vpb.dts == vpb.folder / "versatilepb.dts"
    assert vpb.built_dtb == ROOT / "build" / "versatilepb" / "versatilepb.dtb"
    assert boards.guest_boards() == list(BOARDS)
    assert "versatilepb.dtb" not in boards.DTB_FILES     # not fetched by ./mamoru setup
    os.environ.pop("MAMORU_QEMU", None)
    dtb = tmp_path / "x.dtb"
    dtb.write_bytes(b"")
    argv = qemu_argv(boards.config_for("versatilepb"), Chardev("stdio"), image=tmp_path / "x.img",
                     dtb=dtb)
    assert argv[:3] == ["qemu-system-arm", "-M", "versatilepb"], argv
    assert argv[argv.index("-m") + 1] == "256M" and argv[argv.index("-dtb") + 1] == str(dtb)
    unbuilt = dataclasses.replace(vpb, name="not-built")
    missing = r"not-built/versatilepb\.dtb is missing: run \./mamoru build"
    with pytest.raises(QemuError, match=missing):
        qemu_argv(boards.BoardConfig("x", unbuilt), Chardev("stdio"), image=tmp_path / "x.img")
    virt = qemu_argv(boards.config_for("virt", 2), Chardev("stdio"), image=tmp_path / "x.img")
    assert virt[:3] == ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=2"]


def test_a_board_without_guests_gets_no_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """./mamoru build makes guests.cpio only for boards that run guests."""
    import mamoru.bundle

    made: list[list[str]] = []
    monkeypatch.setattr(mamoru.bundle, "ensure_board_bundles",
                        lambda b, g=None: made.append(b) or [])
    monkeypatch.setattr(build.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0))
    monkeypatch.setattr(build.paths, "image_path", lambda b: Path(__file__))
    monkeypatch.setitem(BOARDS, "versatilepb",
                        dataclasses.replace(BOARDS["versatilepb"], guests=False))
    assert build.build(["versatilepb"], 1) == 0 and made == []
    assert build.build(["versatilepb", "virt"], 1) == 0 and made == [["virt"]]
    assert build.bundles(["versatilepb", "rpi3"], Path("guests.toml")) == 0
    assert made[-1] == ["rpi3"]


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('title = "Raspberry Pi 3 Model B"', ""), "no 'title'"),
    (lambda t: t.replace('arch = "arm64"', 'arch = "mips"'), "arch 'mips' is not in"),
    (lambda t: t.replace('vendor = "raspberrypi"', 'vendor = "bcm"'),
     "belongs in boards/bcm/rpi3/"),
    (lambda t: t.replace('console = "mini"', 'console = "usb"'), "console"),
    (lambda t: t.replace("ram_mib = 1024", 'ram_mib = "1G"'), "'ram_mib' must be of type int"),
    (lambda t: t.replace("partition_mib = 256", ""), "no 'partition_mib'"),
    (lambda t: t.replace('dtb = "bcm2837-rpi-3-b.dtb"', ""), "an SD card needs the board's dtb"),
    (lambda t: t.replace("[qemu]", '[qemu]\ndts = "nope.dts"'), "must be a file in the board's"),
    (lambda t: t.replace("ram_mib = 1024", "ram_mib = 1024\nguests = 1"),
     "'guests' must be of type bool"),
    (lambda t: t + "\n[[qemu.configs]]\nid = \"x\"\ndefault = true\n"
               "[[qemu.configs]]\nid = \"y\"\ndefault = true\n", "at most one default"),
    (lambda t: t.replace('name = "rpi3"', 'name = "rpi4"'), "belongs in boards/raspberrypi/rpi4"),
    (lambda t: t.replace("[qemu]", "[qemu]\ndtb_memory = [[0x40000000]]"), "dtb_memory entries"),
    (lambda t: t.replace("[qemu]", "[qemu]\ndtb_memory = [[0x40000001, 4096]]"),
     "page-aligned"),
    (lambda t: t.replace("[qemu]", "[qemu]\ndtb_memory = [[0, 0]]"), "size > 0"),
    (lambda t: t.replace('dtb = "bcm2837-rpi-3-b.dtb"', "dtb_memory = [[0, 4096]]")
     .replace("[sdcard]", "[nocard]"), "dtb_memory needs the board's dtb"),
])
def test_a_wrong_description_is_refused(tmp_path: Path, edit: object, message: str) -> None:
    root = copy_boards(tmp_path)
    path = root / "raspberrypi" / "rpi3" / "board.toml"
    path.write_text(edit(path.read_text()))  # type: ignore[operator]
    with pytest.raises(BoardError) as e:
        load_boards(root)
    assert message in str(e.value) and "rpi3/board.toml" in str(e.value)


def test_the_default_must_be_a_board(tmp_path: Path) -> None:
    root = copy_boards(tmp_path)
    common = root / "boards.toml"
    common.write_text(common.read_text().replace('default = "virt"', 'default = "pc"'))
    with pytest.raises(BoardError, match="the default board 'pc' has no folder"):
        load_boards(root)


def _run_argv(monkeypatch: pytest.MonkeyPatch, *argv: str) -> dict[str, object]:
    """What ./mamoru run ARGV would prepare (prepare's keywords) and execute (argv)."""
    seen: dict[str, object] = {}
    monkeypatch.delenv("MAMORU_QEMU", raising=False)
    monkeypatch.setattr(build, "prepare", lambda boards, jobs, **kw: seen.update(kw) or 0)
    monkeypatch.setattr(run.os, "execvp", lambda prog, argv: seen.update(argv=argv))
    monkeypatch.setattr(boards.Board, "built_dtb", property(lambda b: Path(__file__)))
    parser = argparse.ArgumentParser()
    run.add_arguments(parser)
    parser.add_argument("passthrough", nargs="*")
    run.main(parser.parse_args(list(argv)))
    return seen


def test_run_boots_versatilepb_with_its_guest(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """./mamoru run --board versatilepb: the board's guest bundle (-initrd), the built DTB."""
    monkeypatch.setattr(run.paths, "BUILD", tmp_path)
    (tmp_path / "versatilepb").mkdir()
    (tmp_path / "versatilepb" / "guests.cpio").write_bytes(b"")
    seen = _run_argv(monkeypatch, "--board", "versatilepb", "--no-build")
    argv = seen["argv"]
    assert isinstance(argv, list) and argv[:3] == ["qemu-system-arm", "-M", "versatilepb"], argv
    assert argv[argv.index("-initrd") + 1] == str(tmp_path / "versatilepb" / "guests.cpio")
    assert argv[argv.index("-dtb") + 1] == __file__, argv
    assert seen["bundle"] is True, seen


def test_run_boots_a_board_without_guests_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A board whose board.toml says guests = false: no guest bundle (-initrd)."""
    vpb = dataclasses.replace(BOARDS["versatilepb"], guests=False)
    config = dataclasses.replace(boards.config_for("versatilepb"), board=vpb)
    monkeypatch.setattr(run, "config_for", lambda board, gic=None: config)
    seen = _run_argv(monkeypatch, "--board", "versatilepb", "--no-build")
    argv = seen["argv"]
    assert isinstance(argv, list) and argv[:3] == ["qemu-system-arm", "-M", "versatilepb"], argv
    assert "-initrd" not in argv and argv[argv.index("-dtb") + 1] == __file__, argv
    assert seen["bundle"] is False, seen
    with pytest.raises(SystemExit, match="runs no guests"):
        _run_argv(monkeypatch, "--board", vpb.name, "--guests", "g.toml")


def test_qemu_dtb_adds_the_missing_banks(tmp_path: Path, host_build: Path) -> None:
    """The Pi 4's DTB for QEMU gets a memory node for the bank at 1 GiB, in the root's cells
    (2 address, 1 size), as the hypervisor's own tree reader sees it."""
    board = BOARDS["rpi4"]
    assert board.dtb and board.dtb_memory == ((0x4000_0000, 0x4000_0000),)
    src = paths.dtb_dir() / board.dtb
    if not src.is_file():
        pytest.fail(f"{src} is missing: ./mamoru setup", pytrace=False)
    dst = tmp_path / "qemu.dtb"
    qemu_dtb.add_memory(src, dst, board.dtb_memory)
    out = run_prog(host_build, "fdt_dump", [dst]).stdout.decode()
    assert re.search(r"^node /ram@40000000\n  reg = <0x00000000 0x40000000 0x40000000>\n"
                     r"  device_type = \"memory\"$", out, re.M), out
    assert qemu_dtb.qemu_dtb(BOARDS["rpi3"], src) == src      # no dtb_memory: as it is
    with pytest.raises(qemu_dtb.DtbError, match="does not fit"):
        qemu_dtb.add_memory(src, dst, ((1 << 64, 4096),))
