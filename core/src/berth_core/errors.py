"""berth's error vocabulary: exit codes, located problems, and the exception hierarchy.

Every layer raises a subclass of BerthError; the CLI's single error boundary turns it into
`Error: <location>: <message>` on stderr and the named exit code. Messages are rendered late
(by berth_core.i18n) so the same problem can be shown in Vietnamese or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from berth_core.safe_text import printable


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    MANIFEST_INVALID = 3
    CAPACITY_REFUSED = 4
    OPENSTACK_API = 5
    ANSIBLE_FAILED = 6
    PULUMI_FAILED = 7
    STALE_OR_LOCKED = 8
    PREFLIGHT_FAILED = 9  # `berth hosts check` found a failing check
    CHANGES_PRESENT = 10  # only with `plan --detailed-exitcode`
    PROMETHEUS_API = 11  # `berth report usage`: Prometheus unreachable or answered an error
    ARCHIVE_REFUSED = 12  # `berth cloud restore`: corrupt, foreign, another site's, or not opened by the key
    INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Location:
    """Where a problem is: file, 1-based line and column, and the dotted field path."""

    file: str = ""
    line: int = 0
    col: int = 0
    field: str = ""

    def prefix(self) -> str:
        """`file:line:col: field`, safe to print (file names and field paths come from the input)."""
        parts = [printable(self.file)] if self.file else []
        if self.file and self.line:
            parts.append(str(self.line))
            if self.col:
                parts.append(str(self.col))
        text = ":".join(parts)
        if self.field:
            shown = printable(self.field)
            text = f"{text}: {shown}" if text else shown
        return text


@dataclass(frozen=True)
class Problem:
    """One located problem. `code` names a message in the catalogue; `params` fill it."""

    location: Location
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.col, loc.field, self.code)


class BerthError(Exception):
    """Base of every error berth reports on purpose (never a traceback)."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, *, hint: str = "", location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location


class UsageError(BerthError):
    exit_code = ExitCode.USAGE


class ManifestInvalid(BerthError):
    """One or more files are invalid; carries every problem found, not just the first."""

    exit_code = ExitCode.MANIFEST_INVALID

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__(f"{len(self.problems)} problem(s) found")


class CapacityRefused(BerthError):
    exit_code = ExitCode.CAPACITY_REFUSED


class OpenStackError(BerthError):
    exit_code = ExitCode.OPENSTACK_API


class PrometheusError(BerthError):
    exit_code = ExitCode.PROMETHEUS_API


class AnsibleFailed(BerthError):
    exit_code = ExitCode.ANSIBLE_FAILED


class PulumiFailed(BerthError):
    exit_code = ExitCode.PULUMI_FAILED


class StaleOrLocked(BerthError):
    exit_code = ExitCode.STALE_OR_LOCKED


class ArchiveRefused(BerthError):
    exit_code = ExitCode.ARCHIVE_REFUSED


class PreflightFailed(BerthError):
    exit_code = ExitCode.PREFLIGHT_FAILED
