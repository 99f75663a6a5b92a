"""Physical capacity: placement's inventory formula per host, a snapshot of the cloud, flavor fit.

Allocatable capacity per resource class is placement's `int((total - reserved) * allocation_ratio)`,
computed per resource provider (host) and then summed. A CapacitySnapshot comes from the site's
declared hosts (offline) or, later, from placement's inventories and usages (berth_cloud fills the
same dataclasses), so admission and the exporter never care where the numbers came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from berth_core.site import RESOURCE_CLASSES, CapacityPolicy, Flavor, ResourceClass, Site

HOST_CLASSES: tuple[ResourceClass, ...] = ("VCPU", "MEMORY_MB", "DISK_GB")
Source = Literal["site", "placement"]


@dataclass(frozen=True)
class Inventory:
    """One resource class on one provider, shaped like a placement inventory record plus its usage."""

    total: int
    reserved: int = 0
    allocation_ratio: float = 1.0
    used: int = 0

    @property
    def allocatable(self) -> int:
        return max(0, int((self.total - self.reserved) * self.allocation_ratio))

    @property
    def free(self) -> int:
        return max(0, self.allocatable - self.used)


@dataclass(frozen=True)
class ProviderCapacity:
    """A compute host (placement resource provider) and its inventories."""

    name: str
    zone: str
    inventories: Mapping[ResourceClass, Inventory] = field(default_factory=dict)

    def free(self, rc: ResourceClass) -> int:
        inv = self.inventories.get(rc)
        return 0 if inv is None else inv.free


@dataclass(frozen=True)
class CapacitySnapshot:
    """The cloud's capacity at one moment: compute hosts plus the block-storage pool (VOLUME_GB)."""

    source: Source
    hosts: tuple[ProviderCapacity, ...]
    volume: Inventory = Inventory(total=0)

    def _inventories(self, rc: ResourceClass) -> list[Inventory]:
        if rc == "VOLUME_GB":
            return [self.volume]
        return [h.inventories[rc] for h in self.hosts if rc in h.inventories]

    def allocatable(self, rc: ResourceClass) -> int:
        return sum(inv.allocatable for inv in self._inventories(rc))

    def used(self, rc: ResourceClass) -> int:
        return sum(inv.used for inv in self._inventories(rc))

    def total(self, rc: ResourceClass) -> int:
        return sum(inv.total for inv in self._inventories(rc))


def snapshot_from_site(site: Site) -> CapacitySnapshot:
    """Capacity as cloud.yml declares it: hosts with the site's ratios and per-host reservations, no usage."""
    policy = site.spec.capacity

    def inventory(rc: ResourceClass, total: int) -> Inventory:
        return Inventory(
            total=total,
            reserved=int(policy.reserved.get(rc, 0)),
            allocation_ratio=policy.allocation_ratios.get(rc, 1.0),
        )

    hosts = tuple(
        ProviderCapacity(
            name=h.name,
            zone=h.zone,
            inventories={
                "VCPU": inventory("VCPU", h.vcpus),
                "MEMORY_MB": inventory("MEMORY_MB", h.ram_mib),
                "DISK_GB": inventory("DISK_GB", h.disk_gib),
            },
        )
        for h in site.spec.hosts
    )
    return CapacitySnapshot(
        source="site", hosts=hosts, volume=inventory("VOLUME_GB", policy.volume_capacity_gib)
    )


def flavor_needs(flavor: Flavor) -> dict[ResourceClass, int]:
    """What one instance of the flavor consumes per class (a 0 GiB root disk comes from a volume)."""
    return {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.ram_mib, "DISK_GB": flavor.disk_gib}


