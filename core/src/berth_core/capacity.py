"""Physical capacity: placement's inventory formula per host, a snapshot of the cloud, flavor fit.

Allocatable capacity per resource class is placement's `int((total - reserved) * allocation_ratio)`,
computed per resource provider (host) and then summed. A CapacitySnapshot comes from the site's
declared hosts (offline) or, later, from placement's inventories and usages (berth_cloud fills the
same dataclasses), so admission and the exporter never care where the numbers came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from berth_core.site import RESOURCE_CLASSES, Flavor, ResourceClass, Site

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
