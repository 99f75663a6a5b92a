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

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.http import call
from berth_core.capacity import HOST_CLASSES, CapacitySnapshot, Inventory, ProviderCapacity
from berth_core.site import ResourceClass, Site

Doc = Mapping[str, Any]


def provider_capacity(
    provider: Doc, inventories: Doc, usages: Doc, zones: Mapping[str, str], default_zone: str
) -> ProviderCapacity:
    """One provider's inventories (placement's records) with their usages, for berth's classes."""
    out: dict[ResourceClass, Inventory] = {}
    for rc in HOST_CLASSES:
        record = inventories.get(rc)
        if record is None:
            continue
        out[rc] = Inventory(
            total=int(record.get("total", 0)),
            reserved=int(record.get("reserved", 0)),
            allocation_ratio=float(record.get("allocation_ratio", 1.0)),
            used=int(usages.get(rc, 0)),
        )
    name = str(provider.get("name"))
    return ProviderCapacity(name=name, zone=zones.get(name, default_zone), inventories=out)


def _number(value: Any) -> float | None:
    """Cinder reports 'infinite'/'unknown' for backends that cannot tell."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def volume_inventory(pools: list[Doc], fallback_gib: int = 0) -> Inventory:
    """Sum of cinder pools: total, reserved (reserved_percentage), over-subscription when thin."""
    total = reserved = used = 0.0
    ratio_weighted = 0.0
    known = False
    for pool in pools:
        caps = pool.get("capabilities") or {}
        size = _number(caps.get("total_capacity_gb"))
        if size is None:
            continue
        known = True
        total += size
        reserved += size * (_number(caps.get("reserved_percentage")) or 0.0) / 100
        thin = bool(caps.get("thin_provisioning_support"))
        ratio = (_number(caps.get("max_over_subscription_ratio")) or 1.0) if thin else 1.0
        ratio_weighted += size * ratio
        allocated = _number(caps.get("allocated_capacity_gb"))
        if allocated is None:
            allocated = _number(caps.get("provisioned_capacity_gb")) or 0.0
        used += allocated
    if not known:
        return Inventory(total=fallback_gib)
    return Inventory(
        total=int(total),
        reserved=int(reserved),
        allocation_ratio=ratio_weighted / total if total else 1.0,
        used=int(used),
    )


def compute_zones(services: list[Doc]) -> dict[str, str]:
    return {str(s.get("host")): str(s.get("zone")) for s in services if s.get("binary") == "nova-compute"}


def live_capacity(cloud: Cloud, site: Site | None = None, *, workers: int = 8) -> CapacitySnapshot:
    """The cloud's capacity now: placement's inventories and usages per host, cinder's pools.

    `site` supplies the default zone and the volume size when the block-storage backend reports none.
    """
    conn = cloud.conn
    default_zone = site.spec.zones[0].name if site is not None and site.spec.zones else "nova"
    providers = (
        call(conn.placement, "GET", "/resource_providers", what="list resource providers") or {}
    ).get("resource_providers") or []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="berth-capacity") as pool:
        services = pool.submit(
            call,
            conn.compute,
            "GET",
            "/os-services",
            params={"binary": "nova-compute"},
            what="list compute services",
        )
        volume_pools = pool.submit(
            call,
            conn.block_storage,
            "GET",
            "/scheduler-stats/get_pools",
            params={"detail": "true"},
            what="cinder pools",
        )
        reads = [
            (
                p,
                pool.submit(
                    call,
                    conn.placement,
                    "GET",
                    f"/resource_providers/{p['uuid']}/inventories",
                    what=f"inventories of {p.get('name')}",
                ),
                pool.submit(
                    call,
                    conn.placement,
                    "GET",
                    f"/resource_providers/{p['uuid']}/usages",
                    what=f"usages of {p.get('name')}",
                ),
            )
            for p in providers
        ]
        zones = compute_zones((services.result() or {}).get("services") or [])
        hosts = []
        for provider, inv, use in reads:
            inventories = (inv.result() or {}).get("inventories") or {}
            if not any(rc in inventories for rc in HOST_CLASSES):
                continue  # sharing providers, nested NUMA/PCI children: not compute hosts
            usages = (use.result() or {}).get("usages") or {}
            hosts.append(provider_capacity(provider, inventories, usages, zones, default_zone))
        fallback = site.spec.capacity.volume_capacity_gib if site is not None else 0
        volume = volume_inventory((volume_pools.result() or {}).get("pools") or [], fallback)
    return CapacitySnapshot(
        source="placement", hosts=tuple(sorted(hosts, key=lambda h: h.name)), volume=volume
    )
