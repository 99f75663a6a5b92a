"""`berth hosts drain|enable` on the devcloud's fake compute hosts: a drain the other hosts cannot take is
refused (exit 4) and changes nothing; an admitted one disables the host and moves every guest off (live
for a running server, cold for a stopped one); enable takes the host back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from berth_core.errors import ExitCode
from tests.integration.conftest import Berth, image_and_network

pytestmark = [pytest.mark.openstack, pytest.mark.slow]

HOST_ATTR = "OS-EXT-SRV-ATTR:host"


def service(conn: Any, host: str) -> Any:
    return next(s for s in conn.compute.services(binary="nova-compute") if s.host == host)


def boot_on(conn: Any, host: str, name: str, flavor: Any, image: Any, net: Any, cleanup: list[Any]) -> Any:
    server = conn.compute.create_server(
        name=name,
        flavor_id=flavor.id,
        image_id=image.id,
        networks=[{"uuid": net.id}],
        availability_zone=f"nova:{host}",
    )

    def delete() -> None:
        conn.compute.delete_server(server, ignore_missing=True)
        conn.compute.wait_for_delete(server, wait=120)

    cleanup.append(delete)
    server = conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], wait=180)
    assert conn.compute.get_server(server.id).compute_host == host, f"{name} is not on {host}"
    return server


def test_a_drain_is_admitted_or_refused_by_capacity_and_moves_every_guest(
    berth: Berth, conn: Any, unique: str, cleanup: list[Any]
) -> None:
    small = conn.compute.create_flavor(name=f"{unique}-s", ram=512, vcpus=1, disk=1, is_public=True)
    cleanup.append(lambda: conn.compute.delete_flavor(small, ignore_missing=True))
    # only aio-c2 has 1500 GB of disk (cloud.yml: c1 1000, c2 2000, c3 500): its guest can go nowhere else
    huge = conn.compute.create_flavor(name=f"{unique}-h", ram=512, vcpus=1, disk=1500, is_public=True)
    cleanup.append(lambda: conn.compute.delete_flavor(huge, ignore_missing=True))
    image, net = image_and_network(conn, conn, unique, cleanup, "10.250.99.0/28")
    for host in ("aio-c2", "aio-c3"):
        cleanup.append(lambda host=host: conn.compute.enable_service(service(conn, host)))

    stuck = boot_on(conn, "aio-c2", f"{unique}-stuck", huge, image, net, cleanup)
    code, _, err = berth("hosts", "drain", "aio-c2", "--reason", "IT: refused drain")
    assert code == ExitCode.CAPACITY_REFUSED, err
    assert f"{unique}-stuck (VCPU 1, MEMORY_MB 512, DISK_GB 1500) cannot move" in err, err
    assert service(conn, "aio-c2").status == "enabled", "a refused drain changed nothing"
    assert conn.compute.get_server(stuck.id).compute_host == "aio-c2"

    running = boot_on(conn, "aio-c3", f"{unique}-run", small, image, net, cleanup)
    stopped = boot_on(conn, "aio-c3", f"{unique}-stop", small, image, net, cleanup)
    conn.compute.stop_server(stopped)
    conn.compute.wait_for_server(stopped, status="SHUTOFF", wait=120)
    code, out, err = berth("-o", "json", "hosts", "drain", "aio-c3", "--reason", "IT: maintenance")
    assert code == 0, err
    report = json.loads(out)
    assert sorted(m["server"] for m in report["moved"]) == sorted([running.name, stopped.name]), report
    assert all(m["to"] in {"aio-c1", "aio-c2"} for m in report["moved"]), report
    disabled = service(conn, "aio-c3")
    assert disabled.status == "disabled" and disabled.disabled_reason == "berth drain: IT: maintenance"
    assert conn.compute.get_server(running.id).status == "ACTIVE"
    assert conn.compute.get_server(stopped.id).status == "SHUTOFF"
    for server in (running, stopped):
        assert conn.compute.get_server(server.id).compute_host != "aio-c3"

    # a drained host is in maintenance, not broken: the cloud stays healthy and says why it takes no guests
    code, out, err = berth("-o", "json", "cloud", "status")
    status = json.loads(out)
    assert code == 0 and status["healthy"], (status, err)
    c3 = next(h for h in status["computes"] if h["host"] == "aio-c3")
    assert c3["ok"] and c3["scheduling"] == "disabled: berth drain: IT: maintenance", c3

    code, out, err = berth("hosts", "enable", "aio-c3", "--reason", "IT: maintenance over")
    assert code == 0 and "scheduling enabled" in out, err
    assert service(conn, "aio-c3").status == "enabled"
    code, out, err = berth("-o", "json", "audit", "list")
    actions = [(r["entry"]["action"], r["entry"]["result"]) for r in json.loads(out)]
    assert actions[-3:] == [("hosts drain", "refused"), ("hosts drain", "ok"), ("hosts enable", "ok")], (
        actions
    )
