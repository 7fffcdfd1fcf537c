# SPDX-License-Identifier: GPL-2.0-only
"""GuestShell.kill's command (mamoru.guestshell.kill_command): run by a POSIX shell, the
background jobs are gone when it returns, reaped and not left as zombies whose SIGCHLD
could still interrupt the shell's next prompt."""

from __future__ import annotations

import subprocess

from mamoru.guestshell import kill_command


def test_killed_jobs_are_reaped_before_the_command_returns() -> None:
    script = ("sleep 100 & a=$!; sleep 100 & b=$!; "
              f"{kill_command(['$a', '$b'])}; "
              # kill -0 still finds a zombie: only a reaped child is gone
              "for p in $a $b; do kill -0 $p 2>/dev/null && echo left $p; done; echo done")
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    assert out == "done\n", out
