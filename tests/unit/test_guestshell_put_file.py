# SPDX-License-Identifier: GPL-2.0-only
"""GuestShell.put_file's commands (mamoru.guestshell.put_file_commands): run by a POSIX
shell with a base64 that decodes (as busybox's does), they write every byte value back whole,
whatever the data holds (quotes, dollars, backquotes: base64 leaves none of them)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mamoru.guestshell import put_file_commands


def test_every_byte_survives_the_shell(tmp_path: Path) -> None:
    data = bytes(range(256)) * 3 + b"'%s\\n%%\"$(reboot)`x`"
    target = tmp_path / "f"
    commands = put_file_commands(str(target), data, chunk=100)
    assert len(commands) > 3
    assert all(len(c.split()[1]) <= 100 for c in commands if c.startswith("echo "))
    subprocess.run(["sh", "-c", "\n".join(commands)], check=True, timeout=30)
    assert target.read_bytes() == data
    assert not (tmp_path / "f.b64").exists()
