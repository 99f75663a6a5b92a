"""Messages in Vietnamese and English from berth's gettext catalogue.

Message ids are stable codes (`value.ipv4_network`, `summary.invalid`), never English sentences, so a
Problem can be rendered in either language long after it was found. The sources are
locale/<lang>/LC_MESSAGES/berth.po; the compiled .mo files ship with the package and a unit test
checks that they match their .po (recompile: `uv run pybabel compile -d core/src/berth_core/locale -D berth`).
Catalogues are parsed once per process.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib import resources
from typing import Any

from berth_core.errors import BerthError, Location, ManifestInvalid, Problem
from berth_core.safe_text import printable

DOMAIN = "berth"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "en"


class _KeepMissing(dict[str, Any]):
    """Leave an unknown {placeholder} visible instead of failing: a message is never worth a crash."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The parsed catalogue of `lang` (English for an unknown language)."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    mo = resources.files("berth_core") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with mo.open("rb") as stream:
        translations: gettext.NullTranslations = gettext.GNUTranslations(stream)
    if lang != DEFAULT_LANGUAGE:
        translations.add_fallback(catalogue(DEFAULT_LANGUAGE))
    return translations


def translate(msgid: str, lang: str, **params: Any) -> str:
    """The message `msgid` in `lang`, its {placeholders} filled from params (plural form by `count`)."""
    messages = catalogue(lang)
    text = messages.gettext(msgid)
    if "count" in params:
        plural = messages.ngettext(msgid, msgid, int(params["count"]))
        if plural != msgid:
            text = plural
    if not params:
        return text
    # parameters quote the input (keys, values, file names): never raw, never unbounded
    safe = {k: printable(v) if isinstance(v, str) else v for k, v in params.items()}
    return text.format_map(_KeepMissing(safe))


def message(problem: Problem, lang: str) -> str:
    """The problem's message alone, without its location."""
    return translate(problem.code, lang, **problem.params)


def render_location(location: Location, lang: str) -> str:
    """`file:LINE:COL: field`, or `file: (whole file)` for a problem of the file itself (empty, too large)."""
    if location.file and not location.line:
        whole = Location(location.file).prefix() + ": " + translate("location.whole_file", lang)
        return f"{whole}: {Location(field=location.field).prefix()}" if location.field else whole
    return location.prefix()


def render_problem(problem: Problem, lang: str) -> str:
    """`path/to/file.yaml:LINE:COL: spec.networks[1].cidr: message`."""
    prefix = render_location(problem.location, lang)
    text = message(problem, lang)
    return f"{prefix}: {text}" if prefix else text


_LINE_MAX = 2000  # one line of a message built from what a cloud or a file said: bounded


def _safe(text: str) -> str:
    """A message may quote input (a name, an API's answer): escape controls and cut, line by line."""
    from berth_core.safe_text import printable

    return "\n".join(printable(line, _LINE_MAX) for line in text.split("\n"))


def error_lines(error: BerthError, lang: str) -> list[str]:
    """What every front door prints for a berth error: every located problem of an invalid input and their
    count, else the message (located when it has a location) and its hint. Safe to print, in `lang`."""
    label = translate("label.error", lang)  # "Lỗi" in Vietnamese
    if isinstance(error, ManifestInvalid):
        lines = [f"{label}: {render_problem(problem, lang)}" for problem in error.problems]
        return [*lines, translate("summary.invalid", lang, count=len(error.problems))]
    where = f"{render_location(error.location, lang)}: " if error.location else ""
    lines = [f"{label}: {where}{_safe(error.message)}"]
    if error.hint:
        lines.append(f"{translate('label.hint', lang)}: {_safe(error.hint)}")
    return lines


def unexpected_lines(error: Exception) -> list[str]:
    """A bug, not a reported error: one line, and how to see more (exit 1)."""
    return [
        f"Error: unexpected {type(error).__name__}: {_safe(str(error))}",
        "Re-run with --debug for the traceback.",
    ]
