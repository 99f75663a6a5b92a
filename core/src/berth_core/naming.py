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


def _refuse_invisible(value: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in _FORBIDDEN_CATEGORIES})
    if bad:
        raise PydanticCustomError("name.invisible", "invisible characters {chars}", {"chars": ", ".join(bad)})


def check_display_name(value: str) -> str:
    """Refuse control and zero-width characters; store NFC so 'ở' is one code point whatever the editor wrote."""
    _refuse_invisible(value)
    value = unicodedata.normalize("NFC", value).strip()
    if not value or len(value) > DISPLAY_NAME_MAX:
        raise PydanticCustomError("name.length", "must be 1..{limit} characters", {"limit": DISPLAY_NAME_MAX})
    return value


EMAIL_LOCAL_MAX = 64  # RFC 5321 4.5.3.1.1
EMAIL_MAX = 254  # RFC 5321's 256-octet path minus its angle brackets
# RFC 5322 dot-atom (no quoted strings, no comments): atext runs joined by single dots
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LDH_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _ascii_domain(domain: str) -> str | None:
    """The domain in ASCII (IDNA for a Unicode one like `sở-y-tế.vn`), or None when it is not a host name."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LDH_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return ascii_domain


def check_email(value: str) -> str:
    """An address agencies can be written to: displayName's character rules, dot-atom@host, RFC lengths."""
    _refuse_invisible(value)
    local, at, domain = value.rpartition("@")
    _check_email_length(local, value)
    ascii_domain = _ascii_domain(domain) if at else None
    if not _DOT_ATOM.match(local) or ascii_domain is None:
        raise PydanticCustomError("value.email", "not an e-mail address: {got}", {"got": value})
    _check_email_length(local, f"{local}@{ascii_domain}")  # IDNA can make a Unicode domain longer
    return value


def _check_email_length(local: str, address: str) -> None:
    if len(local) > EMAIL_LOCAL_MAX or len(address) > EMAIL_MAX:
        params = {
            "length": len(address),
            "limit": EMAIL_MAX,
            "local": len(local),
            "local_limit": EMAIL_LOCAL_MAX,
        }
        raise PydanticCustomError("email.too_long", "address too long", params)
