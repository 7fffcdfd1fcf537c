# SPDX-License-Identifier: GPL-2.0-only
"""The SD card image: partition table, FAT32 file system, the files and config.txt read back
out of it, reproducibility, and updating the files of a flashed card in place."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from sdcard_helpers import Card, mtools, read_mbr

from mamoru import guest_disk, paths, sdcard
from mamoru.boards import BOARDS
from mamoru.guest_assets import ROOT_MARKER, ROOT_MARKER_TEXT, default_init_script

MIB = 1 << 20


def config_settings(text: str, section: str) -> tuple[dict[str, str], list[str]]:
    """The key=value settings of config.txt that apply on a board whose conditional
    filter is `section` (lines under [all] or [section]), and its `initramfs` lines."""
    settings: dict[str, str] = {}
    initramfs: list[str] = []
    active = True
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            active = m.group(1) in ("all", section)
            continue
        if not active:
            continue
        if line.startswith("initramfs "):
            initramfs.append(line)
            continue
        key, sep, value = line.partition("=")
        assert sep, f"config.txt line is neither key=value nor a section: {raw!r}"
        settings[key.strip()] = value.strip()
    return settings, initramfs


def test_partition_table(card: Card) -> None:
    head, entries = read_mbr(card.image)
    assert head[510:512] == b"\x55\xaa", "no MBR signature"
    used = [e for e in entries if e.type]
    assert len(used) == 2, f"want the boot and the data partition, found {used}"
    p = used[0]
    assert p.type == 0x0C, f"partition type {p.type:#x}, want 0x0c (FAT32 LBA)"
    assert p.status in (0x00, 0x80)
    assert p.start * 512 == 4 * MIB, "the boot partition starts at 4 MiB"
    assert p.sectors * 512 == 256 * MIB
    assert card.image.stat().st_size >= (p.start + p.sectors) * 512, "partition past the end"
    assert struct.unpack_from("<I", head, 440)[0] != 0, "no disk signature"
    # Partition 2, the guest's disk (sd:2): Linux, right after the boot partition, to the end.
    d = used[1]
    assert entries[1] == d and d.type == 0x83 and d.status == 0x00, d
    assert d.start == p.start + p.sectors and d.sectors * 512 == 64 * MIB, d
    assert card.image.stat().st_size == (d.start + d.sectors) * 512


def test_data_partition(card: Card, tmp_path: Path) -> None:
    """Partition 2 is ext4 (label MAMORU-DATA) holding the README that says what it is and
    the default guest's root file system (its /sbin/init the default /init, the marker that
    makes the initramfs switch to it): read back with debugfs, as the guest's disk is in
    tests/disk."""
    _, entries = read_mbr(card.image)
    part = tmp_path / "p2.img"
    with open(card.image, "rb") as f:
        f.seek(entries[1].start * 512)
        part.write_bytes(f.read(entries[1].sectors * 512))
    sb = part.read_bytes()[1024:2048]
    assert struct.unpack_from("<H", sb, 56)[0] == 0xEF53, "no ext4 superblock"
    assert sb[120:136].rstrip(b"\0") == b"MAMORU-DATA"
    assert guest_disk.read_file(part, "/README") == sdcard.DATA_README
    assert guest_disk.read_file(part, "/sbin/init") == default_init_script().encode()
    assert guest_disk.read_file(part, f"/{ROOT_MARKER}") == ROOT_MARKER_TEXT
    assert guest_disk.read_file(part, "/bin/busybox")[:4] == b"\x7fELF"


def test_fat32_boot_sector(card: Card) -> None:
    with open(card.image, "rb") as f:
        f.seek(card.offset)
        bs = f.read(512)
    assert bs[510:512] == b"\x55\xaa"
    assert bs[82:90] == b"FAT32   ", f"file system type {bs[82:90]!r}"
    assert struct.unpack_from("<H", bs, 11)[0] == 512, "bytes per sector"
    assert struct.unpack_from("<I", bs, 28)[0] == card.offset // 512, "hidden sectors"
    assert bs[71:82].rstrip() == b"MAMORU"
    out = mtools("minfo", "-i", card.drive, "::")
    assert "sector size: 512 bytes" in out


def expected_names(card: Card) -> set[str]:
    spec = sdcard.CARDS[card.board]
    names = {*spec.firmware, spec.dtb, "config.txt", "cmdline.txt", "mamoru.img",
             "mamoru-card.txt"}
    if card.contents.bundle:
        names.add("guests.cpio")
    return names


def test_files_on_card(card: Card) -> None:
    assert set(card.names()) == expected_names(card)
    if card.board == "rpi3":
        assert "bootcode.bin" in card.names(), "the Pi 3's boot ROM loads bootcode.bin"


def test_files_read_back_match_their_sources(card: Card, card_files: dict[str, Path]) -> None:
    spec = sdcard.CARDS[card.board]
    assert card_files["mamoru.img"].read_bytes() == paths.image_path(card.board).read_bytes()
    assert card_files[spec.dtb].read_bytes() == (paths.dtb_dir() / spec.dtb).read_bytes()
    if card.contents.bundle:
        assert card_files["guests.cpio"].read_bytes() == sdcard.bundle_path(
            card.board).read_bytes()
    for name in spec.firmware:
        data = card_files[name].read_bytes()
        assert len(data) > 1000, f"{name} is {len(data)} bytes"
        if name.endswith(".elf"):
            assert data[:4] == b"\x7fELF", f"{name} is no (VideoCore) ELF"
    image = card_files["mamoru.img"].read_bytes()
    assert image[56:60] == b"ARM\x64", "mamoru.img has no arm64 Image header"


def test_manifest(card_files: dict[str, Path]) -> None:
    lines = card_files["mamoru-card.txt"].read_text().splitlines()
    listed = {}
    for line in lines:
        m = re.fullmatch(r"([0-9a-f]{64})\s+(\d+)\s+(\S+)", line)
        if m:
            listed[m.group(3)] = (m.group(1), int(m.group(2)))
    assert set(listed) == set(card_files) - {"mamoru-card.txt"}
    for name, (digest, size) in listed.items():
        data = card_files[name].read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (digest, size), name


def test_config_txt(card: Card, card_files: dict[str, Path]) -> None:
    spec = sdcard.CARDS[card.board]
    text = card_files["config.txt"].read_text()
    settings, initramfs = config_settings(text, spec.section)
    assert settings.get("arm_64bit") == "1"
    assert settings.get("kernel") == "mamoru.img"
    assert settings.get("enable_uart") == "1"
    assert settings.get("init_uart_baud") == "115200"
    assert settings.get("device_tree") == spec.dtb
    # The mini UART's clock is pinned (see config.txt's comments).
    assert settings.get("core_freq") == settings.get("core_freq_min") == str(spec.core_freq)
    assert not any(k.startswith("dtoverlay") for k in settings), "the PL011 stays on Bluetooth"
    if card.contents.bundle:
        assert initramfs == ["initramfs guests.cpio followkernel"]
    else:
        assert initramfs == []
    for name in [settings["kernel"], settings["device_tree"],
                 *(line.split()[1] for line in initramfs)]:
        assert name in card_files, f"config.txt names {name}, which is not on the card"
    other = "pi3" if spec.section == "pi4" else "pi4"
    assert f"[{other}]" not in text, "settings for the other board"


def fdtget(dtb: Path, node: str, prop: str) -> str:
    r = subprocess.run(["fdtget", str(dtb), node, prop], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, f"fdtget {node} {prop}: {r.stderr}"
    return r.stdout.strip()


def test_console_uart_is_consistent(card: Card, card_files: dict[str, Path]) -> None:
    """cmdline.txt (-> /chosen/bootargs, which Mamoru reads first) and the DTB's
    stdout-path both lead to the mini UART, the UART enable_uart=1 puts on GPIO 14/15."""
    if shutil.which("fdtget") is None:
        pytest.skip("fdtget (device-tree-compiler) is not installed")
    spec = sdcard.CARDS[card.board]
    dtb = card_files[spec.dtb]
    cmdline = card_files["cmdline.txt"].read_text()
    assert "\n" not in cmdline.rstrip("\n"), "cmdline.txt must be one line"
    consoles = re.findall(r"(?:^|\s)console=(\S+)", cmdline)
    assert len(consoles) == 1, cmdline
    node = consoles[0]
    assert node.startswith("/"), "a device-tree path: the firmware rewrites serial0/ttyS0"
    assert fdtget(dtb, node, "compatible").split()[0] == "brcm,bcm2835-aux-uart"
    stdout_alias = fdtget(dtb, "/chosen", "stdout-path").split(":")[0]
    assert fdtget(dtb, "/aliases", stdout_alias) == node


def test_image_is_reproducible(card: Card, tmp_path: Path) -> None:
    again = tmp_path / "again.img"
    sdcard.build_card(card.board, again)

    def digest(p: Path) -> str:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    assert digest(again) == digest(card.image)


def test_update_in_place(card: Card, tmp_path: Path) -> None:
    """--update on a flashed card: a disk image (MBR) and a bare partition both work."""
    disk = tmp_path / "disk.img"
    shutil.copyfile(card.image, disk)
    new_kernel = tmp_path / "new.img"
    new_kernel.write_bytes(b"new kernel " * 1000)
    sdcard.update_image(disk, {"mamoru.img": new_kernel})
    assert sdcard.read_file(disk, "mamoru.img", card.offset) == new_kernel.read_bytes()
    assert set(sdcard.list_files(disk, card.offset)) == expected_names(card)

    part = tmp_path / "part.img"
    with open(card.image, "rb") as src, open(part, "wb") as dst:
        src.seek(card.offset)
        shutil.copyfileobj(src, dst)
    assert sdcard.update_image(part, {"mamoru.img": new_kernel}) == 0
    assert sdcard.read_file(part, "mamoru.img", 0) == new_kernel.read_bytes()


def test_update_directory(card: Card, card_files: dict[str, Path], tmp_path: Path) -> None:
    mounted = tmp_path / "MAMORU"
    mounted.mkdir()
    shutil.copyfile(card_files["config.txt"], mounted / "config.txt")
    new_kernel = tmp_path / "new.img"
    new_kernel.write_bytes(b"k" * 5000)
    sdcard.update_directory(mounted, {"mamoru.img": new_kernel})
    assert (mounted / "mamoru.img").read_bytes() == new_kernel.read_bytes()
    empty = tmp_path / "not-a-card"
    empty.mkdir()
    with pytest.raises(sdcard.CardError, match="boot partition"):
        sdcard.update_directory(empty, {"mamoru.img": new_kernel})


def test_board_titles_known() -> None:
    assert set(sdcard.CARDS) <= set(BOARDS)


def test_cluster_size_at_least_2k(card: Card) -> None:
    """2 KiB clusters or larger, like the Pi's own images (mkfs.vfat's default for this
    size would be 512 bytes); still FAT32, which needs at least 65525 clusters."""
    with open(card.image, "rb") as f:
        f.seek(card.offset)
        bs = f.read(512)
    bytes_per_sector = struct.unpack_from("<H", bs, 11)[0]
    per_cluster = bs[13]
    assert bytes_per_sector * per_cluster >= 2048, f"{per_cluster} sectors per cluster"
    reserved = struct.unpack_from("<H", bs, 14)[0]
    nfats = bs[16]
    total = struct.unpack_from("<I", bs, 32)[0]
    fat_sectors = struct.unpack_from("<I", bs, 36)[0]
    clusters = (total - reserved - nfats * fat_sectors) // per_cluster
    assert clusters >= 65525, f"{clusters} clusters is too few for FAT32"
    out = mtools("minfo", "-i", card.drive, "::")
    assert re.search(rf"cluster size: {per_cluster} sectors\b", out), out


def test_debug_boot_card(card: Card, tmp_path: Path) -> None:
    """--debug-boot: the same card, with the firmware's own boot log switched on."""
    out = tmp_path / "debug.img"
    sdcard.build_card(card.board, out, debug_boot=True)
    offset = read_mbr(out)[1][0].start * 512
    text = sdcard.read_file(out, "config.txt", offset).decode()
    spec = sdcard.CARDS[card.board]
    settings, _ = config_settings(text, spec.section)
    assert settings.get("uart_2ndstage") == "1" and settings.get("dtdebug") == "1"
    normal, _ = config_settings(sdcard.config_txt(card.board), spec.section)
    assert {k: v for k, v in settings.items() if k not in ("uart_2ndstage", "dtdebug")} == normal
    assert "uart_2ndstage" not in normal and "dtdebug" not in normal, "off by default"
    assert "--debug-boot" in sdcard.config_txt(card.board), "the default says how to turn it on"


