"""The real devcloud, deployed by `berth cloud deploy --site aio`: every service works for real."""

from __future__ import annotations

import contextlib
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import boot_server, wait_for

pytestmark = pytest.mark.openstack


def test_keystone_issues_tokens(conn: Any) -> None:
    token = conn.authorize()
    assert isinstance(token, str) and len(token) > 20
    assert conn.identity.find_project("service", domain_id="default") is not None


def test_placement_has_one_provider_per_fake_host_with_declared_inventory(
    conn: Any, site_hosts: list[dict[str, Any]]
) -> None:
    providers = {rp.name: rp for rp in conn.placement.resource_providers()}
    for host in site_hosts:
        assert host["name"] in providers, f"{host['name']} missing in placement"
        inventory = {
            inv.resource_class: inv
            for inv in conn.placement.resource_provider_inventories(providers[host["name"]])
        }
        assert inventory["VCPU"].total == host["vcpus"]
        assert inventory["MEMORY_MB"].total == host["ramMiB"]
        assert inventory["DISK_GB"].total == host["diskGiB"]


def test_nova_lists_every_fake_host_as_up(conn: Any, site_hosts: list[dict[str, Any]]) -> None:
    services = {s.host: s for s in conn.compute.services(binary="nova-compute")}
    for host in site_hosts:
        assert services[host["name"]].state == "up"
        assert services[host["name"]].status == "enabled"
    hypervisors = {h.name for h in conn.compute.hypervisors()}
    assert {h["name"] for h in site_hosts} <= hypervisors


def test_neutron_network_subnet_router_security_group(conn: Any, unique: str, cleanup: list[Any]) -> None:
    net = conn.network.create_network(name=unique)
    cleanup.append(lambda: conn.network.delete_network(net, ignore_missing=True))
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.199.7.0/24", name=unique)
    cleanup.append(lambda: conn.network.delete_subnet(subnet, ignore_missing=True))
    router = conn.network.create_router(name=unique)

    def delete_router() -> None:
        with contextlib.suppress(Exception):
            conn.network.remove_interface_from_router(router, subnet=subnet.id)
        conn.network.delete_router(router, ignore_missing=True)

    cleanup.append(delete_router)
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    group = conn.network.create_security_group(name=unique)
    cleanup.append(lambda: conn.network.delete_security_group(group, ignore_missing=True))
    rule = conn.network.create_security_group_rule(
        security_group_id=group.id,
        direction="ingress",
        protocol="tcp",
        port_range_min=443,
        port_range_max=443,
        remote_ip_prefix="0.0.0.0/0",
    )
    assert conn.network.get_subnet(subnet.id).cidr == "10.199.7.0/24"
    ports = list(conn.network.ports(device_id=router.id))
    assert len(ports) == 1
    assert rule.id in {r["id"] for r in conn.network.get_security_group(group.id).security_group_rules}
    # deletion is part of the contract: do it here and check it, cleanup then finds nothing left
    conn.network.remove_interface_from_router(router, subnet=subnet.id)
    conn.network.delete_security_group(group)
    conn.network.delete_router(router)
    conn.network.delete_subnet(subnet)
    conn.network.delete_network(net)
    assert conn.network.find_network(unique) is None
    assert conn.network.find_router(unique) is None
    assert conn.network.find_security_group(unique) is None
    cleanup.clear()


def test_cinder_creates_a_volume(conn: Any, unique: str, cleanup: list[Any]) -> None:
    volume = conn.block_storage.create_volume(name=unique, size=1)
    cleanup.append(lambda: conn.block_storage.delete_volume(volume, ignore_missing=True))
    volume = conn.block_storage.wait_for_status(volume, status="available", failures=["error"], wait=120)
    assert volume.size == 1


def test_glance_stores_an_image(conn: Any, unique: str, cleanup: list[Any]) -> None:
    data = b"berth devcloud image " * 200
    image = conn.image.create_image(
        name=unique, data=data, disk_format="raw", container_format="bare", allow_duplicates=True
    )
    cleanup.append(lambda: conn.image.delete_image(image, ignore_missing=True))
    image = wait_for("image active", lambda: (i := conn.image.get_image(image.id)).status == "active" and i)
    assert image.size == len(data)
    assert b"".join(conn.image.download_image(image, stream=True).iter_content(4096)) == data