@dataclass(frozen=True)
class FlavorFit:
    """How many more instances of a flavor fit, per host and in all, from free allocatable capacity."""

    flavor: str
    vcpus: int
    ram_mib: int
    disk_gib: int
    per_host: Mapping[str, int]
    limited_by: Mapping[str, ResourceClass]  # host -> the class that runs out first there

    @property
    def total(self) -> int:
        return sum(self.per_host.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "flavor": self.flavor,
            "vcpus": self.vcpus,
            "ramMiB": self.ram_mib,
            "diskGiB": self.disk_gib,
            "total": self.total,
            "perHost": dict(self.per_host),
            "limitedBy": dict(self.limited_by),
        }


def flavor_fit(snapshot: CapacitySnapshot, flavor: Flavor) -> FlavorFit:
    # an instance never spans hosts, so count per host and sum (not total free / need)
    needs = flavor_needs(flavor)
    per_host: dict[str, int] = {}
    limited_by: dict[str, ResourceClass] = {}
    for host in snapshot.hosts:
        counts = {rc: host.free(rc) // need for rc, need in needs.items() if need > 0}
        rc = min(counts, key=lambda k: (counts[k], HOST_CLASSES.index(k)))
        per_host[host.name] = counts[rc]
        limited_by[host.name] = rc
    return FlavorFit(flavor.name, flavor.vcpus, flavor.ram_mib, flavor.disk_gib, per_host, limited_by)


def flavor_fits(snapshot: CapacitySnapshot, flavors: tuple[Flavor, ...]) -> list[FlavorFit]:
    return [flavor_fit(snapshot, f) for f in flavors]


__all__ = [
    "HOST_CLASSES",
    "RESOURCE_CLASSES",
    "CapacitySnapshot",
    "FlavorFit",
    "Inventory",
    "ProviderCapacity",
    "flavor_fit",
    "flavor_fits",
    "flavor_needs",
    "snapshot_from_site",
]


# Placement's and cinder's records as berth reads them (berth_cloud fetches them, CLI and exporter alike).
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


def pools_report_size(pools: Iterable[Doc]) -> bool:
    """Whether any cinder pool says how big it is (fake and some remote backends do not)."""
    return any(
        _number((pool.get("capabilities") or {}).get("total_capacity_gb")) is not None for pool in pools
    )


def volume_inventory(pools: list[Doc], policy: CapacityPolicy, used_gib: int = 0) -> Inventory:
    """The one rule for block storage, for `berth capacity` and the exporter alike: the sum of cinder's
    pools (reserved_percentage, over-subscription when thin, allocated capacity) where they report a
    size; else cloud.yml's volumeCapacityGiB with the site's reservation and ratio, and `used_gib` (the
    sum of the volumes, which the caller reads only then)."""
    if not pools_report_size(pools):
        return Inventory(
            total=policy.volume_capacity_gib,
            reserved=int(policy.reserved.get("VOLUME_GB", 0)),
            allocation_ratio=policy.allocation_ratios.get("VOLUME_GB", 1.0),
            used=used_gib,
        )
    total = reserved = used = 0.0
    ratio_weighted = 0.0
    for pool in pools:
        caps = pool.get("capabilities") or {}
        size = _number(caps.get("total_capacity_gb"))
        if size is None:
            continue
        total += size
        reserved += size * (_number(caps.get("reserved_percentage")) or 0.0) / 100
        thin = bool(caps.get("thin_provisioning_support"))
        ratio = (_number(caps.get("max_over_subscription_ratio")) or 1.0) if thin else 1.0
        ratio_weighted += size * ratio
        allocated = _number(caps.get("allocated_capacity_gb"))
        if allocated is None:
            allocated = _number(caps.get("provisioned_capacity_gb")) or 0.0
        used += allocated
    return Inventory(
        total=int(total),
        reserved=int(reserved),
        allocation_ratio=ratio_weighted / total if total else 1.0,
        used=int(used),
    )


def compute_zones(services: list[Doc]) -> dict[str, str]:
    return {str(s.get("host")): str(s.get("zone")) for s in services if s.get("binary") == "nova-compute"}