def test_pl011_console_card(card: Card, card_files: dict[str, Path], tmp_path: Path) -> None:
    """--console pl011: the card's DTB gives the PL011 the pin group uart0_gpio14 and the
    console (stdout-path serial0), cmdline.txt names the PL011; nothing else changes."""
    if shutil.which("fdtget") is None:
        pytest.fail("fdtget (device-tree-compiler) is missing: ./mamoru setup", pytrace=False)
    out = tmp_path / "pl011.img"
    sdcard.build_card(card.board, out, console="pl011")
    spec = sdcard.CARDS[card.board]
    offset = read_mbr(out)[1][0].start * 512
    dtb = tmp_path / spec.dtb
    dtb.write_bytes(sdcard.read_file(out, spec.dtb, offset))
    assert sdcard.read_file(out, "cmdline.txt", offset) == b"console=/soc/serial@7e201000\n"
    group = "/soc/gpio@7e200000/uart0_gpio14"
    handle = fdtget(dtb, group, "phandle")
    assert fdtget(dtb, "/soc/serial@7e201000", "pinctrl-0") == handle
    assert fdtget(dtb, "/soc/serial@7e201000", "pinctrl-names") == "default"
    assert fdtget(dtb, "/chosen", "stdout-path") == "serial0:115200n8"
    assert fdtget(dtb, group, "brcm,function") == "4", "ALT0: the PL011"
    original = card_files[spec.dtb]
    assert fdtget(dtb, "/soc/serial@7e215040", "pinctrl-0") == fdtget(
        original, "/soc/serial@7e215040", "pinctrl-0"), "the mini UART is left as it was"
    assert dtb.stat().st_size > original.stat().st_size * 9 // 10
    text = sdcard.read_file(out, "config.txt", offset).decode()
    settings, _ = config_settings(text, spec.section)
    normal, _ = config_settings(sdcard.config_txt(card.board), spec.section)
    assert settings == normal, "the same settings; only the comments differ"
    assert "the PL011 (UART0) on GPIO 14" in text
    with pytest.raises(sdcard.CardError, match="no console UART"):
        sdcard.cmdline_txt(card.board, "uart7")
