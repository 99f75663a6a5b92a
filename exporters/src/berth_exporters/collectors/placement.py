"""Placement: resource providers in one call, then inventories and usages per provider (per host,
never per project), with bounded concurrency."""

from __future__ import annotations

from collections.abc import Mapping

from berth_cloud.capacity import read_providers
from berth_exporters.connection import Reader
from berth_exporters.observations import Observation, PlacementObservation, Provider


def observe(
    cloud: Reader, previous: Mapping[str, Observation | None], concurrency: int = 8
) -> PlacementObservation:
    # the reads `berth capacity` makes (berth_cloud.capacity); a provider that fails fails the collector:
    # a host silently missing would understate capacity, worse than the previous, marked-stale snapshot
    records = [
        Provider(
            uuid=str(provider["uuid"]),
            name=str(provider["name"]),
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
        for provider, inventories, usages in read_providers(cloud.get, concurrency)
    ]
    return PlacementObservation(providers=sorted(records, key=lambda p: p["name"]))
