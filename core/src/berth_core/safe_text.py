"""Untrusted text made safe to print: what a manifest, a file name or the cloud holds never drives the terminal.

An ESC in a YAML key can clear the screen or set the window title, a U+202E can reverse what a reviewer
reads, and one value can be 400,000 characters long. `printable` shows every such character as a visible
escape (`\\x1b`, `\\u202e`) and cuts long text with an ellipsis; everything else (Vietnamese included) is
kept as written.
"""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_SHOWN = 200  # characters of one untrusted value in a message
ELLIPSIS = "…"
# control (C0, DEL, C1), format (bidi, zero-width), surrogate, and the line/paragraph separators
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_unsafe(char: str) -> bool:
    """True for a character that must never reach a terminal as itself."""
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def printable(text: str, limit: int | None = MAX_SHOWN) -> str:
    """`text` with unsafe characters escaped, at most `limit` characters long (None: no cut), plus "…"."""
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text  # the common case, and Python's isprintable is stricter than our rule
    out: list[str] = []
    size = 0
    for char in text:
        piece = _escape(char) if is_unsafe(char) else char
        if limit is not None and size + len(piece) > limit:
            out.append(ELLIPSIS)
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


QUOTED_MAX = 48  # characters of one value quoted back in a message: enough to recognise it


def describe(value: Any) -> str:
    """A short, language-neutral, printable rendering of what the YAML held, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list | tuple):
        return "[…]"
    if isinstance(value, str):
        return f"'{printable(value, QUOTED_MAX)}'"
    return printable(str(value), QUOTED_MAX)  # a 4,000-digit integer is as unreadable as a long string
