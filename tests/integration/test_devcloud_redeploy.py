"""A second `berth cloud deploy` changes nothing, `berth cloud status` is healthy, and no generated secret
ever reaches ansible-runner's artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from berth_cli.main import main
from tests.integration.conftest import state_dir

pytestmark = pytest.mark.openstack


def secret_values() -> list[str]:
    data = yaml.safe_load((state_dir() / "secrets" / "passwords.yml").read_text(encoding="utf-8"))
    return [str(v) for v in data.values()]


def scan_artifacts(root: Path, secrets: list[str]) -> list[str]:
    leaks = []
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            leaks += [f"{path}: secret #{i}" for i, s in enumerate(secrets) if s in text]
    return leaks


def test_status_reports_a_healthy_devcloud(clouds_yaml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert clouds_yaml.stat().st_mode & 0o777 == 0o600
    rc = main(["cloud", "status", "--site", "aio", "--output", "json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0, report
    assert report["healthy"] is True
    assert {e["service"] for e in report["endpoints"]} == {
        "keystone",
        "placement",
        "nova",
        "neutron",
        "glance",
        "cinder",
    }
    assert all(h["ok"] for h in report["computes"])


def test_artifacts_of_past_runs_hold_no_secret(clouds_yaml: Path) -> None:
    secrets_file = state_dir() / "secrets" / "passwords.yml"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    artifacts = state_dir() / "ansible"
    assert any(artifacts.iterdir()), "no ansible artifacts kept under the state directory"
    assert scan_artifacts(artifacts, secret_values()) == []


@pytest.mark.slow
def test_second_deploy_changes_nothing_and_leaks_nothing(
    clouds_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["cloud", "deploy", "--site", "aio", "--skip-preflight", "--output", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert rc == 0, summary
    assert summary["changed"] == 0, summary
    assert summary["failed"] == 0
    artifact_dir = Path(summary["artifacts"])
    assert (artifact_dir / "job_events").is_dir()
    assert scan_artifacts(artifact_dir, secret_values()) == []
