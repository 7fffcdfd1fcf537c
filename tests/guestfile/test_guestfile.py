# SPDX-License-Identifier: GPL-2.0-only
"""Guest description files (mamoru.guestfile, `--guests FILE`): what they accept, and that
every mistake is one clear line that leaves no file behind (in build/ or at -o)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mamoru import paths
from mamoru.bundle import install_board_bundle
from mamoru.guestfile import GuestFileError, load, make_spec, parse_ram

ARM64_MAGIC = b"ARM\x64"


def fake_image(path: Path, image_size: int = 4 << 20) -> Path:
    """64 bytes of arm64 Image header (text_offset 0, image_size, the magic) and some code."""
    head = bytearray(64)
    head[16:24] = image_size.to_bytes(8, "little")
    head[56:60] = ARM64_MAGIC
    path.write_bytes(bytes(head) + b"\0" * 4096)
    return path


def guests(tmp: Path, body: str) -> Path:
    f = tmp / "guests.toml"
    f.write_text(body)
    return f


def mamoru(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(paths.ROOT / "mamoru"), *map(str, args)], cwd=paths.ROOT,
                          capture_output=True, text=True, check=False)


def test_a_complete_guest_table(tmp_path: Path) -> None:
    fake_image(tmp_path / "Image")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "rootfs.cpio").write_bytes(b"070701" + b"0" * 200)
    f = guests(tmp_path, '[[guest]]\nname = "gw-1"\nkernel = "Image"\n'
               'initrd = "sub/rootfs.cpio"\nram = "64M"\nbootargs = "console=ttyAMA0"\n'
               "kaslr = true\nvcpus = 4\n\n[[guest]]\nname = \"second\"\nkernel = \"Image\"\n")
    a, b = load(f)
    assert (a.vcpus, b.vcpus) == (4, 1)
    assert a.platform.vcpus == 4
    assert (a.name, a.kernel, a.initrd, a.ram, a.bootargs, a.kaslr) == (
        "gw-1", tmp_path / "Image", tmp_path / "sub" / "rootfs.cpio", 64 << 20,
        "console=ttyAMA0", True)
    assert (b.ram, b.bootargs, b.kaslr, b.initrd) == (
        256 << 20, "console=ttyAMA0 rdinit=/init quiet", False, None)
    assert a.platform.name == "gw-1" and a.platform.ram_size == 64 << 20 and a.platform.kaslr
    spec = make_spec(a, f)
    assert spec.profile is None and spec.initrd.startswith(b"070701")


def test_ram_sizes() -> None:
    assert parse_ram("256M") == 256 << 20
    assert parse_ram("1G") == 1 << 30
    assert parse_ram("65536K") == 64 << 20
    assert parse_ram("512MiB") == 512 << 20
    assert parse_ram(128 << 20) == 128 << 20
    for bad in ("lots", "1T", True, 1.5):
        with pytest.raises(ValueError):
            parse_ram(bad)


BAD_FILES = {
    "missing kernel": ('[[guest]]\nname = "g"\nkernel = "nope"\n',
                       "kernel {d}/nope does not exist"),
    "empty": ("", "no [[guest]] table"),
    "no kernel key": ('[[guest]]\nname = "g"\n', "guest 'g': no kernel"),
    "duplicate": ('[[guest]]\nname = "g"\nkernel = "Image"\n[[guest]]\nname = "g"\n'
                  'kernel = "Image"\n', "two guests are named 'g'"),
    "ram too big": ('[[guest]]\nname = "g"\nkernel = "Image"\nram = "2G"\n',
                    "ram 2048 MiB does not fit: a guest has 32 MiB to 1024 MiB"),
    "ram unaligned": ('[[guest]]\nname = "g"\nkernel = "Image"\nram = "33M"\n',
                      "a multiple of 2 MiB"),
    "bad ram": ('[[guest]]\nname = "g"\nkernel = "Image"\nram = "much"\n',
                "ram must be a size such as"),
    "unknown key": ('[[guest]]\nname = "g"\nkernel = "Image"\nmemory = "1G"\n',
                    "unknown key 'memory'"),
    "bad name": ('[[guest]]\nname = "my guest"\nkernel = "Image"\n', "a name is 1 to 15"),
    "three guests": ("".join(f'[[guest]]\nname = "g{i}"\nkernel = "Image"\n' for i in range(3)),
                     "3 guests; the hypervisor runs at most 2"),
    "not toml": ('[[guest]\nname = "g"\n', "not valid TOML"),
    "no guests": ('title = "x"\n', "unknown top-level key 'title'"),
    "both maps": ('[[guest]]\nname = "g"\nkernel = "Image"\nsystem_map = "Image"\n'
                  'vmlinux = "Image"\n', "system_map or vmlinux for the profile, not both"),
    "kaslr string": ('[[guest]]\nname = "g"\nkernel = "Image"\nkaslr = "yes"\n',
                     "kaslr must be true or false"),
    "vcpus 5": ('[[guest]]\nname = "g"\nkernel = "Image"\nvcpus = 5\n',
                "vcpus must be a whole number from 1 to 4, not 5"),
    "vcpus 0": ('[[guest]]\nname = "g"\nkernel = "Image"\nvcpus = 0\n',
                "vcpus must be a whole number from 1 to 4, not 0"),
    "vcpus true": ('[[guest]]\nname = "g"\nkernel = "Image"\nvcpus = true\n',
                   "vcpus must be a whole number from 1 to 4, not True"),
    "vcpus string": ('[[guest]]\nname = "g"\nkernel = "Image"\nvcpus = "4"\n',
                     "vcpus must be a whole number from 1 to 4, not '4'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_load_errors(tmp_path: Path, case: str) -> None:
    fake_image(tmp_path / "Image")
    body, want = BAD_FILES[case]
    with pytest.raises(GuestFileError) as e:
        load(guests(tmp_path, body))
    msg = str(e.value)
    assert want.format(d=tmp_path) in msg and "\n" not in msg, msg
    assert msg.startswith(str(tmp_path / "guests.toml")), msg


SPEC_ERRORS = {
    "not an Image": ("Image.gz", "is not an arm64 Image"),
    "does not fit": ("big", "do not fit in ram 32 MiB"),
    "placeholder System.map": ("placeholder", "no profile: "),
    "not a cpio": ("initrd", "is neither a cpio archive (newc) nor a compressed one"),
}


@pytest.mark.parametrize("case", sorted(SPEC_ERRORS))
def test_spec_errors(tmp_path: Path, case: str) -> None:
    what, want = SPEC_ERRORS[case]
    fake_image(tmp_path / "Image")
    table = '[[guest]]\nname = "g"\nkernel = "Image"\nram = "32M"\n'
    if what == "Image.gz":
        (tmp_path / "Image.gz").write_bytes(b"\x1f\x8b" + b"\0" * 100)
        table = table.replace('"Image"', '"Image.gz"')
    elif what == "big":
        fake_image(tmp_path / "Image", image_size=31 << 20)
    elif what == "placeholder":
        (tmp_path / "System.map").write_text(
            "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg "
            "package\n")
        table += 'system_map = "System.map"\n'
    else:
        (tmp_path / "initrd").write_bytes(b"hello, not an archive")
        table += 'initrd = "initrd"\n'
    f = guests(tmp_path, table)
    with pytest.raises(GuestFileError) as e:
        make_spec(load(f)[0], f)
    assert want in str(e.value) and "\n" not in str(e.value), e.value


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GuestFileError, match=r"guests.toml: cannot read it: No such file"):
        load(tmp_path / "guests.toml")


def test_cli_errors_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    fake_image(tmp_path / "Image")
    f = guests(tmp_path, '[[guest]]\nname = "g"\nkernel = "Image"\nram = "32M"\n'
               'system_map = "Image"\n')
    out = tmp_path / "out" / "guests.cpio"
    r = mamoru("bundle", "--guests", f, "-o", out)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"bundle: {f}: guest 'g': no profile: "), r.stderr
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))
    # build checks the file before it compiles anything, and writes nothing to build/.
    before = sorted(os.listdir(paths.BUILD)) if paths.BUILD.is_dir() else []
    dup = guests(tmp_path, '[[guest]]\nname = "g"\nkernel = "Image"\n' * 2)
    r = mamoru("build", "--board", "virt", "--guests", dup)
    assert r.returncode == 1 and r.stderr == f"build: {dup}: two guests are named 'g'\n"
    assert r.stdout == ""
    assert (sorted(os.listdir(paths.BUILD)) if paths.BUILD.is_dir() else []) == before


def test_guests_must_fit_the_board(tmp_path: Path) -> None:
    fake_image(tmp_path / "Image")
    f = guests(tmp_path, "".join(f'[[guest]]\nname = "g{i}"\nkernel = "Image"\nram = "512M"\n'
                                 for i in range(2)))
    out = tmp_path / "guests.cpio"
    r = mamoru("bundle", "--guests", f, "-o", out, "--board", "virt")
    assert r.returncode == 1 and not out.exists(), r.stderr
    assert "do not fit in virt's 1024 MiB" in r.stderr and r.stderr.count("\n") == 1
    r = mamoru("bundle", "--guests", f, "-o", out, "--board", "rpi4")     # 2 GiB
    assert r.returncode == 0 and out.is_file(), r.stderr


def test_board_bundle_follows_its_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """build/<board>/guests.cpio from a guest file is replaced by the default bundle on the
    next default build, even though it is newer."""
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    default, mine = tmp_path / "default.cpio", tmp_path / "mine.cpio"
    default.write_bytes(b"default")
    mine.write_bytes(b"mine")
    target = install_board_bundle(default, "virt")
    assert target.read_bytes() == b"default" and not target.with_name("guests.cpio.origin").exists()
    install_board_bundle(mine, "virt", "/x/guests.toml")
    assert target.read_bytes() == b"mine"
    assert target.with_name("guests.cpio.origin").read_text() == "/x/guests.toml\n"
    install_board_bundle(default, "virt")
    assert target.read_bytes() == b"default" and not target.with_name("guests.cpio.origin").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["guests.cpio"]


def test_vmlinux_must_match_the_kernel(tmp_path: Path) -> None:
    """With `vmlinux` the profile comes from the DWARF, and the banner ties it to the Image:
    Debian's 6.12 vmlinux goes with its Image, the 6.1 vmlinux does not."""
    from mamoru import guest_assets
    from mamoru.profile import decode

    new = guest_assets.debug_files(guest_assets.cloud_kernel(series="6.12"))
    old = guest_assets.debug_files(guest_assets.cloud_kernel())
    assert new.vmlinux is not None and old.vmlinux is not None
    body = f'[[guest]]\nname = "g"\nkernel = "{new.image}"\nvmlinux = "{{v}}"\n'
    f = guests(tmp_path, body.format(v=new.vmlinux))
    spec = make_spec(load(f)[0], f)
    assert spec.profile is not None
    prof = decode(spec.profile)
    assert prof.get("str.release") == new.version and prof.get("str.types") == "DWARF"
    f = guests(tmp_path, body.format(v=old.vmlinux))
    with pytest.raises(GuestFileError, match=r"does not match kernel .* \(its linux_banner is "
                       r"not in the Image\)"):
        make_spec(load(f)[0], f)
