"""How both exporter front doors report an error: the same lines, the same language, the same exit code.

An invalid site lists every located problem, one per line, then the count; any other berth error is one
line (located when it has a location) and its hint. The exit code is the error's (README "Exit codes").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from berth_core.errors import BerthError, ExitCode, ManifestInvalid


def default_lang(environ: Mapping[str, str] = os.environ) -> str:
    """Vietnamese when the operator's locale says so (as `berth` decides), else English."""
    for var in ("BERTH_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def error_lines(error: BerthError, lang: str) -> list[str]:
    from berth_core.i18n import render_problem, translate

    label = translate("label.error", lang)  # "Lỗi" in Vietnamese
    if isinstance(error, ManifestInvalid):
        problems = [f"{label}: {render_problem(problem, lang)}" for problem in error.problems]
        return [*problems, translate("summary.invalid", lang, count=len(error.problems))]
    where = f"{error.location.prefix()}: " if error.location else ""
    lines = [f"{label}: {where}{error.message}"]
    if error.hint:
        lines.append(f"{translate('label.hint', lang)}: {error.hint}")
    return lines


def unexpected_lines(error: Exception) -> list[str]:
    """A bug, not a reported error: one line, and how to see more (exit 1)."""
    return [f"Error: unexpected {type(error).__name__}: {error}", "Re-run with --debug for the traceback."]


def report(error: BerthError, lang: str, stream: TextIO | None = None) -> int:
    """Print the error's lines (stderr by default); its exit code."""
    out = stream or sys.stderr
    for line in error_lines(error, lang):
        print(line, file=out)
    return int(error.exit_code)


def report_unexpected(error: Exception, stream: TextIO | None = None) -> int:
    out = stream or sys.stderr
    for line in unexpected_lines(error):
        print(line, file=out)
    return int(ExitCode.UNEXPECTED)
