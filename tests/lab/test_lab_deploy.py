"""The proof that matters: the whole of berth's deploy (baseline, MariaDB, RabbitMQ, memcached, the
OpenStack virtualenv, keystone, placement, glance, neutron, nova, a fake nova-compute, cinder with its fake
backend) over SSH onto a pristine lab host that never ran berth, twice, with `berth cloud deploy --site
labone`; the second run changes nothing. Then the cloud answers this machine through the host's address,
with the clouds.yaml berth wrote for the site: a token, the catalogue, the compute services up, a network
made and deleted. Every service listens on the host's management address, none on 0.0.0.0.

What this caught: issue 10's fresh-machine bug (rabbitmq's /etc/rabbitmq changed back on every deploy
after the first; with the fix of f57445c reverted the second run reports changed=1), the services'
database accounts made for loopback only (keystone's migration refused: Host '10.251.0.x' is not
allowed), services started in root's home over SSH (keystone's uwsgi: PermissionError on '.'), and a
host that cannot reach PyPI (its virtualenv installs from the lab proxy's mirror). A host key the lab did
not record makes Ansible refuse the host.

BERTH_LAB_DEPLOY_SITE names another one-host lab site to run it on (default labone).

Not in CI's run (marker beyond_ci): it takes about 12 minutes, and site lab's HA test
(test_lab_ha.py) deploys every role over SSH onto five pristine hosts, twice, in the same lab
layer, which fills CI's budget. `BERTH_FULL_LAB=1 bash scripts/test.sh` runs it too."""

from __future__ import annotations

import io
import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

pytestmark = [pytest.mark.lab, pytest.mark.ansible, pytest.mark.slow, pytest.mark.beyond_ci]

SITE = os.environ.get("BERTH_LAB_DEPLOY_SITE", "labone")


