# SPDX-License-Identifier: GPL-2.0-only
"""`./mamoru sdcard` refuses Debian raspi-firmware older than the known-good floor
(1.20220830, bookworm's), with a message that says why and what to do, before it unpacks
anything; and the combinations of --debug-boot and --console."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mamoru import debian, sdcard
from mamoru.verbs import sdcard as sdcard_verb


@pytest.mark.parametrize(("deb", "version"), [
    ("raspi-firmware_1.20220830+ds-1_all.deb", "1.20220830+ds-1"),
    ("raspi-firmware_1%3a1.20230405+ds-1_all.deb", "1:1.20230405+ds-1"),
    ("raspi-firmware_1.20210303+ds-2_all.deb", "1.20210303+ds-2"),
])
def test_deb_version(deb: str, version: str) -> None:
    assert sdcard.deb_version(Path(deb)) == version


@pytest.mark.parametrize("version", ["1.20220830+ds-1", "1:1.20230405+ds-1",
                                     "1.20250430+ds-1~bpo12+1", "2.20200101"])
def test_floor_accepts(version: str) -> None:
    sdcard.check_firmware_version(version)


@pytest.mark.parametrize("version", ["1.20210303+ds-2", "1:1.20220829", "1.20190925+1-1"])
def test_floor_refuses_old(version: str) -> None:
    with pytest.raises(sdcard.CardError) as e:
        sdcard.check_firmware_version(version)
    msg = str(e.value)
    assert f"raspi-firmware {version} is too old" in msg
    assert "1.20220830 or newer" in msg and "start4.elf: is not compatible" in msg
    assert "bookworm" in msg


@pytest.mark.parametrize("version", ["", "weird", "1.2022083", "1.202208300"])
def test_floor_refuses_unknown(version: str) -> None:
    with pytest.raises(sdcard.CardError, match="cannot tell the release"):
        sdcard.check_firmware_version(version)


def test_old_firmware_is_refused_before_unpacking(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "raspi-firmware_1.20210303+ds-2_all.deb"
    old.write_bytes(b"not even a .deb: it must not be opened")
    monkeypatch.setattr(debian, "apt_download", lambda package, dest: old)

    def no_extract(*args: object) -> None:
        raise AssertionError("unpacked firmware that is too old")

    monkeypatch.setattr(debian, "extract", no_extract)
    monkeypatch.setattr(sdcard.paths, "cache_dir", lambda: tmp_path / "cache")
    with pytest.raises(sdcard.CardError, match="too old") as e:
        sdcard.firmware_files(["start4.elf"])
    assert str(old) in str(e.value), "says which cached .deb to delete"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sdcard_verb.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize("flag", [("--debug-boot",), ("--console", "pl011")])
@pytest.mark.parametrize("argv", [
    ("--update", "/nonexistent"),                # writes only mamoru.img and the bundle
    ("--image", "x.img", "--flash", "/dev/null"),
])
def test_config_flags_need_config_files_to_write(flag: tuple[str, ...], argv: tuple[str, ...],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert sdcard_verb.main(_args(*flag, *argv)) == 1
    assert f"{flag[0]} changes the card's configuration files" in capsys.readouterr().err


def test_config_txt_debug_boot_lines() -> None:
    for board in sdcard.CARDS:
        on = sdcard.config_txt(board, debug_boot=True).splitlines()
        off = sdcard.config_txt(board).splitlines()
        assert "uart_2ndstage=1" in on and "dtdebug=1" in on
        assert "uart_2ndstage=1" not in off and "dtdebug=1" not in off
