# SPDX-License-Identifier: GPL-2.0-only
"""Line editor, tokenizer, command table and help, through shell_sim (the
real shell loop fed from stdin; commands echo/fail/long come from the
harness)."""
from pathlib import Path

import pytest
from hostprog import run_prog

PROMPT = "mamoru# "
UP, DOWN, RIGHT, LEFT = "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"
HOME, END, DEL = "\x1b[H", "\x1b[F", "\x1b[3~"


def run_shell(host: Path, keys: str | bytes) -> str:
    data = keys.encode("latin-1") if isinstance(keys, str) else keys
    res = run_prog(host, "shell_sim", stdin=data)
    assert res.stderr == b"", res.stderr.decode(errors="replace")
    assert res.returncode == 0
    return res.stdout.decode("latin-1")


def results(out: str) -> list[str]:
    """What the commands printed: the lines between an echoed Enter and the
    next prompt, with the prompts and echo removed."""
    lines = []
    for chunk in out.split(PROMPT)[1:]:
        if "\r\n" in chunk:
            lines += chunk.split("\r\n", 1)[1].splitlines()
    return lines


def test_first_prompt(host_build: Path) -> None:
    assert run_shell(host_build, "") == PROMPT


def test_echo_and_prompt(host_build: Path) -> None:
    out = run_shell(host_build, "echo hello world\r")
    assert out == PROMPT + "echo hello world\r\nhello\nworld\n" + PROMPT


def test_insert_mid_line(host_build: Path) -> None:
    out = run_shell(host_build, "echo ac" + LEFT + "b\r")
    assert results(out) == ["abc"]
    # The tail is redrawn and the cursor moved back over it.
    assert "bc\x1b[1D" in out


def test_cursor_keys_home_end(host_build: Path) -> None:
    assert results(run_shell(host_build, "cho x" + HOME + "e" + END + "y\r")) == ["xy"]
    assert results(run_shell(host_build, "cho x\x1b[1~e\x1b[4~y\r")) == ["xy"]
    assert results(run_shell(host_build, "cho x\x01e\x05y\r")) == ["xy"]  # Ctrl-A, Ctrl-E
    assert results(run_shell(host_build, "cho x\x1bOHe\x1bOFy\r")) == ["xy"]
    # Right at the end and left at the start do nothing.
    keys = "echo ab" + RIGHT * 3 + "c" + LEFT * 20 + RIGHT * 5 + "X\r"
    assert results(run_shell(host_build, keys)) == ["Xabc"]


def test_backspace(host_build: Path) -> None:
    assert results(run_shell(host_build, "echo abx\x7f\r")) == ["ab"]
    assert results(run_shell(host_build, "echo abx\x08c\r")) == ["abc"]
    assert results(run_shell(host_build, "echo axbc" + LEFT * 2 + "\x7f\r")) == ["abc"]
    # At the start of the line: nothing to delete.
    assert results(run_shell(host_build, "echo a" + HOME + "\x7f\x7f\r")) == ["a"]


def test_delete_under_cursor(host_build: Path) -> None:
    assert results(run_shell(host_build, "xecho abc" + HOME + DEL + "\r")) == ["abc"]
    assert results(run_shell(host_build, "echo abc" + DEL + "\r")) == ["abc"]  # at the end


def test_ctrl_u(host_build: Path) -> None:
    out = run_shell(host_build, "garbage\x15echo ok\r")
    assert results(out) == ["ok"]
    assert "unknown" not in out


def test_ctrl_c(host_build: Path) -> None:
    out = run_shell(host_build, "echo no\x03echo yes\r")
    assert out.startswith(PROMPT + "echo no^C\r\n" + PROMPT)
    assert results(out) == ["yes"]


@pytest.mark.parametrize("eol,enters", [("\r", 1), ("\n", 1), ("\r\n", 1), ("\n\r", 1),
                                        ("\r\r", 2), ("\n\n", 2), ("\r\n\r\n", 2)])
def test_line_endings(host_build: Path, eol: str, enters: int) -> None:
    out = run_shell(host_build, "echo a" + eol)
    assert out.count(PROMPT) == 1 + enters
    assert results(out) == ["a"]


def test_crlf_between_lines(host_build: Path) -> None:
    assert results(run_shell(host_build, "echo a\r\necho b\n\recho c\r")) == ["a", "b", "c"]


def test_history(host_build: Path) -> None:
    two = "echo one\recho two\r"
    assert results(run_shell(host_build, two + UP + UP + "\r")) == ["one", "two", "one"]
    assert results(run_shell(host_build, two + UP + UP + DOWN + "\r")) == ["one", "two", "two"]
    assert results(run_shell(host_build, "echo one\r\x1bOA\r")) == ["one", "one"]
    # Going past the oldest entry stays there.
    assert results(run_shell(host_build, "echo one\r" + UP * 5 + "\r")) == ["one", "one"]


def test_history_no_duplicates(host_build: Path) -> None:
    keys = "echo a\recho b\recho b\r" + UP + UP + "\r"
    assert results(run_shell(host_build, keys)) == ["a", "b", "b", "a"]


def test_history_restores_typed_line(host_build: Path) -> None:
    keys = "echo a\recho par" + UP + DOWN + "tial\r"
    assert results(run_shell(host_build, keys)) == ["a", "partial"]


