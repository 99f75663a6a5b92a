"""Naming rules: tenant slugs and display names (Vietnamese names must round-trip).

Validators raise PydanticCustomError with a catalogue code (see berth_core.i18n) so the message can be
shown in Vietnamese or English; PydanticCustomError is a ValueError for callers outside pydantic.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic_core import PydanticCustomError

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
SLUG_MAX = 40
DISPLAY_NAME_MAX = 128
_NOT_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


def suggest_slug(text: str) -> str:
    """An ASCII slug for any (Vietnamese) name: 'Sở Y tế' -> 'so-y-te', or '' when none can be made.

    đ/Đ have no decomposition in Unicode, so they are mapped by hand before stripping the accents.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG_CHARS.sub("-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug if SLUG_RE.match(slug) else ""


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        hint = suggest_slug(value)
        if hint and hint != value:
            raise PydanticCustomError(
                "slug.invalid.suggest",
                "invalid slug {value}, try {suggestion}",
                {"value": value, "suggestion": hint},
            )
        raise PydanticCustomError("slug.invalid", "invalid slug {value}", {"value": value})
    return value


_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}  # control, format (zero-width), private, surrogate


def check_display_name(value: str) -> str:
    """Refuse control and zero-width characters; store NFC so 'ở' is one code point whatever the editor wrote."""
    bad = sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in _FORBIDDEN_CATEGORIES})
    if bad:
        raise PydanticCustomError("name.invisible", "invisible characters {chars}", {"chars": ", ".join(bad)})
    value = unicodedata.normalize("NFC", value).strip()
    if not value or len(value) > DISPLAY_NAME_MAX:
        raise PydanticCustomError("name.length", "must be 1..{limit} characters", {"limit": DISPLAY_NAME_MAX})
    return value
