# SPDX-License-Identifier: GPL-2.0-only
"""README.md's "Your own guest" example is a test: its guests.toml, written exactly as the
README shows it next to Debian's 6.12 kernel files (the same ones the README's commands
fetch; here from the asset cache), goes through `./mamoru bundle --guests`, boots under QEMU
virt, and the IDS finds the guest clean; `./mamoru run --guests` boots it and
`./mamoru sdcard --guests` puts it on a card."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from mamoru import guest_assets, paths, sdcard
from mamoru.bundle import board_kernel, ensure_board_bundles, image_release, read_bundle
from mamoru.guest_assets import GuestKernel
from mamoru.guestshell import GuestShell
from mamoru.profile import decode
from mamoru.testing import Launcher

pytestmark = pytest.mark.qemu

README = paths.ROOT / "README.md"
GUEST_BOOT_TIMEOUT = 90.0


def readme_section() -> str:
    text = README.read_text()
    m = re.search(r"^## Your own guest\n(.*?)(?=^## )", text, re.M | re.S)
    assert m is not None, "README.md has no '## Your own guest' section"
    return m.group(1)


def fenced(section: str, lang: str) -> str:
    m = re.search(rf"^```{lang}\n(.*?)^```$", section, re.M | re.S)
    assert m is not None, f"no ```{lang} block in README's 'Your own guest'"
    return m.group(1)


def run_mamoru(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(paths.ROOT / "mamoru"), *map(str, args)], cwd=paths.ROOT,
                          capture_output=True, text=True, check=False)


def test_readme_commands_find_the_cached_612_release() -> None:
    """The README's first command names the same release the suite's 6.12 kernel has."""
    first = fenced(readme_section(), "sh").splitlines()[1]
    assert first.startswith("rel=$(apt-cache depends linux-image-6.12-cloud-arm64:arm64")
    r = subprocess.run(["sh", "-c", f"{first}\necho \"$rel\""], capture_output=True,
                       text=True, check=True)
    assert r.stdout.strip() == guest_assets.cloud_kernel(series="6.12").version


def readme_guest(tmp_path: Path) -> tuple[GuestKernel, Path]:
    """myguest/ as the README's commands leave it, with its guests.toml; the 6.12 kernel."""
    k = guest_assets.debug_files(guest_assets.cloud_kernel(series="6.12"))
    assert k.system_map is not None and k.config is not None
    guest_dir = tmp_path / "myguest"
    guest_dir.mkdir()
    for name, src in (("vmlinuz", k.image), ("System.map", k.system_map),
                      ("config", k.config)):
        (guest_dir / name).symlink_to(src)
    toml = guest_dir / "guests.toml"
    toml.write_text(fenced(readme_section(), "toml"))
    return k, toml


def test_readme_guest_boots_and_ids_is_ok(request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    launcher = Launcher(request.node, request.config)   # type: ignore[arg-type]
    config = launcher.require("virt", 2)
    k, toml = readme_guest(tmp_path)

    out = tmp_path / "guests.cpio"
    r = run_mamoru("bundle", "--guests", toml, "-o", out, "--board", "virt")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"bundle: {out} "), r.stdout
    try:
        t = launcher.boot(config, initrd=out)
        assert re.search(r"guest0: 256 MiB RAM .*IDS profile", t.boot_log), t.boot_log
        g = GuestShell(t.console)
        g.attach(GUEST_BOOT_TIMEOUT)
        assert g.run("uname -r") == k.version
        g.run("dmesg -n 1")
        g.detach()
        assert t.console.command("ids banner").startswith(f"Linux version {k.version} ")
        check = t.console.command("ids check", timeout=60)
        assert check.splitlines()[-1] == "ids: OK", check
    finally:
        launcher.close()


@pytest.mark.exclusive    # replaces build/<board>/guests.cpio for a while
def test_readme_guest_goes_on_the_sd_card(request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    """`./mamoru sdcard --guests`: the card carries the guest file's bundle; the board's
    default bundle comes back with the next build without --guests."""
    Launcher(request.node, request.config).require("rpi4")   # type: ignore[arg-type]
    if not paths.image_path("rpi4").is_file():
        pytest.fail("build/rpi4/mamoru.img is missing: ./mamoru build --board rpi4",
                    pytrace=False)
    k, toml = readme_guest(tmp_path)
    card = tmp_path / "card.img"
    try:
        r = run_mamoru("sdcard", "--board", "rpi4", "--no-build", "--guests", toml, "-o", card)
        assert r.returncode == 0, r.stderr
        (tmp_path / "files").mkdir()
        files = sdcard.files_of_image(card, False, tmp_path / "files")
        on_card = files["guests.cpio"]
        assert isinstance(on_card, Path)
        guests = read_bundle(on_card)
        assert image_release(guests["guest0"]["kernel"]) == k.version
        assert decode(guests["guest0"]["profile"]).get("str.release") == k.version
    finally:
        ensure_board_bundles(["rpi4"])
    assert image_release(read_bundle(sdcard.bundle_path("rpi4"))["guest0"]["kernel"]) == (
        board_kernel("rpi4").version)


@pytest.mark.exclusive    # replaces build/<board>/guests.cpio for a while
def test_readme_guest_runs_under_mamoru_run(request: pytest.FixtureRequest,
                                            tmp_path: Path) -> None:
    """`./mamoru run --guests FILE` (QEMU on this process's stdio) boots the file's guest."""
    Launcher(request.node, request.config).require("virt", 2)   # type: ignore[arg-type]
    if not paths.image_path("virt").is_file():
        pytest.fail("build/virt/mamoru.img is missing: ./mamoru build --board virt",
                    pytrace=False)
    k, toml = readme_guest(tmp_path)
    argv = [str(paths.ROOT / "mamoru"), "run", "--board", "virt", "--gic", "2", "--no-build",
            "--guests", str(toml)]
    # run replaces itself with QEMU: the process started here is QEMU in the end.
    qemu = subprocess.Popen(argv, cwd=paths.ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    try:
        assert qemu.stdout is not None
        deadline = time.monotonic() + 60
        while b"IDS profile" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([qemu.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(qemu.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
    finally:
        qemu.kill()
        qemu.wait(timeout=10)
        ensure_board_bundles(["virt"])
    text = seen.decode(errors="replace")
    assert "'vserial bind guest0' for the guest" in text, text[-3000:]
    kib = k.image.stat().st_size >> 10                 # the 6.12 Image, not the default's
    # RAM at 0x40000000, or 1:1 elsewhere when it got virt's passed-through devices.
    assert re.search(rf"guest0: 256 MiB RAM at 0x[0-9a-f]+, kernel {kib} KiB, initrd \d+ KiB, "
                     r"IDS profile", text), text[-3000:]
    assert image_release(read_bundle(paths.BUILD / "virt" / "guests.cpio")["guest0"]["kernel"]
                         ) == guest_assets.cloud_kernel().version
