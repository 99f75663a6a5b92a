"""`berth hosts` on the devcloud site, judged on given facts: the result never depends on this machine.

The measuring step (reach a host, run the probe) is injected (`measure=`), so these tests talk to nothing;
tests/ssh runs the real probe against real sshd hosts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berth_cli.main import main
from berth_cli.preflight.check import run_site
from berth_cli.preflight.facts import load_site, snapshot
from berth_cli.preflight.runner import FACTS_DISK_PATH, Measurement
from berth_core.errors import ExitCode
from berth_core.preflight import CheckResult, DiskFacts, Facts

REPO = Path(__file__).resolve().parents[2]
AIO = REPO / "inventory" / "aio"
LOCAL = CheckResult("local", "pass", "local.ok", "ansible_connection: local, checked without SSH")


def _disk(size_gib: float, free_gib: float) -> DiskFacts:
    return DiskFacts("/", size_gib, free_gib)


# a machine the devcloud fits on: Debian 12, 4 CPUs, 16 GiB, 100 GiB free, its own services on their ports
ENOUGH = Facts(
    os_id="debian",
    os_version="12",
    os_name="Debian GNU/Linux 12 (bookworm)",
    kernel="6.1.0-18-amd64",
    cpus=4,
    ram_mib=16384,
    disks={
        p: _disk(200, 100) for p in ("/", "/var/lib", "/var/lib/nova", "/var/lib/cinder", FACTS_DISK_PATH)
    },
    time_synced=True,
    time_source="timedatectl NTPSynchronized",
    python3="3.11.2",
    listening={5000: "apache2", 3306: "mariadbd"},
    mtus={"lo": 65536, "eth0": 1500},
)
# the same machine with 1 CPU and 2 GiB: below inventory/aio's minCpus 2 and minRamMiB 4096
TOO_SMALL = Facts(**{**ENOUGH.__dict__, "cpus": 1, "ram_mib": 2048})


def given(facts: Facts):
    """A measure step that 'finds' `facts` on every host, as the local probe would report them."""

    def measure(inv, host, site, timeout, cancel) -> Measurement:
        return Measurement([LOCAL], facts)

    return measure


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch, tmp_path):
    monkeypatch.setenv("BERTH_ROOT", str(REPO))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def machine(monkeypatch):
    """Through the entry point: replace the real measuring step with given facts."""

    def use(facts: Facts) -> None:
        monkeypatch.setattr("berth_cli.preflight.runner.measure_host", given(facts))

    return use


def _checks(facts: Facts) -> dict[str, CheckResult]:
    _, (report,) = run_site("aio", AIO, REPO, None, measure=given(facts))
    assert report.host.name == "aio"
    return {r.check: r for r in report.results}


def test_aio_passes_on_a_machine_that_meets_its_requirements():
    checks = _checks(ENOUGH)
    assert {name: r.status for name, r in checks.items() if r.status == "fail"} == {}
    assert checks["local"].status == "pass"  # ansible_connection: local, no SSH
    assert {"tcp", "hostkey", "auth"}.isdisjoint(checks)
    assert {"os", "cpu", "ram", "disk:/", "disk:/var/lib/nova", "python3", "ports", "resolve"} <= set(checks)


def test_aio_fails_on_a_machine_below_its_cpus_and_ram():
    checks = _checks(TOO_SMALL)
    assert checks["cpu"].status == "fail" and checks["ram"].status == "fail"
    assert checks["os"].status == "pass"  # only what is short fails


def test_an_unmeasured_host_is_only_its_connection_checks():
    unreachable = CheckResult("tcp", "fail", "tcp.refused", "connection refused")
    _, (report,) = run_site("aio", AIO, REPO, None, measure=lambda *_: Measurement([unreachable]))
    assert report.results == [unreachable] and report.facts is None and report.status == "fail"


def test_check_exit_code_and_json_follow_the_facts(capsys, machine):
    machine(ENOUGH)
    assert main(["hosts", "check", "--site", "aio", "--output", "json"]) == 0
    (aio,) = json.loads(capsys.readouterr().out)["hosts"]
    assert {r["check"] for r in aio["results"] if r["status"] == "fail"} == set()
    machine(TOO_SMALL)
    assert main(["hosts", "check", "--site", "aio", "--output", "json"]) == int(ExitCode.PREFLIGHT_FAILED)
    (aio,) = json.loads(capsys.readouterr().out)["hosts"]
    assert {r["check"] for r in aio["results"] if r["status"] == "fail"} == {"cpu", "ram"}


def test_check_text_output(capsys, machine):
    machine(ENOUGH)
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


def test_facts_compare_the_measured_machine_with_the_fake_computes():
    site = load_site(AIO / "cloud.yml")
    _, reports = run_site("aio", AIO, REPO, "computes", measure=given(ENOUGH))
    doc = snapshot(site, reports)
    assert doc["measuredHosts"] == [
        {"name": "aio", "zone": None, "vcpus": 4, "ramMiB": 16384, "diskGiB": 200}
    ]
    assert doc["unmeasured"] == []
    # the devcloud's compute hosts are nova-compute processes with the fake driver: declared, not measured
    assert any(m.startswith("aio-c1: declared in cloud.yml but not measured") for m in doc["mismatches"])
    assert "aio: measured but not declared in cloud.yml spec.hosts" in doc["mismatches"]


def test_facts_command_writes_the_snapshot_it_prints(capsys, tmp_path, machine):
    machine(ENOUGH)
    assert main(["hosts", "facts", "--site", "aio", "--output", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert json.loads((tmp_path / "state" / "aio" / "facts.json").read_text()) == doc
    assert [(h["name"], h["vcpus"], h["ramMiB"]) for h in doc["measuredHosts"]] == [("aio", 4, 16384)]


def test_facts_text_output_names_the_snapshot(capsys, tmp_path, machine):
    """The table and where the snapshot went (the last line once called print on a function)."""
    machine(ENOUGH)
    assert main(["hosts", "facts", "--site", "aio"]) == 0
    out = capsys.readouterr().out
    assert "snapshot written to" in out and str(tmp_path / "state" / "aio" / "facts.json") in out


def test_hosts_help_does_not_import_paramiko():
    import subprocess
    import sys

    code = "import sys; from berth_cli.main import main; main(['hosts', '--help']); print('paramiko' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO)
    assert done.stdout.strip().endswith("False"), done.stdout + done.stderr
