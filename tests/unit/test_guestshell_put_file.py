# SPDX-License-Identifier: GPL-2.0-only
"""GuestShell.put_file's encoding (mamoru.guestshell.octal_escaped): every byte value comes
back whole through a POSIX shell's printf, quotes, percent signs and backslashes included."""

from __future__ import annotations

import subprocess

from mamoru.guestshell import octal_escaped


def test_every_byte_survives_the_shell_and_printf() -> None:
    data = bytes(range(256)) + b"'%s\\n%%\"$(reboot)`x`"
    script = "".join(f"printf '{octal_escaped(data[i:i + 96])}'\n"
                     for i in range(0, len(data), 96))
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True, timeout=30)
    assert out.stdout == data
