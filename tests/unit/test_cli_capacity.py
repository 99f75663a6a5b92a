"""`berth capacity --offline`: tables and JSON per resource class, agency and flavor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berth_cli.main import main
from tests.unit.test_cli_plan import OVER, root, run

__all__ = ["root"]  # the fixture, shared with the plan tests


def test_text_report(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "capacity", "--site", "plantest", "--offline")
    assert code == 0, err
    for needle in ("VCPU", "RAM GiB", "per agency", "STTTT", "m1.large", "how many more instances fit"):
        assert needle in out


def test_json_report(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "capacity", "--site", "plantest", "--offline", "--output", "json")
    assert code == 0
    data = json.loads(out)
    assert data["site"] == "plantest" and data["tenants"] == 3 and data["source"] == "site"
    vcpu = next(c for c in data["classes"] if c["resourceClass"] == "VCPU")
    assert (vcpu["allocatable"], vcpu["limit"], vcpu["committedAfter"]["amount"], vcpu["headroom"]) == (
        48,
        48,
        32,
        16,
    )
    assert vcpu["verdict"] == "ok"
    caps = {(a["agency"], a["field"]): a["cap"] for a in data["agencies"]}
    assert caps[("STTTT", "cores")] == 24
    fits = {f["flavor"]: f for f in data["flavors"]}
    assert fits["m1.large"]["perHost"] == {"c1": 6, "c2": 3}


def test_flavor_filter(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "-o", "json", "capacity", "--site", "plantest", "--offline", "--flavor", "db.large"
    )
    assert code == 0
    assert [f["flavor"] for f in json.loads(out)["flavors"]] == ["db.large"]
    code, _, err = run(capsys, "capacity", "--site", "plantest", "--offline", "--flavor", "m9.huge")
    assert code == 2 and "m9.huge" in err


def test_over_capacity_is_reported_not_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "-o",
        "json",
        "capacity",
        str(root / "manifests"),
        str(OVER),
        "--site",
        "plantest",
        "--offline",
    )
    assert code == 0  # a report, not a change
    data = json.loads(out)
    assert {c["resourceClass"]: c["verdict"] for c in data["classes"]} == {
        "VCPU": "over",
        "MEMORY_MB": "over",
        "DISK_GB": "not-governed",
        "VOLUME_GB": "ok",
    }
    assert data["refused"] is False


def test_live_without_a_cloud_is_an_openstack_error(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(root / "no-clouds.yaml"))
    assert main(["capacity", "--site", "plantest"]) == 5
    err = capsys.readouterr().err
    assert "no cloud selected" in err and "Traceback" not in err
