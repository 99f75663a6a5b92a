"""Capacity families: per host, per zone, cloud totals with committed quota and headroom, flavor fit.

The arithmetic is berth_core's: placement's allocatable formula (Inventory), admission's limit and
headroom (admit), flavor fit per host (flavor_fit). This module only shapes samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from berth_core.admission import Commitment, admit
from berth_core.capacity import (
    HOST_CLASSES,
    CapacitySnapshot,
    Inventory,
    flavor_fit,
    provider_capacity,
    volume_inventory,
)
from berth_core.site import Flavor, ResourceClass, Site
from berth_exporters.families import CLASS_RESOURCE, Families, unit_suffix
from berth_exporters.observations import (
    BlockStorageObservation,
    ComputeObservation,
    FlavorRecord,
    PlacementObservation,
)

UNKNOWN_ZONE = "unknown"
QUANTITIES = (
    ("capacity", "Total inventory (placement total)"),
    ("reserved", "Reserved inventory, not available to instances"),
    ("allocatable", "Allocatable inventory: (total - reserved) * allocation_ratio, placement's formula"),
    ("used", "Inventory used by allocations"),
)


def _resource_labels(rc: str) -> tuple[list[str], list[str]]:
    """VCPU metrics carry no resource label (their unit says it); byte metrics name memory/disk/volume."""
    return ([], []) if rc == "VCPU" else (["resource"], [CLASS_RESOURCE[rc][0]])


def snapshot_from_observations(
    placement: PlacementObservation,
    compute: ComputeObservation | None,
    storage: BlockStorageObservation | None,
    site: Site,
) -> CapacitySnapshot:
    """berth_core's CapacitySnapshot from placement (hosts) and cinder (the volume pool), shaped by
    berth_cloud.capacity's own helpers so `berth capacity` and the exporter agree."""
    zones = compute["host_zones"] if compute else {}
    hosts = [
        provider_capacity({"name": p["name"]}, p["inventories"], p["usages"], zones, UNKNOWN_ZONE)
        for p in sorted(placement["providers"], key=lambda p: p["name"])
        if any(rc in p["inventories"] for rc in HOST_CLASSES)  # not sharing/nested providers
    ]
    return CapacitySnapshot("placement", tuple(hosts), _volume_inventory(storage, site))


def _volume_inventory(storage: BlockStorageObservation | None, site: Site) -> Inventory:
    """berth_core's one block-storage rule, with the usage the all-tenant volume list already summed."""
    pools: list[Mapping[str, Any]] = list(storage["pools"]) if storage else []
    used = sum(u.get("volume_gib", 0) for u in storage["usage"].values()) if storage else 0
    return volume_inventory(pools, site.spec.capacity, used)


def host_families(out: Families, snapshot: CapacitySnapshot) -> None:
    for host in snapshot.hosts:
        for rc, inv in host.inventories.items():
            names, values = _resource_labels(rc)
            labels, label_values = ["host", "zone", *names], [host.name, host.zone, *values]
            scale = CLASS_RESOURCE[rc][1]
            amounts = (inv.total, inv.reserved, inv.allocatable, inv.used)
            for (quantity, text), amount in zip(QUANTITIES, amounts, strict=True):
                out.gauge(
                    f"berth_host_{quantity}{unit_suffix(rc)}",
                    f"{text}, per compute host (resource provider).",
                    labels,
                    label_values,
                    amount * scale,
                )
            out.gauge(
                "berth_host_allocation_ratio",
                "Placement allocation ratio (overcommit) per host and resource.",
                ["host", "zone", "resource"],
                [host.name, host.zone, CLASS_RESOURCE[rc][0]],
                inv.allocation_ratio,
            )


