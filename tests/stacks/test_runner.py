"""The Automation API runner's refusals: no Pulumi CLI, no passphrase. Both must be clear BerthErrors
(exit 7), never a traceback. The Pulumi CLI itself cannot be installed on these machines, so stack
operations are not exercised here (docs/pulumi.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from berth_core.errors import ExitCode, PulumiFailed
from berth_stacks.engine import (
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    choose_engine,
    pulumi_cli_available,
    require_passphrase,
    require_pulumi_cli,
)
from berth_stacks.runner import PulumiRunner, StackSummary


@pytest.fixture
def no_pulumi_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_missing_cli_is_detected(no_pulumi_on_path) -> None:
    assert pulumi_cli_available() is False
    with pytest.raises(PulumiFailed) as caught:
        require_pulumi_cli()
    assert caught.value.exit_code == ExitCode.PULUMI_FAILED == 7
    assert "pulumi" in str(caught.value)
    assert "--engine direct" in caught.value.hint


def test_runner_refuses_to_start_without_the_cli(no_pulumi_on_path, tmp_path: Path) -> None:
    with pytest.raises(PulumiFailed, match="not on PATH"):
        PulumiRunner("aio", tmp_path / "pulumi", cloud="berth-admin", region="RegionOne")


@pytest.fixture
def pulumi_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An executable named pulumi, first on PATH. Only its presence is tested; it is never run."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "pulumi"
    exe.write_text("#!/bin/sh\nexit 3\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    return exe


def test_cli_on_path_is_found(pulumi_on_path: Path) -> None:
    assert pulumi_cli_available() is True
    assert require_pulumi_cli() == str(pulumi_on_path)


def test_runner_refuses_to_start_without_a_passphrase(
    pulumi_on_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.delenv(PASSPHRASE_FILE_ENV, raising=False)
    with pytest.raises(PulumiFailed, match=PASSPHRASE_ENV):
        PulumiRunner("aio", tmp_path / "pulumi", cloud="berth-admin", region="RegionOne")


def test_engine_direct_needs_nothing(no_pulumi_on_path) -> None:
    assert choose_engine("direct")[0] == "direct"


def test_engine_auto_says_what_it_chose(no_pulumi_on_path) -> None:
    engine, why = choose_engine("auto")
    assert engine == "direct"
    assert "no pulumi CLI" in why


def test_engine_auto_prefers_pulumi_when_present(pulumi_on_path: Path) -> None:
    engine, why = choose_engine("auto")
    assert engine == "pulumi"
    assert "pulumi" in why


def test_engine_pulumi_without_cli_is_a_clear_error(no_pulumi_on_path) -> None:
    with pytest.raises(PulumiFailed) as caught:
        choose_engine("pulumi")
    assert caught.value.exit_code == ExitCode.PULUMI_FAILED


def test_passphrase_is_required() -> None:
    with pytest.raises(PulumiFailed) as caught:
        require_passphrase({})
    assert caught.value.exit_code == ExitCode.PULUMI_FAILED
    assert PASSPHRASE_ENV in str(caught.value)


@pytest.mark.parametrize("name", [PASSPHRASE_ENV, PASSPHRASE_FILE_ENV])
def test_passphrase_from_the_environment_is_accepted(name: str) -> None:
    require_passphrase({name: "correct horse"})


def test_an_empty_passphrase_is_refused() -> None:
    with pytest.raises(PulumiFailed):
        require_passphrase({PASSPHRASE_ENV: ""})


def test_summary_reports_changes() -> None:
    same = StackSummary("tenant-so-y-te", "preview", {"same": 19})
    changed = StackSummary("tenant-so-y-te", "up", {"same": 18, "update": 1})
    assert not same.changed
    assert changed.changed
    assert changed.to_dict()["changes"] == {"same": 18, "update": 1}


@pytest.mark.skipif(shutil.which("pulumi") is None, reason="the Pulumi CLI is not installed on this machine")
def test_cli_present_runner_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "test-only-passphrase")
    runner = PulumiRunner("aio", tmp_path / "pulumi", cloud="berth-admin", region="RegionOne")
    assert runner.project == "berth-aio"


def test_missing_cli_through_the_cli_error_boundary(no_pulumi_on_path, capsys, tmp_path, monkeypatch) -> None:
    """What an operator sees from berth's own `apply --engine pulumi`: one `Error:` line with the hint,
    exit 7, no traceback, and nothing written to the site's state."""
    from berth_cli.main import main

    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))
    code = main(["apply", "--site", "aio", "--engine", "pulumi", "--yes"])
    err = capsys.readouterr().err
    assert not (tmp_path / "state").exists()
    assert code == 7
    assert "Error:" in err
    assert "pulumi" in err
    assert "--engine direct" in err
    assert "Traceback" not in err


def test_engine_choice_imports_no_pulumi() -> None:
    """The CLI asks which engine before loading anything heavy."""
    import subprocess
    import sys

    code = (
        "import sys, berth_stacks.engine, berth_stacks.programs, berth_stacks.types\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'pulumi_openstack'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_pulumi_command_errors_become_pulumi_failed() -> None:
    from pulumi.automation import CommandError
    from pulumi.automation._cmd import CommandResult

    from berth_stacks.runner import pulumi_errors_as_berth

    stderr = "\n".join(f"line {i}" for i in range(40)) + "\nerror: 409 Conflict from neutron"
    with pytest.raises(PulumiFailed) as caught, pulumi_errors_as_berth("tenant-so-y-te", "up"):
        raise CommandError(CommandResult("", stderr, 255))
    error = caught.value
    assert error.exit_code == ExitCode.PULUMI_FAILED
    assert str(error) == "pulumi up of stack tenant-so-y-te failed"
    assert error.hint.endswith("error: 409 Conflict from neutron")  # Pulumi's own last words
    assert "line 0\n" not in error.hint  # but not a wall of text


def test_a_locked_stack_says_so() -> None:
    from pulumi.automation import ConcurrentUpdateError
    from pulumi.automation._cmd import CommandResult

    from berth_stacks.runner import pulumi_errors_as_berth

    with pytest.raises(PulumiFailed, match="locked") as caught, pulumi_errors_as_berth("platform", "up"):
        raise ConcurrentUpdateError(CommandResult("", "error: the stack is currently locked", 255))
    assert "pulumi cancel" in caught.value.hint


def test_other_errors_pass_through_untouched() -> None:
    """Only Pulumi's failures are translated; a bug in berth stays a bug (the boundary reports it)."""
    from berth_stacks.runner import pulumi_errors_as_berth

    with pytest.raises(KeyError), pulumi_errors_as_berth("platform", "up"):
        raise KeyError("x")


def test_change_counts_speak_plain_operation_names() -> None:
    from pulumi.automation import OpType

    from berth_stacks.runner import change_counts

    assert change_counts({OpType.CREATE: 3, OpType.SAME: 2}) == {"create": 3, "same": 2}
    assert change_counts({"update": 1}) == {"update": 1}
    assert change_counts(None) == {}
