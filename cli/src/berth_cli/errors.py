"""The CLI's single error boundary: berth errors become one located message and a named exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import typer
from typer.exceptions import Abort, Exit, TyperException

from berth_cli.context import OPTIONS
from berth_core.errors import BerthError, CapacityRefused, ExitCode, ManifestInvalid


def report(error: BerthError) -> None:
    """Print a berth error to stderr: every problem of an invalid manifest, else message and hint."""
    from berth_core.i18n import render_location, render_problem, translate

    err = sys.stderr
    label = translate("label.error", OPTIONS.lang)  # "Lỗi" under --lang vi
    _show_refused_capacity(error)
    if isinstance(error, ManifestInvalid):
        for problem in error.problems:  # every part is made safe where it is rendered (berth_core.i18n)
            print(f"{label}: {render_problem(problem, OPTIONS.lang)}", file=err)
        print(translate("summary.invalid", OPTIONS.lang, count=len(error.problems)), file=err)
        return
    where = f"{render_location(error.location, OPTIONS.lang)}: " if error.location else ""
    print(f"{label}: {where}{_safe(error.message)}", file=err)
    if error.hint:
        print(f"{translate('label.hint', OPTIONS.lang)}: {_safe(error.hint)}", file=err)


def _show_refused_capacity(error: BerthError) -> None:
    """A capacity refusal says why with its table (JSON on stdout under --output json)."""
    report = getattr(error, "report", None)
    if report is None or not isinstance(error, CapacityRefused):
        return
    if OPTIONS.output == "json":
        import json

        print(json.dumps({"refused": True, "admission": report.to_dict()}, ensure_ascii=False, indent=2))
        return
    from berth_cli.rendering.admission import print_admission
    from berth_cli.rendering.console import console

    print_admission(report, console(stderr=True))


_LINE_MAX = 2000  # one line of a message built from what a cloud or a file said: bounded


def _safe(text: str) -> str:
    """A message may quote input (a name, an API's answer): escape controls and cut, line by line."""
    from berth_core.safe_text import printable

    return "\n".join(printable(line, _LINE_MAX) for line in text.split("\n"))


@dataclass(frozen=True)
class GlobalOptions:
    """The root callback's options: those that take a value, and flags."""

    with_value: frozenset[str]
    flags: frozenset[str]


def global_options(command: Any) -> GlobalOptions:
    """The one list of global options, derived from the callback's parameters (never spelled twice).

    `command` is Typer's root group (Typer carries its own click: its options are told by type name)."""
    with_value: set[str] = set()
    flags: set[str] = set()
    for param in command.params:
        if param.param_type_name == "option":
            (flags if param.is_flag else with_value).update([*param.opts, *param.secondary_opts])
    return GlobalOptions(frozenset(with_value), frozenset(flags))


def hoist_global_options(args: list[str], options: GlobalOptions) -> list[str]:
    """Let global options stand anywhere (`berth plan --site haiphong`), as operators type them.

    Click only accepts them before the sub-command, so move them to the front; `--` ends the scan.
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in options.flags or (name in options.with_value and "=" in arg):
            front.append(arg)
        elif arg in options.with_value and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def run_guarded(app: typer.Typer, argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    args = hoist_global_options(sys.argv[1:] if argv is None else argv, global_options(command))
    try:
        result = command.main(args=args, prog_name="berth", standalone_mode=False)
        return int(result or 0) if isinstance(result, int) else 0
    except BerthError as error:
        report(error)
        return int(error.exit_code)
    except Exit as done:
        return int(done.exit_code)
    except (Abort, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except TyperException as usage:  # Typer's own usage errors (bad option, missing argument, no command)
        show = getattr(usage, "show", None)
        if callable(show):
            show()
        else:
            print(f"Error: {usage.message}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except Exception as unexpected:
        if OPTIONS.debug:
            raise
        print(f"Error: unexpected {type(unexpected).__name__}: {_safe(str(unexpected))}", file=sys.stderr)
        print("Re-run with --debug for the traceback.", file=sys.stderr)
        return int(ExitCode.UNEXPECTED)
