"""The CLI's single error boundary: named exit codes, one-line messages, no tracebacks."""

import pytest
import typer

from berth_cli.errors import global_options, hoist_global_options
from berth_cli.main import app, main
from berth_core.errors import ExitCode

GLOBALS = global_options(typer.main.get_command(app))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["plan", "--site", "haiphong", "--offline"], ["--site", "haiphong", "plan", "--offline"]),
        (
            ["plan", "--offline", "--site=haiphong", "-o", "json"],
            ["--site=haiphong", "-o", "json", "plan", "--offline"],
        ),
        (["manifest", "validate", "--debug", "x.yaml"], ["--debug", "manifest", "validate", "x.yaml"]),
        (["manifest", "validate", "--", "--site"], ["manifest", "validate", "--", "--site"]),
        (["--lang", "vi", "capacity"], ["--lang", "vi", "capacity"]),
    ],
)
def test_global_options_may_stand_anywhere(argv, expected):
    assert hoist_global_options(argv, GLOBALS) == expected


def test_the_global_options_are_the_callbacks_own_cloud_included():
    assert {"--site", "--output", "-o", "--lang", "--cloud"} <= GLOBALS.with_value
    assert {"--debug", "--version"} <= GLOBALS.flags
    argv = ["cloud", "status", "--cloud", "aio-system"]
    assert hoist_global_options(argv, GLOBALS) == ["--cloud", "aio-system", "cloud", "status"]


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["no-such-command"]) == ExitCode.USAGE
    assert "No such command" in capsys.readouterr().err


def test_bad_global_option_value_is_a_usage_error_without_traceback(capsys):
    assert main(["--output", "xml", "manifest", "--help"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("Error: --output must be text or json")
    assert "Traceback" not in err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("berth ")