def zone_families(out: Families, snapshot: CapacitySnapshot) -> None:
    sums: dict[tuple[str, ResourceClass], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for host in snapshot.hosts:
        for rc, inv in host.inventories.items():
            row = sums[(host.zone, rc)]
            for i, amount in enumerate((inv.total, inv.reserved, inv.allocatable, inv.used)):
                row[i] += amount
    for (zone, rc), row in sorted(sums.items()):
        names, values = _resource_labels(rc)
        for (quantity, text), amount in zip(QUANTITIES, row, strict=True):
            out.gauge(
                f"berth_zone_{quantity}{unit_suffix(rc)}",
                f"{text}, summed over the zone's hosts.",
                ["zone", *names],
                [zone, *values],
                amount * CLASS_RESOURCE[rc][1],
            )


def cloud_families(
    out: Families,
    snapshot: CapacitySnapshot,
    site: Site,
    commitments: Sequence[Commitment],
    *,
    observed: frozenset[ResourceClass],
    quotas_known: frozenset[ResourceClass],
) -> None:
    """Cloud totals, and for quota-governed classes the committed quota, its limit and the headroom.

    `observed`: classes whose capacity is known (VOLUME_GB needs cinder); `quotas_known`: classes whose
    tenants' quotas were read, so a missing collector never shows as zero committed quota.
    """
    report = admit(snapshot, site.spec.capacity, commitments, commitments)
    for line in report.classes:
        rc = line.resource_class
        if rc not in observed:
            continue
        names, values = _resource_labels(rc)
        scale = CLASS_RESOURCE[rc][1]
        suffix = unit_suffix(rc)
        amounts = (snapshot.total(rc), _reserved(snapshot, rc), line.allocatable, line.usage)
        for (quantity, text), amount in zip(QUANTITIES, amounts, strict=True):
            out.gauge(
                f"berth_cloud_{quantity}{suffix}", f"{text}, cloud total.", names, values, amount * scale
            )
        out.gauge(
            "berth_cloud_overbooking_ratio",
            "How far committed quota may exceed allocatable capacity (cloud.yml capacity.overbooking).",
            ["resource"],
            [CLASS_RESOURCE[rc][0]],
            line.overbooking,
        )
        if line.limit is None or line.after is None or rc not in quotas_known:
            continue  # DISK_GB: no quota governs root disks
        committed = (
            (
                "committed",
                "Committed quota: the sum of berth tenants' quotas (unlimited ones excluded)",
                line.after.amount,
            ),
            ("commit_limit", "Quota that may be committed: allocatable * overbooking", line.limit),
            (
                "headroom",
                "Quota that can still be promised: commit limit - committed (negative: over-committed)",
                line.limit - line.after.amount,
            ),
        )
        for quantity, text, amount in committed:
            out.gauge(f"berth_cloud_{quantity}{suffix}", f"{text}.", names, values, amount * scale)
        out.gauge(
            "berth_cloud_unlimited_quota_tenants",
            "Tenants whose quota for the resource is unlimited (-1), not counted in committed quota.",
            ["resource"],
            [CLASS_RESOURCE[rc][0]],
            len(line.after.unbounded),
        )


def service_families(
    out: Families, compute: ComputeObservation, placement: PlacementObservation | None
) -> None:
    """nova-compute services, and whether placement still has a provider for each (alert: host gone)."""
    providers = {p["name"] for p in placement["providers"]} if placement else set()
    short = {name.split(".", 1)[0] for name in providers}
    for svc in sorted(compute["services"], key=lambda s: s["host"]):
        labels, values = ["host", "zone"], [svc["host"], svc["zone"]]
        out.gauge(
            "berth_compute_service_up",
            "nova-compute service state: 1 up, 0 down.",
            labels,
            values,
            int(svc["up"]),
        )
        out.gauge(
            "berth_compute_service_enabled",
            "nova-compute service enabled (1) or disabled (0).",
            labels,
            values,
            int(svc["enabled"]),
        )
        if placement is not None:
            present = svc["host"] in providers or svc["host"] in short
            out.gauge(
                "berth_compute_host_in_placement",
                "1 when placement has a resource provider for the nova-compute host, else 0.",
                labels,
                values,
                int(present),
            )


def _reserved(snapshot: CapacitySnapshot, rc: ResourceClass) -> int:
    if rc == "VOLUME_GB":
        return snapshot.volume.reserved
    return sum(h.inventories[rc].reserved for h in snapshot.hosts if rc in h.inventories)


def flavor_models(records: Sequence[FlavorRecord]) -> list[Flavor]:
    """berth_core Flavors from nova's list; a flavor berth cannot model (odd name, 0 RAM) is left out."""
    out: list[Flavor] = []
    for r in records:
        try:
            out.append(
                Flavor.model_validate(
                    {
                        "name": r["name"],
                        "vcpus": r["vcpus"],
                        "ramMiB": r["ram_mib"],
                        "diskGiB": r["disk_gib"],
                        "public": r["public"],
                    }
                )
            )
        except ValidationError:
            continue
    return out


def flavor_families(out: Families, snapshot: CapacitySnapshot, flavors: Sequence[Flavor]) -> None:
    zones = {h.name: h.zone for h in snapshot.hosts}
    out.declare(
        "berth_flavor_fit_instances",
        "How many more instances of the flavor fit on the host, from its free allocatable capacity.",
        ["flavor", "host", "zone"],
    )
    for flavor in sorted(flavors, key=lambda f: f.name):
        fit = flavor_fit(snapshot, flavor)
        for host, count in sorted(fit.per_host.items()):
            out.gauge(
                "berth_flavor_fit_instances",
                "How many more instances of the flavor fit on the host, from its free allocatable capacity.",
                ["flavor", "host", "zone"],
                [flavor.name, host, zones[host]],
                count,
            )


__all__ = [
    "cloud_families",
    "flavor_families",
    "flavor_models",
    "host_families",
    "service_families",
    "snapshot_from_observations",
    "zone_families",
]
