# SPDX-License-Identifier: GPL-2.0-only
"""mamoru.testing.telnet's negotiation: options refused, subnegotiations skipped."""

from __future__ import annotations

from mamoru.testing.telnet import DO, DONT, IAC, SB, SE, WILL, WONT, TelnetFilter


def test_filter_refuses_options_and_keeps_data() -> None:
    f = TelnetFilter()
    stream = bytes([IAC, DO, 1, IAC, WILL, 3]) + b"he" + bytes([IAC, IAC]) + b"llo"
    stream += bytes([IAC, SB, 24, 1, IAC, SE]) + b"\r\n# "
    # Split anywhere: a command across two reads is still one command.
    out = f.feed(stream[:5]) + f.feed(stream[5:])
    assert out == b"he\xffllo\r\n# "
    assert bytes(f.replies) == bytes([IAC, WONT, 1, IAC, DONT, 3])