def _usage(conn: Any, provider_name: str) -> dict[str, int]:
    rp = next(r for r in conn.placement.resource_providers(name=provider_name))
    response = conn.placement.get(f"/resource_providers/{rp.id}/usages")
    return dict(response.json()["usages"])


def test_server_boots_on_the_fake_driver_and_placement_usage_moves(
    conn: Any, unique: str, cleanup: list[Any]
) -> None:
    server = boot_server(conn, conn, unique, cleanup, "10.199.8.0/24")
    delete_server = cleanup[-1]  # boot_server hands the server's deletion over last
    host = server.compute_host or server.hypervisor_hostname
    assert host, "server has no host"
    usage = wait_for("placement usage", lambda: (u := _usage(conn, host)).get("VCPU", 0) >= 2 and u)
    assert usage["VCPU"] >= 2
    assert usage["MEMORY_MB"] >= 1024
    ports = list(conn.network.ports(device_id=server.id))
    assert ports and ports[0].status == "ACTIVE"
    allocations = conn.placement.get(f"/allocations/{server.id}").json()["allocations"]
    assert sum(a["resources"].get("VCPU", 0) for a in allocations.values()) == 2
    delete_server()
    cleanup.remove(delete_server)
    wait_for(
        "allocation released",
        lambda: not conn.placement.get(f"/allocations/{server.id}").json()["allocations"],
    )


def _process_tree(pid: int) -> list[int]:
    """The process and every descendant (uwsgi workers, oslo service children), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def test_openstack_runs_as_the_service_account_not_root() -> None:
    """Every process the deploy started (and every child) runs as `berth`; its configuration is not world-readable."""
    account = pwd.getpwnam("berth")
    pid_files = sorted(Path("/opt/berth/run").glob("*.pid"))
    assert len(pid_files) >= 10, [p.name for p in pid_files]
    for pid_file in pid_files:
        for pid in _process_tree(int(pid_file.read_text().strip())):
            status = Path(f"/proc/{pid}/status").read_text()
            uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
            assert set(uids) == {str(account.pw_uid)}, f"{pid_file.name}: pid {pid} runs as uid {uids}"
    for conf in Path("/etc/berth").rglob("*"):
        assert conf.stat().st_mode & 0o007 == 0, f"{conf} is readable by every user"


def test_the_deployed_logrotate_rule_rotates_a_log_the_service_account_holds_open(tmp_path: Path) -> None:
    """The deploy's own rule, pointed at a scratch directory: copy, truncate, keep the writer's descriptor."""
    rule = Path("/etc/logrotate.d/berth").read_text()
    # logrotate works on the logs as the service account, which cannot traverse pytest's 0700 tmp_path
    scratch = Path(tempfile.mkdtemp(prefix="berth-logrotate-", dir="/tmp"))
    scratch.chmod(0o755)
    logs = scratch / "logs"
    logs.mkdir()
    shutil.chown(logs, "berth", "berth")
    logs.chmod(0o750)
    conf = tmp_path / "rule.conf"
    conf.write_text(rule.replace("/var/log/berth/", f"{logs}/"))
    log = logs / "svc.log"
    with log.open("a") as writer:  # a service keeps its log open across rotations
        writer.write("before\n")
        writer.flush()
        shutil.chown(log, "berth", "berth")
        done = subprocess.run(
            ["logrotate", "--force", "--state", str(tmp_path / "state"), str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        writer.write("after\n")
        writer.flush()
    try:
        assert (
            logs / "svc.log.1"
        ).read_text() == "before\n"  # delaycompress: the newest rotation stays plain
        assert log.read_text().strip("\0\n") == "after", (
            "truncated in place, the open descriptor still writes"
        )
    finally:
        shutil.rmtree(scratch)
