"""A compute host's life in nova and placement: what runs on it, scheduling on or off, moving guests off.

Reads go through berth_cloud.capacity (providers, inventories, usages: the one reader the CLI and the
exporter share) and berth_cloud.http.call. A guest is moved the way nova moves it without downtime: an
ACTIVE server by live migration (nova picks the destination; the drain's admission has made sure one
exists), a stopped one by cold migration, confirmed once it has landed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from berth_cloud.capacity import cloud_get, read_providers
from berth_cloud.connection import Cloud
from berth_cloud.http import call
from berth_core.capacity import HOST_CLASSES, ProviderCapacity, provider_capacity
from berth_core.drain import Guest, guests_from_allocations
from berth_core.errors import OpenStackError

# 2.53: services by uuid, disabled_reason on update; 2.59: migrations filtered by instance.
SERVICES_MICROVERSION = "2.53"
MIGRATIONS_MICROVERSION = "2.59"
HOST_ATTR = "OS-EXT-SRV-ATTR:host"


@dataclass(frozen=True)
class ComputeHost:
    name: str
    service_id: str
    enabled: bool
    up: bool
    disabled_reason: str


@dataclass(frozen=True)
class HostLoad:
    """One host leaving: its nova-compute service, its guests, and the hosts that can take them."""

    host: ComputeHost
    guests: tuple[Guest, ...]
    servers: tuple[dict[str, Any], ...]  # the servers nova places on it
    remaining: tuple[ProviderCapacity, ...]  # hosts enabled and up, with their free capacity


def compute_hosts(cloud: Cloud) -> dict[str, ComputeHost]:
    body = call(
        cloud.conn.compute,
        "GET",
        "/os-services",
        params={"binary": "nova-compute"},
        what="list compute services",
        microversion=SERVICES_MICROVERSION,
    )
    return {
        str(s["host"]): ComputeHost(
            str(s["host"]),
            str(s["id"]),
            s["status"] == "enabled",
            s["state"] == "up",
            s.get("disabled_reason") or "",
        )
        for s in (body or {}).get("services", [])
    }


def servers_on(cloud: Cloud, host: str) -> list[dict[str, Any]]:
    """Every server nova places on `host`, of every project."""
    body = call(
        cloud.conn.compute,
        "GET",
        "/servers/detail",
        params={"all_tenants": 1, "host": host},
        what=f"list servers on {host}",
    )
    return list((body or {}).get("servers", []))


def host_load(cloud: Cloud, name: str) -> HostLoad:
    """What runs on `name` (placement's allocations, named by their servers) and where it could go."""
    hosts = compute_hosts(cloud)
    if name not in hosts:
        raise OpenStackError(
            f"host {name}: nova has no compute service of that name",
            hint=f"known compute hosts: {', '.join(sorted(hosts)) or 'none'}",
        )
    get = cloud_get(cloud)
    providers = read_providers(get)
    capacities, leaving_uuid = [], None
    for provider, inventories, usages in providers:
        if not any(rc in inventories for rc in HOST_CLASSES):
            continue
        if provider.get("name") == name:
            leaving_uuid = provider["uuid"]
        taking = hosts.get(str(provider.get("name")))
        if taking is not None and taking.enabled and taking.up and taking.name != name:
            capacities.append(
                provider_capacity(provider, inventories, usages, {}, "")
            )  # zones: not a drain's concern
    servers = servers_on(cloud, name)
    guests: list[Guest] = []
    if leaving_uuid is not None:
        allocations = (get("placement", f"/resource_providers/{leaving_uuid}/allocations") or {}).get(
            "allocations"
        ) or {}
        guests = guests_from_allocations(allocations, {s["id"]: s["name"] for s in servers})
    return HostLoad(
        hosts[name], tuple(guests), tuple(servers), tuple(sorted(capacities, key=lambda c: c.name))
    )


def set_scheduling(cloud: Cloud, host: ComputeHost, *, enabled: bool, reason: str = "") -> None:
    """Let nova schedule new guests onto the host, or not (with the reason operators see)."""
    body: dict[str, Any] = {"status": "enabled" if enabled else "disabled"}
    if not enabled and reason:
        body["disabled_reason"] = reason[:255]
    call(
        cloud.conn.compute,
        "PUT",
        f"/os-services/{host.service_id}",
        json=body,
        what=f"host {host.name}: {'enable' if enabled else 'disable'} scheduling",
        microversion=SERVICES_MICROVERSION,
    )


def _server(cloud: Cloud, server_id: str, what: str) -> dict[str, Any]:
    body = call(cloud.conn.compute, "GET", f"/servers/{server_id}", what=what)
    return dict((body or {}).get("server", {}))


def _failed_migration(cloud: Cloud, server_id: str, since: str) -> str:
    """The status of the server's newest migration since `since` when it failed, else ''."""
    body = call(
        cloud.conn.compute,
        "GET",
        "/os-migrations",
        params={"instance_uuid": server_id, "changes-since": since},
        what=f"server {server_id}: read its migrations",
        microversion=MIGRATIONS_MICROVERSION,
    )
    newest = sorted((body or {}).get("migrations", []), key=lambda m: str(m.get("created_at")))
    status = str(newest[-1].get("status")) if newest else ""
    return status if status in {"error", "failed", "cancelled"} else ""


def move_off(cloud: Cloud, server: dict[str, Any], host: str, *, timeout: float = 300.0) -> str:
    """Move one server off `host` (live when ACTIVE, cold when SHUTOFF); the host it landed on.

    OpenStackError (exit 5) naming the server when nova cannot move it or it does not land in time."""
    server_id, name, status = (
        str(server["id"]),
        str(server.get("name", server["id"])),
        str(server.get("status")),
    )
    what = f"server {name} ({server_id})"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    if status == "ACTIVE":
        action: dict[str, Any] = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
    elif status == "SHUTOFF":
        action = {"migrate": None}
    else:
        raise OpenStackError(
            f"{what}: cannot be moved while {status}", hint="stop or start it, then drain again"
        )
    call(
        cloud.conn.compute,
        "POST",
        f"/servers/{server_id}/action",
        json=action,
        what=f"{what}: move",
        microversion="2.68",
        idempotent=False,
    )
    deadline, confirmed = time.monotonic() + timeout, False
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _server(cloud, server_id, what)
        state, landed = str(now.get("status")), str(now.get(HOST_ATTR, ""))
        if state == "VERIFY_RESIZE" and not confirmed:  # confirmed once: the status lags behind
            confirmed = True
            call(
                cloud.conn.compute,
                "POST",
                f"/servers/{server_id}/action",
                json={"confirmResize": None},
                what=f"{what}: confirm",
            )
            continue
        if state in {"VERIFY_RESIZE", "RESIZE"}:
            continue
        if state == "ERROR":
            raise OpenStackError(f"{what}: went to ERROR while moving off {host}")
        if landed and landed != host and state == status and not now.get("OS-EXT-STS:task_state"):
            return landed
        failed = "" if now.get("OS-EXT-STS:task_state") else _failed_migration(cloud, server_id, since)
        if failed:
            raise OpenStackError(
                f"{what}: nova's migration off {host} ended {failed}", hint="see nova-conductor's log"
            )
    raise OpenStackError(
        f"{what}: still on {host} after {timeout:.0f} s", hint="drain again to go on waiting"
    )
