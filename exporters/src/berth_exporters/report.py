"""How both exporter front doors report an error: the same lines, the same language, the same exit code.

An invalid site lists every located problem, one per line, then the count; any other berth error is one
line (located when it has a location) and its hint. The exit code is the error's (README "Exit codes").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from berth_core import paths
from berth_core.errors import BerthError, ExitCode


def default_lang(environ: Mapping[str, str] = os.environ) -> str:
    """As `berth` decides (berth_core.paths)."""
    return paths.default_lang(environ)


def report(error: BerthError, lang: str, stream: TextIO | None = None) -> int:
    """Print the error's lines as `berth` prints them (stderr by default); its exit code."""
    from berth_core.i18n import error_lines

    out = stream or sys.stderr
    for line in error_lines(error, lang):
        print(line, file=out)
    return int(error.exit_code)


def report_unexpected(error: Exception, stream: TextIO | None = None) -> int:
    from berth_core.i18n import unexpected_lines

    out = stream or sys.stderr
    for line in unexpected_lines(error):
        print(line, file=out)
    return int(ExitCode.UNEXPECTED)
