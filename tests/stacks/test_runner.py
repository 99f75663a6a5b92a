"""The Automation API runner's refusals: no Pulumi CLI, no passphrase. Both must be clear BerthErrors
(exit 7), never a traceback. The Pulumi CLI itself cannot be installed on these machines, so stack
operations are not exercised here (docs/pulumi.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from berth_core.errors import ExitCode, PulumiFailed
from berth_stacks.runner import (
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    PulumiRunner,
    StackSummary,
    pulumi_cli_available,
    require_passphrase,
    require_pulumi_cli,
)


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
    assert not (tmp_path / "pulumi").exists()  # refused before touching the state directory


def test_cli_on_path_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """shutil.which is the whole test: any executable named pulumi counts (it is not run here)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "pulumi"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    assert pulumi_cli_available() is True
    assert require_pulumi_cli() == str(exe)


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
