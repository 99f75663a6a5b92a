"""`berth plan --offline` through the real CLI entry point: exit codes, text, JSON, saved plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from berth_cli.main import main
from berth_core.plan import Plan
from tests.fixtures.plan.builders import MANIFESTS, SITE_FILE

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "plan"
OVER = HERE / "over"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A berth checkout in miniature: inventory/plantest/cloud.yml, manifests/, a state directory."""
    (tmp_path / "inventory" / "plantest").mkdir(parents=True)
    shutil.copy(SITE_FILE, tmp_path / "inventory" / "plantest" / "cloud.yml")
    shutil.copytree(MANIFESTS, tmp_path / "manifests")
    monkeypatch.setenv("BERTH_ROOT", str(tmp_path))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("BERTH_SITE", raising=False)
    monkeypatch.delenv("BERTH_OUTPUT", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_offline_plan_of_the_manifests_folder(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--site", "plantest", "--offline")
    assert code == 0, err
    assert "+ subnet/so-y-te/db  cidr 10.64.3.0/25" in out
    assert "+ flavor-access/so-y-te/db.large" in out
    assert "Plan: " in out and "to create, 0 to update, 0 to delete" in out
    assert "VCPU" in out  # the capacity table comes first


def test_json_output_is_the_plan(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--output", "json", "plan", "--site", "plantest", "--offline")
    assert code == 0
    plan = Plan.from_json(out)
    assert plan.tenants == ("cong-du-lieu-mo", "so-tttt", "so-y-te")
    assert plan.ipam.to_dict() == {
        "cong-du-lieu-mo/web": "10.64.0.0/25",
        "so-tttt/app": "10.64.1.0/24",
        "so-y-te/app": "10.64.2.0/24",
        "so-y-te/db": "10.64.3.0/25",
    }
    data = json.loads(out)
    assert {"formatVersion", "sha256", "observedSha256", "changes", "admission"} <= set(data)
    assert data["changes"][0]["key"].startswith("project/")


def test_detailed_exitcode_and_saved_plan(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = root / "out" / "plan.json"
    code, out, _ = run(
        capsys, "plan", "--offline", "--site", "plantest", "--out", str(target), "--detailed-exitcode"
    )
    assert code == 10
    saved = Plan.from_json(target.read_text(encoding="utf-8"))
    assert saved.sha256 in out
    assert saved.has_changes


def test_paths_limit_the_plan_to_those_manifests(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "plan", str(root / "manifests" / "so-tttt.yaml"), "--site", "plantest", "--offline"
    )
    assert code == 0
    assert "so-tttt" in out and "so-y-te" not in out


def test_live_mode_without_a_cloud_is_an_openstack_error(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OS_CLOUD", raising=False)
    code, _, err = run(capsys, "plan", "--site", "plantest")
    assert code == 5
    assert "no cloud selected" in err and "berth cloud deploy" in err


def test_capacity_refusal_shows_the_table_and_exits_4(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "plan", str(root / "manifests"), str(OVER), "--site", "plantest", "--offline"
    )
    assert code == 4
    assert out == ""  # no plan when capacity refuses
    assert (
        "Error: capacity refuses this plan: VCPU: committed 104 would exceed the limit 48 (and 3 more)" in err
    )
    assert "refused: agency STTTT cores: committed 32 would exceed the limit 24" in err
    assert "allocatable" in err


def test_capacity_refusal_in_json(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "-o",
        "json",
        "plan",
        str(OVER / "capped.yaml"),
        str(root / "manifests"),
        "--site",
        "plantest",
        "--offline",
    )
    assert code == 4
    data = json.loads(out)
    assert data["refused"] is True
    refused = [(a["agency"], a["field"]) for a in data["admission"]["agencies"] if a["verdict"] == "refused"]
    assert refused == [("STTTT", "cores"), ("STTTT", "ramGiB")]


def test_override_needs_a_reason_and_is_recorded(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("plan", str(root / "manifests"), str(OVER), "--site", "plantest", "--offline")
    code, _, err = run(capsys, *args, "--allow-overbooking")
    assert code == 2 and "--reason" in err
    code, _, _ = run(capsys, *args, "--reason", "because")
    assert code == 2
    code, out, err = run(capsys, "-o", "json", *args, "--allow-overbooking", "--reason", "mùa tuyển sinh")
    assert code == 0, err
    admission = Plan.from_json(out).admission
    assert admission is not None and admission.override_reason == "mùa tuyển sinh"


def test_invalid_manifest_is_exit_3_with_its_location(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = root / "manifests" / "so-y-te.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("class: small", "class: giant"), encoding="utf-8")
    code, out, err = run(capsys, "plan", "--site", "plantest", "--offline")
    assert code == 3
    assert out == ""
    assert "so-y-te.yaml:10:" in err and "giant" in err
    assert "Traceback" not in err


def test_the_ledger_keeps_previous_allocations(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = root / "state" / "plantest"
    state.mkdir(parents=True)
    (state / "ipam.json").write_text(
        json.dumps(
            {"version": 1, "allocations": {"so-y-te/app": "10.65.0.0/24", "gone/app": "10.64.0.0/24"}}
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "-o", "json", "plan", "--site", "plantest", "--offline")
    assert code == 0
    ipam = Plan.from_json(out).ipam.to_dict()
    assert ipam["so-y-te/app"] == "10.65.0.0/24"  # stays where it was
    assert ipam["gone/app"] == "10.64.0.0/24"  # another tenant's space is never reused
    assert ipam["cong-du-lieu-mo/web"] == "10.64.1.0/25"


def test_a_damaged_ledger_is_refused_not_guessed(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = root / "state" / "plantest"
    state.mkdir(parents=True)
    (state / "ipam.json").write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, "plan", "--site", "plantest", "--offline")
    assert code == 2
    assert "ipam.json" in err and "IPAM ledger" in err


def test_unknown_site(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", "--site", "nowhere", "--offline")
    assert code == 2
    assert "nowhere" in err


def test_a_quota_class_broken_in_the_site_is_located_in_cloud_yml(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    site = root / "inventory" / "plantest" / "cloud.yml"
    site.write_text(site.read_text(encoding="utf-8").replace("      backupGiB: 0\n", ""), encoding="utf-8")
    code, out, err = run(capsys, "plan", "--site", "plantest", "--offline")
    assert code == 3
    assert out == ""
    # every class inherits the gap from `default`: each is named, at its own line
    assert err.startswith("Error: inventory/plantest/cloud.yml:30:7: spec.quotaClasses.default: ")
    assert "\nError: inventory/plantest/cloud.yml:48:12: spec.quotaClasses.small: " in err
    assert "backupGiB" in err


def test_agency_text_is_printed_verbatim_never_as_markup(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = root / "manifests" / "so-y-te.yaml"
    text = manifest.read_text(encoding="utf-8").replace("Sở Y tế Hải Phòng", "Sở Y tế [bold]Hải Phòng[/bold]")
    manifest.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "plan", "--site", "plantest", "--offline")
    assert code == 0
    assert "displayName Sở Y tế [bold]Hải Phòng[/bold]" in out


def test_rules_are_shown_in_words_and_world_open_ones_are_counted(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "plan", "--site", "plantest", "--offline")
    assert code == 0
    assert "ingress tcp 443 from 0.0.0.0/0 (open to the Internet)" in out
    assert "ingress tcp 5432 from group web" in out
    assert "rules are open to the whole Internet" in out or "rule is open to the whole Internet" in out
    code, out, _ = run(capsys, "--lang", "vi", "plan", "--site", "plantest", "--offline")
    assert "chiều vào tcp 5432 từ nhóm web" in out and "mở ra toàn bộ Internet" in out
