"""Placement: resource providers in one call, then inventories and usages per provider (per host,
never per project), with bounded concurrency."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from berth_exporters.connection import Reader
from berth_exporters.observations import Observation, PlacementObservation, Provider

MICROVERSION = "1.14"


def observe(
    cloud: Reader, previous: Mapping[str, Observation | None], concurrency: int = 8
) -> PlacementObservation:
    providers = cloud.get("placement", "/resource_providers", microversion=MICROVERSION)["resource_providers"]

    def read(rp: dict[str, str]) -> Provider:
        base = f"/resource_providers/{rp['uuid']}"
        inventories = cloud.get("placement", f"{base}/inventories", microversion=MICROVERSION)["inventories"]
        usages = cloud.get("placement", f"{base}/usages", microversion=MICROVERSION)["usages"]
        return Provider(
            uuid=rp["uuid"],
            name=rp["name"],
            inventories={
                rc: {
                    "total": v["total"],
                    "reserved": v.get("reserved", 0),
                    "allocation_ratio": v.get("allocation_ratio", 1.0),
                }
                for rc, v in inventories.items()
            },
            usages={rc: int(n) for rc, n in usages.items()},
        )

    # a provider that fails here fails the whole collector: a host silently missing would
    # understate capacity, which is worse than serving the previous, marked-stale snapshot
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="berth-placement") as pool:
        records = list(pool.map(read, providers))
    return PlacementObservation(providers=sorted(records, key=lambda p: p["name"]))
