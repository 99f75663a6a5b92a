"""`berth hosts` on the devcloud site: local hosts are checked without SSH, on this very machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berth_cli.main import main
from berth_core.errors import ExitCode

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch, tmp_path):
    monkeypatch.setenv("BERTH_ROOT", str(REPO))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))


def test_check_aio_passes_on_this_machine(capsys):
    code = main(["hosts", "check", "--site", "aio", "--output", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, [r for h in doc["hosts"] for r in h["results"] if r["status"] == "fail"]
    (aio,) = doc["hosts"]
    checks = {r["check"]: r for r in aio["results"]}
    assert checks["local"]["status"] == "pass"  # ansible_connection: local, no SSH
    assert {"tcp", "hostkey", "auth"}.isdisjoint(checks)
    assert {"os", "cpu", "ram", "disk:/", "disk:/var/lib/nova", "python3", "ports", "resolve"} <= set(checks)


def test_check_text_output(capsys):
    assert main(["--site", "aio", "hosts", "check"]) == 0
    out = capsys.readouterr().out
    assert "Preflight: site aio" in out and "0 failing" in out


def test_unknown_limit_is_a_usage_error(capsys):
    assert main(["hosts", "check", "--site", "aio", "--limit", "nope"]) == int(ExitCode.USAGE)
    err = capsys.readouterr().err
    assert "matches no host or group" in err and "Traceback" not in err


def test_site_without_inventory_is_a_usage_error(capsys, tmp_path, monkeypatch):
    (tmp_path / "inventory" / "empty").mkdir(parents=True)
    monkeypatch.setenv("BERTH_ROOT", str(tmp_path))
    assert main(["hosts", "check", "--site", "empty"]) == int(ExitCode.USAGE)
    assert "hosts.yml does not exist" in capsys.readouterr().err


def test_local_hosts_have_no_key_to_trust(capsys):
    assert main(["hosts", "trust", "--site", "aio", "--yes", "aio"]) == int(ExitCode.USAGE)
    assert "ansible_connection local" in capsys.readouterr().err


def test_facts_on_aio_compares_the_machine_with_the_fake_computes(capsys, tmp_path):
    code = main(["hosts", "facts", "--site", "aio", "--output", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert json.loads((tmp_path / "state" / "aio" / "facts.json").read_text()) == doc
    assert [h["name"] for h in doc["measuredHosts"]] == ["aio"]
    # the devcloud's compute hosts are nova-compute processes with the fake driver: declared, not measured
    assert any(m.startswith("aio-c1: declared in cloud.yml but not measured") for m in doc["mismatches"])
    assert "aio: measured but not declared in cloud.yml spec.hosts" in doc["mismatches"]


def test_hosts_help_does_not_import_paramiko():
    import subprocess
    import sys

    code = "import sys; from berth_cli.main import main; main(['hosts', '--help']); print('paramiko' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO)
    assert done.stdout.strip().endswith("False"), done.stdout + done.stderr
