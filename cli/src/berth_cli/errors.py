"""The CLI's single error boundary: berth errors become one located message and a named exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import typer
from typer.exceptions import Abort, Exit, TyperException

from berth_cli.context import OPTIONS
from berth_core.errors import BerthError, CapacityRefused, ExitCode


def report(error: BerthError) -> None:
    """Print a berth error to stderr as every front door does (berth_core.i18n.error_lines), after the
    capacity table when it is a capacity refusal."""
    from berth_core.i18n import error_lines

    _show_refused_capacity(error)
    for line in error_lines(error, OPTIONS.lang):
        print(line, file=sys.stderr)


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
        from berth_core.i18n import unexpected_lines

        for line in unexpected_lines(unexpected):
            print(line, file=sys.stderr)
        return int(ExitCode.UNEXPECTED)
