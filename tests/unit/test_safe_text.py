"""Untrusted text never drives the terminal: controls are shown as escapes and long values are cut."""

from __future__ import annotations

import pytest

from berth_core.errors import Location, Problem
from berth_core.i18n import render_problem, translate
from berth_core.safe_text import ELLIPSIS, MAX_SHOWN, describe, printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"),  # clear screen, set the title
        ("a\x9bb", "a\\x9bb"),  # C1 CSI: an escape sequence in one byte
        ("del\x7f", "del\\x7f"),
        ("abc\u202edef", "abc\\u202edef"),  # right-to-left override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028sep", "line\\u2028sep"),
        ("two\nlines\r", "two\\x0alines\\x0d"),
        ("Sở Y tế Hải Phòng", "Sở Y tế Hải Phòng"),  # Vietnamese is printed as written
        ("emoji 🙂", "emoji 🙂"),
    ],
)
def test_unsafe_characters_become_visible_escapes(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_long_text_is_cut_with_an_ellipsis_and_escapes_count_towards_the_bound() -> None:
    cut = printable("x" * 400_000)
    assert cut == "x" * MAX_SHOWN + ELLIPSIS
    assert len(printable("\x1b" * 1000)) <= MAX_SHOWN + 1
    assert printable("y" * 5000, limit=None) == "y" * 5000


def test_describe_quotes_safely_and_briefly() -> None:
    assert describe("\x1b[2J") == "'\\x1b[2J'"
    assert describe("a" * 1000).endswith(ELLIPSIS + "'") and len(describe("a" * 1000)) < 60
    assert describe(10**4000).endswith(ELLIPSIS)
    assert describe(None) == "null"


def test_problems_never_echo_input_raw() -> None:
    key = "\x1b]0;pwned\x07" + "k" * 400_000
    problem = Problem(
        Location("evil\x1b[2J.yaml", 3, 5, f"spec.{key}"), "field.unknown", {"name": key, "allowed": "a"}
    )
    for lang in ("en", "vi"):
        text = render_problem(problem, lang)
        assert "\x1b" not in text and "\x07" not in text
        assert "evil\\x1b[2J.yaml:3:5" in text
        assert len(text) < 800


def test_every_message_parameter_is_made_printable() -> None:
    text = translate("summary.file_ok", "en", file="a\u202e.yaml", tenants="x")
    assert "\u202e" not in text and "a\\u202e.yaml" in text


def test_the_cli_error_boundary_escapes_messages_and_hints(capsys: pytest.CaptureFixture[str]) -> None:
    from berth_cli.errors import report
    from berth_core.errors import OpenStackError

    report(OpenStackError("keystone said \x1b[2J" + "z" * 100_000 + "\nsecond line", hint="name \u202e"))
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err
    assert "keystone said \\x1b[2J" in err and "second line" in err and "name \\u202e" in err
    assert max(len(line) for line in err.splitlines()) < 2100
