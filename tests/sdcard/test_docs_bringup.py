# SPDX-License-Identifier: GPL-2.0-only
"""The bring-up docs match the code: README's and docs/sdcard.md's "When nothing appears"
name --debug-boot and the three states a user can see, the flag exists and writes what
they say, the overlay advice is gone, and the banner lines they show are the ones the
hypervisor prints."""

from __future__ import annotations

import argparse
import re

import pytest

from mamoru import paths, sdcard
from mamoru.verbs import sdcard as sdcard_verb

README = paths.ROOT / "README.md"
SDCARD_MD = paths.ROOT / "docs" / "sdcard.md"


def readme_section() -> str:
    text = README.read_text()
    m = re.search(r"^\*\*When nothing appears:\*\*.*?(?=^\*\*|^#)", text, re.MULTILINE | re.DOTALL)
    assert m, "README.md has no **When nothing appears:** paragraph"
    return m.group(0)


def sdcard_section() -> str:
    text = SDCARD_MD.read_text()
    m = re.search(r"^## When nothing appears\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert m, "docs/sdcard.md has no '## When nothing appears' section"
    return m.group(1)


@pytest.mark.parametrize("section", [readme_section, sdcard_section],
                         ids=["README", "docs/sdcard.md"])
def test_when_nothing_appears_names_debug_boot_and_three_states(section: object) -> None:
    assert callable(section)
    text = re.sub(r"[*,]", "", " ".join(str(section()).split()).lower())
    assert "--debug-boot" in text
    assert "uart_2ndstage=1" in text and "dtdebug=1" in text
    assert "nothing at all" in text
    assert "firmware lines but no mamoru banner" in text
    assert "the mamoru banner" in text


def test_the_flag_exists_and_writes_what_the_docs_say() -> None:
    parser = argparse.ArgumentParser()
    sdcard_verb.add_arguments(parser)
    assert parser.parse_args(["--debug-boot"]).debug_boot is True
    assert parser.parse_args([]).debug_boot is False
    lines = sdcard.config_txt("rpi4", debug_boot=True).splitlines()
    assert "uart_2ndstage=1" in lines and "dtdebug=1" in lines


def test_no_overlay_advice() -> None:
    text = SDCARD_MD.read_text()
    assert "disable-bt.dtbo" not in text, "Debian's DTBs cannot take overlays"
    assert "__symbols__" in text
    assert "dtoverlay" not in "".join(
        line for line in sdcard.config_txt("rpi4").splitlines() if not line.startswith("#"))


def test_banner_lines_in_the_docs_are_printed_by_the_code() -> None:
    main_c = (paths.ROOT / "core" / "main.c").read_text()
    assert '"    core clock %u MHz (%s), divisor %u\\n"' in main_c
    assert '" (from the device tree)\\n"' in main_c
    for doc in (README, SDCARD_MD):
        text = doc.read_text()
        assert re.search(r"^ +core clock \d+ MHz \(firmware\), divisor \d+$", text,
                         re.MULTILINE), doc
        assert re.search(r"^ +pins uart1_gpio14 \(from the device tree\)$", text,
                         re.MULTILINE), doc
