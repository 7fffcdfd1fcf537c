# SPDX-License-Identifier: GPL-2.0-only
"""The hypervisor's profile parser (core/vmi/profile.c), host build with ASan/UBSan, against
the Python writer: same text as --show, the same verdict on corrupt profiles (rejected with a
one-line reason, never a crash), symbolization rules, and a short libFuzzer run."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from profile_samples import TEXT_BASE, fix_crc, sample_profile, sections
from vmi_pt import host_program

from mamoru.profile import ProfileError, decode, encode, show_lines
from mamoru.profile.format import SEC_KEYVAL, SEC_STRTAB, SEC_TEXTSYMS
from mamoru.testing.fuzz import fuzz_seconds

FUZZ_SECONDS = fuzz_seconds()


@pytest.fixture(scope="module")
def dump() -> Path:
    return host_program("profile_dump")


def run_dump(dump: Path, data: bytes, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp / "p.profile"
    path.write_bytes(data)
    return subprocess.run([str(dump), str(path), *args], capture_output=True, text=True,
                          errors="replace", timeout=60, check=False)


def test_c_matches_python(dump: Path, tmp_path: Path) -> None:
    data = encode(sample_profile())
    r = run_dump(dump, data, tmp_path, "--text")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == show_lines(decode(data), text=True)


def test_c_symbolize(dump: Path, tmp_path: Path) -> None:
    data = encode(sample_profile())
    queries = {
        TEXT_BASE - 1: "?",                                  # below the first symbol
        TEXT_BASE: "_text+0x0",
        TEXT_BASE + 0x10000: "_stext+0x0",                  # preferred alias
        TEXT_BASE + 0x10105: "__arm64_sys_call0+0x5",
        TEXT_BASE + 0x10120: "sys_call0+0x0",
        TEXT_BASE + 0xFFFFF: None,                           # last text byte: some symbol
        TEXT_BASE + 0x100000: "?",                           # _etext
        TEXT_BASE + 0x1FFFFF: "?",                           # between text and init text
        TEXT_BASE + 0x200004: "init_fn+0x4",
        TEXT_BASE + 0x200FFF: "init_fn2+0x7ff",
        TEXT_BASE + 0x201000: "?",                           # _einittext
        0xFFFFFFFFFFFFFFFF: "?",
    }
    r = run_dump(dump, data, tmp_path, "--sym", *(hex(a) for a in queries))
    assert r.returncode == 0, r.stderr
    got = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    for addr, want in queries.items():
        if want is None:
            assert got[hex(addr)] != "?"
        else:
            assert got[hex(addr)] == want, hex(addr)
    r = run_dump(dump, data, tmp_path, "--lookup", "__arm64_sys_call5", "init_fn2", "nope")
    assert r.stdout.splitlines() == [
        f"__arm64_sys_call5 {TEXT_BASE + 0x10100 + 0x40 * 5:#018x}",
        f"init_fn2 {TEXT_BASE + 0x200800:#018x}", "nope ?"]


def corruptions(data: bytes) -> dict[str, bytes]:
    """Named corrupt variants; those after the CRC check get a correct CRC."""
    secs = sections(data)
    _, s_off, s_size, _ = secs[SEC_STRTAB]
    k_at, k_off, _, k_count = secs[SEC_KEYVAL]
    t_at, t_off, t_size, t_count = secs[SEC_TEXTSYMS]
    out: dict[str, bytes] = {}

    def patch(name: str, at: int, fmt: str, *vals: int, crc: bool = True) -> None:
        b = bytearray(data)
        struct.pack_into(fmt, b, at, *vals)
        out[name] = fix_crc(b) if crc else bytes(b)

    patch("bad magic", 0, "<8s", b"MAMORUPX")  # type: ignore[arg-type]
    patch("bad version", 8, "<I", 2)
    patch("bad header size", 12, "<I", 40)
    patch("bad crc", 20, "<I", 0x12345678, crc=False)
    patch("total beyond buffer", 16, "<I", len(data) + 8)
    patch("total below header", 16, "<I", 16)
    patch("flags set", 28, "<I", 1)
    patch("huge section count", 24, "<I", 0xFFFFFFFF)
    patch("section count past end", 24, "<I", 16)
    patch("section offset beyond end", k_at + 4, "<I", len(data) + 64)
    patch("section size wraps", k_at + 8, "<I", 0xFFFFFFF8)
    patch("section offset unaligned", k_at + 4, "<I", k_off + 4)
    patch("section offset inside table", k_at + 4, "<I", 32)
    patch("duplicate section", t_at, "<I", SEC_KEYVAL)
    patch("missing section", t_at, "<I", 9)
    patch("huge keyval count", k_at + 12, "<I", 0xFFFFFFFF)
    patch("keyval count overflows", k_at + 12, "<I", k_count + (1 << 28))
    patch("huge text count", t_at + 12, "<I", 0xFFFFFFFF)
    patch("text count off by one", t_at + 12, "<I", t_count + 1)
    patch("key offset out of range", k_off, "<I", s_size)
    patch("key offset far out", k_off, "<I", 0xFFFFFFFF)
    patch("unknown kind", k_off + 4, "<I", 3)
    patch("text name out of range", t_off + 8 * t_count, "<I", s_size + 100)
    patch("text unsorted", t_off + 8, "<Q", 0xFFFFFFFFFFFFFFFF)
    patch("strtab without final NUL", s_off + s_size - 1, "<B", 0x41)
    patch("strtab empty", secs[SEC_STRTAB][0] + 8, "<I", 0)
    # a string value beyond the table: find a kind-2 entry
    for i in range(k_count):
        if struct.unpack_from("<I", data, k_off + 16 * i + 4)[0] == 2:
            patch("string value out of range", k_off + 16 * i + 8, "<Q", 1 << 40)
            break
    b = bytearray(data)                                      # swap the first two keys
    b[k_off:k_off + 32] = b[k_off + 16:k_off + 32] + b[k_off:k_off + 16]
    out["keys unsorted"] = fix_crc(b)
    b = bytearray(data)
    b[k_off + 16:k_off + 32] = b[k_off:k_off + 16]
    out["duplicate key"] = fix_crc(b)
    del t_size
    return out


def assert_rejected(dump: Path, data: bytes, tmp: Path, what: str) -> str:
    with pytest.raises(ProfileError):
        decode(data)
    r = run_dump(dump, data, tmp)
    assert r.returncode == 1, f"{what}: exit {r.returncode}\n{r.stdout[-500:]}\n{r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("profile_dump: "), f"{what}: {r.stderr}"
    return lines[0]


def test_c_rejects_crafted_corruption(dump: Path, tmp_path: Path) -> None:
    data = encode(sample_profile(50))
    reasons = {}
    for name, bad in corruptions(data).items():
        reasons[name] = assert_rejected(dump, bad, tmp_path, name)
    assert "checksum" in reasons["bad crc"]
    assert "version" in reasons["bad version"]
    assert "out of range" in reasons["key offset out of range"]
    assert "do not fit" in reasons["keyval count overflows"]


def test_c_rejects_truncation_and_flips(dump: Path, tmp_path: Path) -> None:
    data = encode(sample_profile(50))
    step = max(1, len(data) // 40)
    for cut in [*range(0, len(data), step), len(data) - 1]:
        assert_rejected(dump, data[:cut], tmp_path, f"truncated at {cut}")
    for at in range(0, len(data), max(1, len(data) // 60)):
        b = bytearray(data)
        b[at] ^= 0xFF
        assert_rejected(dump, bytes(b), tmp_path, f"flipped byte {at}")
        # With the CRC fixed the deeper checks decide; either verdict is fine, but the two
        # parsers must agree and nothing may crash.
        fixed = fix_crc(b)
        r = run_dump(dump, fixed, tmp_path)
        try:
            decode(fixed)
            ok = True
        except ProfileError:
            ok = False
        assert r.returncode == (0 if ok else 1), f"byte {at}: {r.stderr}"


def test_c_accepts_trailing_bytes(dump: Path, tmp_path: Path) -> None:
    data = encode(sample_profile(5))
    r = run_dump(dump, data + b"\xff" * 13, tmp_path)
    assert r.returncode == 0, r.stderr


def run_fuzzer(seeds: list[bytes], tmp: Path, seconds: int) -> str:
    fuzz = host_program("profile_fuzz") if shutil.which("clang") else None
    if fuzz is None or not fuzz.exists():
        pytest.skip("clang (libFuzzer) not installed: apt-get install clang")
    seed_dir, corpus = tmp / "seeds", tmp / "corpus"
    seed_dir.mkdir()
    corpus.mkdir()
    for i, s in enumerate(seeds):
        (seed_dir / f"seed{i}").write_bytes(s)
    r = subprocess.run([str(fuzz), f"-max_total_time={seconds}", "-max_len=65536",
                        "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
                        str(corpus), str(seed_dir)],
                       capture_output=True, text=True, timeout=seconds + 120, check=False)
    assert r.returncode == 0, f"fuzzer found a problem:\n{r.stderr[-6000:]}"
    return r.stderr


def small_seeds(base: bytes) -> list[bytes]:
    data = encode(sample_profile(20))
    return [base, data, *list(corruptions(data).values())[:10]]


@pytest.mark.debian
def test_fuzz_profile_parser(debian_profiles: dict, tmp_path: Path) -> None:
    """libFuzzer for FUZZ_SECONDS with seeds from the real Debian profile (its keys and the
    first text symbols, kept small so the fuzzer runs fast) and crafted variants."""
    real = decode(debian_profiles["image"].path.read_bytes())
    real.text = real.text[:300]
    out = run_fuzzer(small_seeds(encode(real)), tmp_path, FUZZ_SECONDS)
    stats = [line for line in out.splitlines() if line.startswith("stat::number_of_executed")]
    print("\n".join(stats))
