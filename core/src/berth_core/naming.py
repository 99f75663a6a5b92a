"""Naming rules: tenant slugs and display names (Vietnamese names must round-trip)."""

from __future__ import annotations

import re
import unicodedata

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")


def suggest_slug(text: str) -> str:
    """An ASCII slug for any (Vietnamese) name: 'Sở Y tế' -> 'so-y-te'. đ/Đ do not decompose in NFD."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        hint = suggest_slug(value)
        suffix = f" (try {hint!r})" if hint and hint != value and SLUG_RE.match(hint) else ""
        raise ValueError(f"slug {value!r} must be 3..40 of a-z, 0-9 and '-', not starting or ending with '-'{suffix}")
    return value


_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}  # control, format (zero-width), private, surrogate


def check_display_name(value: str) -> str:
    """Refuse control and zero-width characters; store NFC so 'ở' is one code point whatever the editor wrote."""
    bad = sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in _FORBIDDEN_CATEGORIES})
    if bad:
        raise ValueError(f"contains control or invisible characters: {', '.join(bad)}")
    value = unicodedata.normalize("NFC", value).strip()
    if not value or len(value) > 128:
        raise ValueError("must be 1..128 characters")
    return value
