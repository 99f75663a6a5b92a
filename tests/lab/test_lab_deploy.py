"""The proof that matters: berth's real roles (baseline, then mariadb, rabbitmq, memcached) deployed over
SSH onto a pristine lab host that never ran berth, twice, with `berth cloud deploy --site labone`; the
second run changes nothing. This is where issue 10's fresh-machine bug showed (rabbitmq's /etc/rabbitmq
changed back on every deploy after the first): with the fix of f57445c reverted, the second run reports
changed=1 and this test fails. A host key the lab did not record makes Ansible refuse the host."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from berth_cli.ansible.args import PlaybookRun
from berth_cli.ansible.progress import PlaybookProgress
from berth_cli.ansible.runner import run_playbook
from berth_cli.lab import host as lab_host
from berth_cli.lab.plan import LabHost
from berth_core.errors import AnsibleFailed
from tests.lab.conftest import REPO, Lab, lab_fixture

pytestmark = [pytest.mark.lab, pytest.mark.ansible, pytest.mark.slow]


@pytest.fixture
def labone(capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
    yield from lab_fixture("labone", capsys)


def deploy(lab: Lab) -> dict[str, object]:
    code, doc = lab.json("cloud", "deploy", "--tags", "baseline,infra", "--timeout", "1800")
    assert code == 0, doc
    return doc


def test_roles_deploy_onto_a_pristine_host_and_converge(labone: Lab, tmp_path: Path) -> None:
    code, up = labone.json("lab", "up")
    assert code == 0 and up["hosts"][0]["action"] == "created"
    solo = lab_host.recorded_init(LabHost("labone", "solo", "", ()))
    assert solo is not None
    assert not solo.path("/etc/rabbitmq").exists() and not solo.path("/opt/berth").exists()

    first = deploy(labone)  # preflight first, then site.yml --tags baseline,infra over SSH
    assert first["failed"] == 0 and int(str(first["changed"])) > 0
    second = deploy(labone)
    assert second["changed"] == 0, second["hosts"]

    # the roles ran inside the lab host, not on this machine: its own MariaDB, RabbitMQ and memcached
    etc, lib = solo.path("/etc/rabbitmq").stat(), solo.path("/var/lib/rabbitmq").stat()
    assert (etc.st_uid, etc.st_gid) == (lib.st_uid, lib.st_gid) and lib.st_uid != 0  # the package's account
    done = labone.ssh(
        "10.251.0.31",
        "service mariadb status >/dev/null && rabbitmqctl -q status >/dev/null "
        "&& pgrep -x memcached >/dev/null && echo running",
    )
    assert done.stdout.strip() == "running", done.stderr

    # strict host keys: with a known_hosts holding another key, Ansible refuses the host
    other = tmp_path / "known_hosts"
    lab_host_key = (REPO / "inventory/labone/known_hosts").read_text().split()
    other.write_text(f"10.251.0.31 {lab_host_key[1]} {_another_key(tmp_path)}\n")
    inventory = yaml.safe_load((REPO / "inventory/labone/hosts.yml").read_text())
    inventory["all"]["vars"]["ansible_ssh_common_args"] = (
        f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={other} -o IdentitiesOnly=yes"
    )
    # its own ControlPath: the deploys' ControlPersist connection (verified already) would be reused
    inventory["all"]["vars"]["ansible_control_path_dir"] = str(tmp_path / "cp")
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    run = PlaybookRun(
        playbooks_dir=REPO / "playbooks",
        playbook="baseline.yml",
        inventory=tmp_path / "hosts.yml",
        timeout_s=300,
    )
    progress = PlaybookProgress(Console(file=io.StringIO()), enabled=False)
    with pytest.raises(AnsibleFailed):
        run_playbook(run, tmp_path / "artifacts", progress, progress.tally)
    assert progress.tally.changed == 0


def _another_key(tmp: Path) -> str:
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "k")], check=True)
    return (tmp / "k.pub").read_text().split()[1]
