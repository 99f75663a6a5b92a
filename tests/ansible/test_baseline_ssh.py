"""The baseline role, run for real through berth's ansible-runner wrapper against two SSH hosts in
network namespaces (strict host-key checking, the ssh connection plugin), twice: the second run changes
nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from berth_cli.ansible.args import PlaybookRun
from berth_cli.ansible.progress import PlaybookProgress
from berth_cli.ansible.runner import RunResult, run_playbook
from tests.support.netns_sshd import SshLab, missing_requirements

pytestmark = [pytest.mark.ssh, pytest.mark.ansible, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

# net.* parameters are per network namespace: each SSH host really gets its own values.
SYSCTL = {"net.core.somaxconn": 2048, "net.ipv4.ip_local_port_range": "20000 60999"}


@pytest.fixture(scope="module")
def lab() -> Any:
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    with SshLab(["node1", "node2"]) as lab:
        yield lab


def inventory(lab: SshLab, tmp: Path) -> Path:
    common = f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={lab.known_hosts} -o IdentitiesOnly=yes"
    data = {
        "all": {
            "hosts": lab.inventory_hosts(
                ansible_connection="ssh",
                ansible_python_interpreter="/usr/bin/python3",
                ansible_ssh_common_args=common,
            ),
            # every site's inventory names its site (inventory/*/group_vars/all); a plain site, no CA
            "vars": {"berth_site": "sshlab"},
        }
    }
    path = tmp / "hosts.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_baseline(inventory_file: Path, artifacts: Path, files: Path) -> RunResult:
    # The namespaces share this machine's filesystem: files go to the test's own directory so the
    # devcloud's /etc/sysctl.d and limits.d stay as its deploy left them.
    run = PlaybookRun(
        playbooks_dir=ROOT / "playbooks",
        playbook="baseline.yml",
        inventory=inventory_file,
        extravars={
            "baseline_packages": ["procps", "ca-certificates", "logrotate"],  # logrotate validates its rule
            "baseline_time_sync": False,
            "baseline_sysctl": SYSCTL,
            # the deploy's own values: the namespaces share this machine's filesystem
            "baseline_directories": [
                {"path": "/opt/berth", "owner": "root", "group": "root", "mode": "0755"},
                {"path": "/var/log/berth", "owner": "berth", "group": "berth", "mode": "0750"},
            ],
            "baseline_sysctl_file": str(files / "sysctl.conf"),
            "baseline_limits_file": str(files / "limits.conf"),
            "baseline_logrotate_file": str(files / "logrotate.conf"),
        },
        timeout_s=600,
    )
    progress = PlaybookProgress(Console(file=io.StringIO()), enabled=False)
    return run_playbook(run, artifacts, progress, progress.tally)


def test_baseline_converges_then_changes_nothing(lab: SshLab, tmp_path: Path) -> None:
    hosts_file = inventory(lab, tmp_path)
    first = run_baseline(hosts_file, tmp_path / "artifacts", tmp_path)
    assert set(first.tally.hosts) == {"node1", "node2"}
    assert all(h.changed > 0 for h in first.tally.hosts.values()), "fresh namespaces need their sysctls set"
    for host in lab.hosts.values():
        assert host.netns_exec("sysctl", "-n", "net.core.somaxconn").strip() == "2048"
        assert host.netns_exec("sysctl", "-n", "net.ipv4.ip_local_port_range").split() == ["20000", "60999"]

    second = run_baseline(hosts_file, tmp_path / "artifacts", tmp_path)
    assert second.tally.changed == 0, second.tally.changed_tasks
    assert second.tally.failed == 0
    assert all(h.ok > 0 for h in second.tally.hosts.values())
    assert (second.artifact_dir / "job_events").is_dir()
