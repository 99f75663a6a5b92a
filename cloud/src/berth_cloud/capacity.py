"""Live capacity from placement (compute hosts) and cinder's scheduler stats (block storage).

Since compute microversion 2.88 nova no longer reports hypervisor sizes: placement is the source.
Placement has no bulk inventory read: `GET /resource_providers` lists the providers (one call), then
each provider costs `GET /resource_providers/{uuid}/inventories` and `.../usages` (two calls per host,
on a bounded pool). `GET /allocation_candidates` would summarise capacity in one call, but only for
providers that can still fit the requested amount and with the formula already applied (no total,
reserved, ratio), so it cannot answer "what is the cloud's capacity". Zones come from nova's compute
services list (one call). Volume capacity: `GET /scheduler-stats/get_pools?detail=true` (one call).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from berth_cloud.connection import Cloud
from berth_cloud.http import call
from berth_core.capacity import (
    HOST_CLASSES,
    CapacitySnapshot,
    Doc,
    compute_zones,
    pools_report_size,
    provider_capacity,
    volume_inventory,
)
from berth_core.site import Site


# How a reader asks a service for JSON: berth_cloud.http.call for the CLI, the exporter's Reader (its own
# endpoint overrides and re-login) for the exporter; both go through the functions below.
class Get(Protocol):
    def __call__(self, service: str, path: str, *, params: Any = None) -> Any: ...


def cloud_get(cloud: Cloud) -> Get:
    def get(service: str, path: str, *, params: Any = None) -> Any:
        return call(getattr(cloud.conn, service), "GET", path, params=params, what=f"GET {service} {path}")

    return get


def read_providers(get: Get, workers: int = 8) -> list[tuple[Doc, Doc, Doc]]:
    """(provider, inventories, usages) of every resource provider: one list call, then two per host on a
    bounded pool. A provider that cannot be read fails the whole read: a host silently missing would
    understate the cloud's capacity."""
    providers = (get("placement", "/resource_providers") or {}).get("resource_providers") or []

    def read(provider: Doc) -> tuple[Doc, Doc, Doc]:
        base = f"/resource_providers/{provider['uuid']}"
        inventories = (get("placement", f"{base}/inventories") or {}).get("inventories") or {}
        usages = (get("placement", f"{base}/usages") or {}).get("usages") or {}
        return provider, inventories, usages

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="berth-capacity") as pool:
        return list(pool.map(read, providers))


def read_volume_pools(get: Get) -> list[Doc]:
    pools: list[Doc] = (
        get("block_storage", "/scheduler-stats/get_pools", params={"detail": "true"}) or {}
    ).get("pools") or []
    return pools


def read_volume_usage_gib(get: Get) -> int:
    """The size of every volume of the cloud, summed (what a backend that reports no size has in use)."""
    total, path = 0, "/volumes/detail"
    params: dict[str, int] | None = {"all_tenants": 1}
    while path:
        body = get("block_storage", path, params=params) or {}
        total += sum(int(v.get("size", 0)) for v in body.get("volumes", []))
        path = next((ln["href"] for ln in body.get("volumes_links", []) if ln.get("rel") == "next"), "")
        params = None  # the next link carries the query
    return total


def live_capacity(cloud: Cloud, site: Site, *, workers: int = 8) -> CapacitySnapshot:
    """The cloud's capacity now: placement's inventories and usages per host, cinder's pools (or, for a
    backend that reports no size, cloud.yml's volume capacity and the volumes' sum)."""
    get = cloud_get(cloud)
    default_zone = site.spec.zones[0].name if site.spec.zones else "nova"
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="berth-capacity-lists") as pool:
        services = pool.submit(get, "compute", "/os-services", params={"binary": "nova-compute"})
        volume_pools = pool.submit(read_volume_pools, get)
        providers = read_providers(get, workers)
        zones = compute_zones((services.result() or {}).get("services") or [])
        pools = volume_pools.result()
    hosts = [
        provider_capacity(provider, inventories, usages, zones, default_zone)
        for provider, inventories, usages in providers
        if any(rc in inventories for rc in HOST_CLASSES)  # sharing providers, nested children: not hosts
    ]
    used = 0 if pools_report_size(pools) else read_volume_usage_gib(get)
    volume = volume_inventory(pools, site.spec.capacity, used)
    return CapacitySnapshot(
        source="placement", hosts=tuple(sorted(hosts, key=lambda h: h.name)), volume=volume
    )
