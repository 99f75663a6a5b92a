"""`berth hosts trust` (deliberate known_hosts), `berth hosts facts` (capacity snapshot) and the deploy gate."""

from __future__ import annotations

import json

import pytest
import yaml

from berth_cli.context import OPTIONS, site_context
from berth_core.errors import ExitCode, PreflightFailed
from tests.ssh.conftest import REPO, LabSite, results_by_host
from tests.support.netns_sshd import SshLab, keygen

pytestmark = pytest.mark.ssh


def lab_site(site: LabSite, known_hosts: str = "") -> LabSite:
    site.groups = {
        "controllers": site.lab.inventory_hosts(["good1"]),
        "computes": site.lab.inventory_hosts(["good2"]),
    }
    return site.write(known_hosts=known_hosts)


def test_trust_without_confirmation_records_nothing(test_site: LabSite):
    lab_site(test_site)
    code, out, err = test_site.berth("hosts", "trust", "good1")  # stdin is not a terminal under pytest
    assert code == int(ExitCode.USAGE)
    assert "good1 (" in out and "SHA256:" in out and "new" in out
    assert "--yes" in err
    assert test_site.known_hosts.read_text() == ""


def test_trust_with_yes_records_then_check_passes(test_site: LabSite, ssh_lab: SshLab):
    lab_site(test_site)
    code, out, _ = test_site.berth("hosts", "trust", "--yes", "controllers,computes")
    assert code == 0, out
    assert "recorded 2 key(s)" in out
    text = test_site.known_hosts.read_text()
    assert ssh_lab.hosts["good1"].address in text and "good2" in text
    code, doc = test_site.check_json()
    assert code == 0, doc
    code, out, _ = test_site.berth("hosts", "trust", "--yes", "good1")
    assert code == 0 and "already trusted" in out
    assert test_site.known_hosts.read_text() == text  # unchanged


def test_trust_refuses_a_changed_key_unless_replace(test_site: LabSite, ssh_lab: SshLab, tmp_path):
    old = ssh_lab.hosts["good1"].known_hosts_line(keygen(tmp_path / "old_key"))
    lab_site(test_site, known_hosts=old)
    code, out, err = test_site.berth("hosts", "trust", "--yes", "good1")
    assert code == int(ExitCode.PREFLIGHT_FAILED)
    assert "CHANGED" in out and "--replace" in err
    assert test_site.known_hosts.read_text() == old
    code, out, _ = test_site.berth("hosts", "trust", "--yes", "--replace", "good1")
    assert code == 0, out
    code, doc = test_site.check_json("--limit", "good1")
    assert results_by_host(doc)["good1"]["hostkey"]["status"] == "pass"


def test_facts_writes_a_snapshot_and_reports_mismatches(test_site: LabSite, tmp_path):
    lab_site(test_site, known_hosts=test_site.lab.known_hosts.read_text())
    site_yaml = yaml.safe_load((REPO / "inventory" / "aio" / "cloud.yml").read_text())
    zone = site_yaml["spec"]["zones"][0]["name"]
    site_yaml["spec"]["hosts"] = [
        {"name": "good2", "zone": zone, "vcpus": 999, "ramMiB": 1024, "diskGiB": 1},
        {"name": "ghost", "zone": zone, "vcpus": 8, "ramMiB": 8192, "diskGiB": 100},
    ]
    (test_site.dir / "cloud.yml").write_text(yaml.safe_dump(site_yaml, allow_unicode=True))
    code, out, err = test_site.berth("hosts", "facts", "--output", "json")
    assert code == 0, err
    doc = json.loads(out)
    saved = json.loads((tmp_path / ".berth" / "t" / "facts.json").read_text())
    assert saved["measuredHosts"] == doc["measuredHosts"]
    measured = {h["name"]: h for h in doc["measuredHosts"]}
    assert set(measured) == {"good2"}  # computes only, by default
    assert measured["good2"]["vcpus"] >= 1 and measured["good2"]["ramMiB"] > 256
    assert any(m.startswith("good2: vcpus declared 999") for m in doc["mismatches"])
    assert any(m.startswith("good2: ramMiB declared 1024") for m in doc["mismatches"])
    assert any(m.startswith("ghost: declared in cloud.yml but not measured") for m in doc["mismatches"])


def test_gate_stops_a_deploy_on_failure_and_lets_a_good_site_through(test_site: LabSite, monkeypatch):
    lab_site(test_site)  # empty known_hosts: every host key is unknown
    monkeypatch.setattr(OPTIONS, "site", "t")
    from berth_cli.preflight.gate import preflight_or_fail

    ctx = site_context()
    with pytest.raises(PreflightFailed) as failed:
        preflight_or_fail(ctx, None)
    assert failed.value.exit_code == ExitCode.PREFLIGHT_FAILED
    assert "2 failing" in failed.value.message
    test_site.known_hosts.write_text(test_site.lab.known_hosts.read_text())
    preflight_or_fail(ctx, "good1")  # no exception
