# SPDX-License-Identifier: GPL-2.0-only
"""The flash refusal rules, on fake inputs: a sysfs/procfs/dev tree built in a temporary
directory (no real device is ever opened for writing), regular files, /dev/null."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mamoru import flash, paths
from mamoru.flash import BlockHost, FlashError, Mount

GB = 1000**3
IMAGE = 260 << 20

BUS = {
    "usb": "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
    "ata": "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0",
    "mmc": "platform/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa",
    "nvme": "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0",
    "virtual": "virtual",
}


@dataclass
class FakeDisk:
    name: str
    major: int
    bus: str
    size: int                                  # bytes
    removable: bool = False
    parts: list[str] = field(default_factory=list)
    model: str = "Fake Disk"


class FakeHost:
    """Builds sys/, proc/ and dev/ under root and a BlockHost looking at them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sys = root / "sys"
        self.proc = root / "proc"
        self.dev = root / "dev"
        for d in (self.sys / "class" / "block", self.proc / "self", self.dev):
            d.mkdir(parents=True, exist_ok=True)
        (self.proc / "swaps").write_text("Filename\tType\tSize\tUsed\tPriority\n")

    def _node(self, path: Path, name: str, devno: str, sectors: int) -> None:
        path.mkdir(parents=True)
        (path / "dev").write_text(devno + "\n")
        (path / "size").write_text(f"{sectors}\n")
        (self.sys / "class" / "block" / name).symlink_to(path)
        (self.dev / name).touch()

    def disk(self, d: FakeDisk) -> None:
        base = self.sys / "devices" / BUS[d.bus]
        if d.bus != "virtual":
            base = base / "block"
        path = base / d.name
        self._node(path, d.name, f"{d.major}:0", d.size // 512)
        (path / "removable").write_text("1\n" if d.removable else "0\n")
        (path / "device").mkdir()
        (path / "device" / "model").write_text(d.model + "\n")
        for i, p in enumerate(d.parts, 1):
            self._node(path / p, p, f"{d.major}:{i}", d.size // 512 // 4)
            (path / p / "partition").write_text(f"{i}\n")

    def mapper(self, name: str, devno: str, slaves: list[str], alias: str) -> None:
        path = self.sys / "devices" / "virtual" / "block" / name
        self._node(path, name, devno, 1000)
        (path / "slaves").mkdir()
        for s in slaves:
            (path / "slaves" / s).symlink_to(self.sys / "class" / "block" / s)
        (self.dev / "mapper").mkdir(exist_ok=True)
        (self.dev / "mapper" / alias).symlink_to(self.dev / name)

    def mountinfo(self, lines: list[str]) -> None:
        (self.proc / "self" / "mountinfo").write_text("\n".join(lines) + "\n")

    def swaps(self, devices: list[str]) -> None:
        (self.proc / "swaps").write_text(
            "Filename\tType\tSize\tUsed\tPriority\n"
            + "".join(f"{d}\tpartition\t1000\t0\t-2\n" for d in devices)
        )

    def host(self) -> BlockHost:
        return BlockHost(self.sys, self.proc, self.dev)


def mi(mid: int, devno: str, mountpoint: str, source: str, fs: str = "ext4") -> str:
    return f"{mid} 1 {devno} / {mountpoint} rw,relatime shared:{mid} - {fs} {source} rw"


@pytest.fixture
def fake(tmp_path: Path) -> FakeHost:
    """A laptop: root and /boot/efi on a SATA disk sda, a USB card reader sdb with an
    unmounted card, a second card sdc mounted by the desktop, a 512 GB USB disk sdd, an
    internal SD slot mmcblk0, and an NVMe disk that is not in use."""
    f = FakeHost(tmp_path)
    f.disk(FakeDisk("sda", 8, "ata", 500 * GB, parts=["sda1", "sda2"]))
    f.disk(FakeDisk("sdb", 16, "usb", 32 * GB, removable=True, parts=["sdb1", "sdb2"],
                    model="SD/MMC Reader"))
    f.disk(FakeDisk("sdc", 32, "usb", 16 * GB, removable=True, parts=["sdc1"]))
    f.disk(FakeDisk("sdd", 48, "usb", 512 * GB, parts=["sdd1"]))
    f.disk(FakeDisk("mmcblk0", 179, "mmc", 64 * GB, parts=["mmcblk0p1"]))
    f.disk(FakeDisk("nvme0n1", 259, "nvme", 1000 * GB, parts=["nvme0n1p1"]))
    f.mountinfo([
        mi(21, "0:21", "/proc", "proc", "proc"),
        mi(29, "8:2", "/", "/dev/sda2"),
        mi(30, "8:1", "/boot/efi", "/dev/sda1", "vfat"),
        mi(31, "0:45", "/tmp", "tmpfs", "tmpfs"),
        mi(40, "32:1", "/media/me/MY\\040CARD", "/dev/sdc1", "vfat"),
    ])
    return f


def problems(host: BlockHost, name: str, force: bool = False) -> list[str]:
    return [p.message for p in host.check(name, IMAGE).refusals(force)]


# -- what is not a disk at all -----------------------------------------------------------


def test_regular_file_refused(tmp_path: Path) -> None:
    f = tmp_path / "card.img"
    f.write_bytes(b"\0" * 4096)
    with pytest.raises(FlashError, match="regular file"):
        BlockHost().block_name(f)


def test_directory_and_char_device_refused(tmp_path: Path) -> None:
    with pytest.raises(FlashError, match="not a block device"):
        BlockHost().block_name(tmp_path)
    with pytest.raises(FlashError, match="not a block device"):
        BlockHost().block_name(Path("/dev/null"))


def test_missing_path_refused(tmp_path: Path) -> None:
    with pytest.raises(FlashError, match="does not exist"):
        BlockHost().block_name(tmp_path / "sdz")


# -- disks that must never be written ------------------------------------------------------


def test_free_card_accepted(fake: FakeHost) -> None:
    disk = fake.host().check("sdb", IMAGE)
    assert disk.problems == []
    assert "SD/MMC Reader" in disk.description and "usb" in disk.description
    assert fake.host().check("mmcblk0", IMAGE).problems == []


def test_system_disk_refused_even_forced(fake: FakeHost) -> None:
    found = problems(fake.host(), "sda", force=True)
    assert any("running system" in p and "/" in p for p in found), found
    assert any("mounted at /" in p for p in found), found


def test_partition_refused(fake: FakeHost) -> None:
    found = problems(fake.host(), "sdb1", force=True)
    assert len(found) == 1 and "partition" in found[0] and "/dev/sdb" in found[0], found


def test_mounted_card_refused_even_forced(fake: FakeHost) -> None:
    found = problems(fake.host(), "sdc", force=True)
    assert found == ["/dev/sdc1 is mounted at /media/me/MY CARD; unmount it first"], found


def test_swap_refused(fake: FakeHost) -> None:
    fake.swaps(["/dev/sdb2"])
    found = problems(fake.host(), "sdb", force=True)
    assert found == ["/dev/sdb2 is in use as swap; unmount it first"], found


def test_root_on_device_mapper_refused(tmp_path: Path) -> None:
    f = FakeHost(tmp_path)
    f.disk(FakeDisk("sda", 8, "usb", 32 * GB, removable=True, parts=["sda1", "sda2"]))
    f.mapper("dm-0", "254:0", ["sda2"], "vg-root")
    f.mountinfo([mi(29, "254:0", "/", "/dev/mapper/vg-root")])
    found = problems(f.host(), "sda", force=True)
    assert any("running system" in p for p in found), found


def test_root_found_through_proc_mounts(tmp_path: Path) -> None:
    """Without mountinfo: /proc/mounts, whose sources may be /dev/disk/by-uuid links."""
    f = FakeHost(tmp_path)
    f.disk(FakeDisk("mmcblk0", 179, "mmc", 32 * GB, parts=["mmcblk0p1", "mmcblk0p2"]))
    (f.dev / "disk" / "by-uuid").mkdir(parents=True)
    (f.dev / "disk" / "by-uuid" / "1234-abcd").symlink_to(f.dev / "mmcblk0p2")
    (f.proc / "mounts").write_text(
        "proc /proc proc rw 0 0\n/dev/disk/by-uuid/1234-abcd / ext4 rw 0 0\n"
    )
    host = f.host()
    assert [m.mountpoint for m in host.mounts()] == ["/proc", "/"]
    assert host.system_disks() == {"mmcblk0": "/"}
    assert any("running system" in p for p in problems(host, "mmcblk0", force=True))


def test_large_disk_needs_force(fake: FakeHost) -> None:
    found = problems(fake.host(), "sdd")
    assert len(found) == 1 and "512 GB" not in found[0] and "GiB" in found[0], found
    assert problems(fake.host(), "sdd", force=True) == []


def test_internal_disk_needs_force(fake: FakeHost) -> None:
    found = problems(fake.host(), "nvme0n1")
    assert any("neither removable nor on USB" in p for p in found), found
    assert any("larger than" in p for p in found), found
    assert problems(fake.host(), "nvme0n1", force=True) == []


def test_too_small_and_empty_reader_refused(tmp_path: Path) -> None:
    f = FakeHost(tmp_path)
    f.disk(FakeDisk("sdb", 8, "usb", 100 << 20, removable=True))
    f.disk(FakeDisk("sdc", 16, "usb", 0, removable=True))
    f.mountinfo([])
    assert any("less than the image" in p for p in problems(f.host(), "sdb", force=True))
    assert any("size 0" in p for p in problems(f.host(), "sdc", force=True))


# -- parsing -------------------------------------------------------------------------------


def test_parse_mountinfo_and_mounts() -> None:
    info = flash.parse_mountinfo(
        "36 35 98:0 /mnt1 /mnt/a\\040b rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
        "37 35 0:5 / /dev/pts rw - devpts devpts rw\n"
    )
    assert info == [Mount("/dev/root", "/mnt/a b", (98, 0)), Mount("devpts", "/dev/pts", (0, 5))]
    mounts = flash.parse_mounts("/dev/sda1 /boot\\040x vfat rw 0 0\n")
    assert mounts == [Mount("/dev/sda1", "/boot x", None)]
    assert flash.parse_swaps("Filename Type\n/dev/sdb2 partition 1 0 -2\n") == ["/dev/sdb2"]


def test_real_host_root_disk_is_refused() -> None:
    """On this machine: whatever holds / is found and refused (read-only checks)."""
    host = BlockHost()
    system = host.system_disks()
    if not system:
        pytest.skip("/ is not on a block device here (container or network root)")
    for disk in system:
        assert any("running system" in p.message for p in host.check(disk, IMAGE).problems)


# -- asking and writing ------------------------------------------------------------------


def test_confirm_needs_the_exact_name(fake: FakeHost, tmp_path: Path) -> None:
    image = tmp_path / "x.img"
    image.write_bytes(b"x")
    disk = fake.host().check("sdb", IMAGE)
    said: list[str] = []
    assert flash.confirm(disk, image, ask=lambda _: "sdb", out=said.append)
    assert any("sdb" in s and "lost" in s for s in said) or any("/dev/sdb" in s for s in said)
    assert not flash.confirm(disk, image, ask=lambda _: "yes", out=said.append)
    assert not flash.confirm(disk, image, ask=lambda _: "/dev/sdb", out=said.append)

    def eof(_: str) -> str:
        raise EOFError

    assert not flash.confirm(disk, image, ask=eof, out=said.append)


def test_write_image_to_a_file(tmp_path: Path) -> None:
    """The write loop itself, onto a regular file standing in for the card."""
    image = tmp_path / "image"
    image.write_bytes(os.urandom(flash.CHUNK + 12345))
    target = tmp_path / "target"
    target.write_bytes(b"\xff" * 10)
    seen: list[int] = []
    report = flash.write_image(image, target, verify=True,
                               progress=lambda done, total: seen.append(done))
    assert target.read_bytes() == image.read_bytes()
    assert report.written == image.stat().st_size and report.verified
    assert seen[-1] == report.written
    assert "synced" in report.summary(target)


def test_verb_refuses_a_regular_file(tmp_path: Path) -> None:
    if not paths.image_path("rpi4").is_file():
        pytest.skip("build/rpi4/mamoru.img is not built")
    victim = tmp_path / "not-a-card"
    victim.write_bytes(b"precious")
    r = subprocess.run(
        [sys.executable, "-m", "mamoru", "sdcard", "--board", "rpi4", "--no-build",
         "-o", str(tmp_path / "card.img"), "--flash", str(victim), "--yes"],
        capture_output=True, text=True, check=False, cwd=paths.ROOT,
        env={**os.environ, "PYTHONPATH": str(paths.ROOT / "tools")},
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "will not flash" in r.stderr and "regular file" in r.stderr, r.stderr
    assert victim.read_bytes() == b"precious"