@pytest.fixture
def site(capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
    yield from lab_fixture(SITE, capsys)


def deploy(lab: Lab) -> dict[str, Any]:
    started = time.monotonic()
    code, doc = lab.json("cloud", "deploy", "--timeout", "3600")
    assert code == 0, doc
    doc["wall_s"] = round(time.monotonic() - started, 1)
    return doc


def _group_all(lab: Lab) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted((lab.site_dir / "group_vars" / "all").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def _pip_seconds(artifacts: str) -> float:
    """How long 'Install OpenStack into the virtualenv' took, from ansible-runner's events."""
    import datetime
    import json

    for event in Path(artifacts, "job_events").glob("*.json"):
        data = json.loads(event.read_text()).get("event_data", {})
        if data.get("task") == "Install OpenStack into the virtualenv" and data.get("end"):
            end = datetime.datetime.fromisoformat(data["end"])
            return round((end - datetime.datetime.fromisoformat(data["start"])).total_seconds(), 1)
    return 0.0


def test_the_whole_deploy_onto_a_pristine_host_converges_and_answers(site: Lab, tmp_path: Path) -> None:
    plan = yaml.safe_load((site.site_dir / "lab.yml").read_text())
    name, address = plan["hosts"][0]["name"], plan["hosts"][0]["address"]
    settings = _group_all(site)
    assert settings["berth_internal_address"] == address  # the APIs are reached at the host's address

    code, up = site.json("lab", "up")
    assert code == 0 and up["hosts"][0]["action"] == "created"
    host = lab_host.recorded_init(LabHost(SITE, name, "", ()))
    assert host is not None
    assert not host.path("/etc/rabbitmq").exists() and not host.path("/opt/berth").exists()

    # the host's only package index: the PyPI mirror of the lab's proxy (the proxy berth lab up started)
    index = str(settings["openstack_venv_pip_index_url"])
    try:
        with urllib.request.urlopen(f"{index}pip/", timeout=60) as page:
            assert b"/pypi/files/" in page.read()
    except OSError as exc:
        pytest.fail(
            f"{index} does not mirror PyPI ({exc}): a lab proxy older than this checkout? lab down every site"
        )

    first = deploy(site)  # preflight first, then site.yml over SSH
    assert first["failed"] == 0 and int(first["changed"]) > 0
    second = deploy(site)
    assert second["changed"] == 0, second["hosts"]
    print(
        f"\n{SITE}: first deploy {first['wall_s']} s (changed={first['changed']}, venv's pip "
        f"{_pip_seconds(first['artifacts'])} s), second {second['wall_s']} s (changed=0)"
    )

    # the roles ran inside the lab host, not on this machine: its own MariaDB, RabbitMQ and memcached
    etc, lib = host.path("/etc/rabbitmq").stat(), host.path("/var/lib/rabbitmq").stat()
    assert (etc.st_uid, etc.st_gid) == (lib.st_uid, lib.st_gid) and lib.st_uid != 0  # the package's account
    assert host.path("/opt/berth/venv/pip.conf").read_text().count(index) == 1
    done = site.ssh(
        address,
        "service mariadb status >/dev/null && rabbitmqctl -q status >/dev/null "
        "&& pgrep -x memcached >/dev/null && echo running",
    )
    assert done.stdout.strip() == "running", done.stderr
    # every service listens on the management address (HAProxy takes the VIP on the same ports on an HA
    # site); the lab's own sshd and epmd's loopback socket are the only others
    listening = site.ssh(address, "ss -Hltnp").stdout.splitlines()
    for line in listening:
        local, process = line.split()[3], line.split()[-1]
        assert (
            local.rsplit(":", 1)[0] == address
            or '"sshd"' in process
            or ('"epmd"' in process and local.rsplit(":", 1)[0] in ("127.0.0.1", "[::1]"))
        ), line
    ports = {int(line.split()[3].rsplit(":", 1)[1]) for line in listening}
    assert {5000, 8778, 9292, 9696, 8774, 8776, 3306, 5672, 11211} <= ports

    # from this machine, through the host's address, with the clouds.yaml berth wrote for the site
    code, status = site.json("cloud", "status")
    assert code == 0 and status["healthy"] is True, status
    assert all(address in str(e["url"]) for e in status["endpoints"]), status["endpoints"]
    _api_checks(REPO / ".berth" / SITE / "clouds.yaml", address)

    _refused_with_another_host_key(site, address, tmp_path)


def _api_checks(clouds_yaml: Path, address: str) -> None:
    from berth_cloud import connect

    conn = connect(f"{SITE}-admin", clouds_yaml).conn
    assert conn.session.get_token()
    identity: Any = conn.identity  # v3 (the clouds.yaml says so)
    kinds = {service.id: service.type for service in identity.services()}
    catalogue: dict[str, list[str]] = {}
    for endpoint in identity.endpoints():
        catalogue.setdefault(kinds[endpoint.service_id], []).append(str(endpoint.url))
    for kind in ("identity", "placement", "image", "network", "compute", "volumev3", "block-storage"):
        assert catalogue.get(kind), sorted(catalogue)
        assert all(f"//{address}:" in url for url in catalogue[kind]), catalogue[kind]

    services = {(s.binary, s.host): s for s in conn.compute.services()}
    for binary in ("nova-conductor", "nova-scheduler", "nova-compute"):
        found = [s for (b, _), s in services.items() if b == binary]
        assert found and all(s.state == "up" and s.status == "enabled" for s in found), (binary, services)
    volumes = {s.binary: s for s in conn.block_storage.services()}
    assert volumes["cinder-scheduler"].state == "up" and volumes["cinder-volume"].state == "up", volumes

    network = conn.network.create_network(name=f"berth-lab-{uuid.uuid4().hex[:8]}")
    try:
        subnet = conn.network.create_subnet(
            network_id=network.id, ip_version=4, cidr="10.99.0.0/24", name=network.name
        )
        port = conn.network.create_port(network_id=network.id)  # neutron's IPAM, for real
        assert [ip["subnet_id"] for ip in port.fixed_ips] == [subnet.id]
    finally:
        for leftover in conn.network.ports(network_id=network.id):
            conn.network.delete_port(leftover)
        conn.network.delete_network(network)
    assert conn.network.find_network(network.id) is None


def _refused_with_another_host_key(site: Lab, address: str, tmp_path: Path) -> None:
    """Strict host keys: with a known_hosts holding another key, Ansible refuses the host."""
    other = tmp_path / "known_hosts"
    lab_host_key = (site.site_dir / "known_hosts").read_text().split()
    other.write_text(f"{address} {lab_host_key[1]} {_another_key(tmp_path)}\n")
    inventory = yaml.safe_load((site.site_dir / "hosts.yml").read_text())
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