def test_history_edit_recalled_line(host_build: Path) -> None:
    assert results(run_shell(host_build, "echo abc\r" + UP + "\x7fX\r")) == ["abc", "abX"]


def test_history_keeps_16(host_build: Path) -> None:
    keys = "".join(f"echo {i}\r" for i in range(20)) + UP * 16 + "\r"
    assert results(run_shell(host_build, keys))[-1] == "4"
    keys = "".join(f"echo {i}\r" for i in range(20)) + UP * 17 + "\r"
    assert results(run_shell(host_build, keys))[-1] == "4"


def test_empty_lines(host_build: Path) -> None:
    out = run_shell(host_build, "\r   \r\t\r")
    assert out == PROMPT + "\r\n" + PROMPT + "   \r\n" + PROMPT + "\r\n" + PROMPT


def test_unknown_escape_swallowed(host_build: Path) -> None:
    out = run_shell(host_build, "echo a\x1b[99Zb\x1b[1;5Cc\x1bxd\r")
    assert results(out) == ["abcd"]
    assert "99" not in out


def test_long_escape_is_bounded(host_build: Path) -> None:
    out = run_shell(host_build, "\x1b[" + "1" * 100 + "\x15echo ok\r")
    assert results(out) == ["ok"]


def test_escape_then_enter(host_build: Path) -> None:
    # An interrupted sequence does not eat the Enter.
    assert results(run_shell(host_build, "echo a\x1b\r")) == ["a"]
    assert results(run_shell(host_build, "echo a\x1b[\r")) == ["a"]


def test_max_length_line(host_build: Path) -> None:
    line = "echo " + "a" * 250  # 255 characters: the most that fits
    assert results(run_shell(host_build, line + "\r")) == ["a" * 250]


def test_too_long(host_build: Path) -> None:
    out = run_shell(host_build, "echo " + "a" * 251 + "bcd\recho next\r")
    assert results(out) == ["error: line too long (max 255 characters)", "next"]
    # Characters past the limit are not echoed.
    assert "b" not in out.split(PROMPT)[1]


def test_too_long_then_ctrl_u(host_build: Path) -> None:
    out = run_shell(host_build, "x" * 300 + "\x15echo fine\r")
    assert results(out) == ["fine"]


def test_bad_bytes(host_build: Path) -> None:
    out = run_shell(host_build, b"echo \x02a\x80\xff\x00b\x1f\r")
    assert results(out) == ["error: line contained 5 non-printable byte(s); discarded"]
    for bad in "\x02\x80\xff\x00\x1f":
        assert bad not in out
    assert results(run_shell(host_build, b"echo \x02\rech\x7fho ok\r")) == [
        "error: line contained 1 non-printable byte(s); discarded", "ok"]


def test_tab_ignored(host_build: Path) -> None:
    assert results(run_shell(host_build, "echo a\tb\r")) == ["ab"]


def test_quotes(host_build: Path) -> None:
    assert results(run_shell(host_build, 'echo "a b"  c\r')) == ["a b", "c"]
    assert results(run_shell(host_build, 'echo "a\\"b" "c\\\\d" e\\f\r')) == ['a"b', "c\\d", "e\\f"]
    assert results(run_shell(host_build, 'echo "" x\r')) == ["", "x"]
    assert results(run_shell(host_build, 'echo pre"mid dle"post\r')) == ["premid dlepost"]


def test_unterminated_quote(host_build: Path) -> None:
    assert results(run_shell(host_build, 'echo "abc\r')) == ["error: unterminated quote"]


def test_argument_limit(host_build: Path) -> None:
    args15 = " ".join(str(i) for i in range(15))
    assert results(run_shell(host_build, "echo " + args15 + "\r")) == [str(i) for i in range(15)]
    args16 = " ".join(str(i) for i in range(16))
    assert results(run_shell(host_build, "echo " + args16 + "\r")) == [
        "error: too many arguments (max 16)"]


def test_unknown_command(host_build: Path) -> None:
    assert results(run_shell(host_build, "frobnicate now\r")) == [
        "error: unknown command 'frobnicate' (try 'help')"]


def test_usage_error(host_build: Path) -> None:
    assert results(run_shell(host_build, "fail\r")) == ["usage: fail <x>", "  x: anything at all"]


def test_help_lists_sorted(host_build: Path) -> None:
    assert results(run_shell(host_build, "help\r")) == [
        "  echo       print the arguments, one per line",
        "  fail       always fails with a usage error",
        "  help       list the commands, or show how to use one",
        "  long       print a long line",
    ]


def test_help_command(host_build: Path) -> None:
    assert results(run_shell(host_build, "help fail\r")) == [
        "usage: fail <x>", "  x: anything at all", "always fails with a usage error"]
    assert results(run_shell(host_build, "help nope\r")) == ["error: no command 'nope'"]
    assert results(run_shell(host_build, "help a b\r")) == ["usage: help [command]"]


def test_long_output_not_truncated(host_build: Path) -> None:
    out = results(run_shell(host_build, "long 5000\r"))
    expected = "".join(chr(ord("a") + i % 26) for i in range(5000))
    assert out == ["<" + expected + ">"]


def test_echo_of_typing(host_build: Path) -> None:
    out = run_shell(host_build, "ab")
    assert out == PROMPT + "ab"
