"""Capacity admission for a compute host leaving: can the remaining hosts take what runs on it?

Every guest on the host (placement's allocations on its provider: VCPU, MEMORY_MB, DISK_GB) must fit on
one of the hosts that stay and take new guests (enabled and up), in their free capacity by placement's own
formula. Guests are placed largest first, each on the host with the most free memory that fits it whole
(a guest cannot be split). A fit found this way is a real one; when none is found berth refuses, naming
the guest and what it needs, because the scheduler would then leave it stranded on a host being emptied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from berth_core.capacity import HOST_CLASSES, ProviderCapacity
from berth_core.site import ResourceClass


@dataclass(frozen=True)
class Guest:
    """One consumer of the leaving host: an instance (or a migration holding resources there)."""

    consumer: str
    name: str
    needs: Mapping[ResourceClass, int]


@dataclass(frozen=True)
class DrainVerdict:
    host: str
    guests: int
    placements: tuple[tuple[str, str], ...]  # (guest name, the host that can take it)
    refusal: str = ""  # why not: empty when every guest fits

    @property
    def fits(self) -> bool:
        return not self.refusal


def _needs_text(needs: Mapping[ResourceClass, int]) -> str:
    return ", ".join(f"{rc} {needs[rc]}" for rc in HOST_CLASSES if needs.get(rc))


def _size(guest: Guest) -> tuple[int, ...]:
    return tuple(guest.needs.get(rc, 0) for rc in ("MEMORY_MB", "VCPU", "DISK_GB"))


def admit_drain(host: str, guests: Sequence[Guest], remaining: Sequence[ProviderCapacity]) -> DrainVerdict:
    """Whether `guests` (all on `host`) fit on the `remaining` hosts that take new guests."""
    rooms = {h.name: {rc: h.free(rc) for rc in HOST_CLASSES} for h in remaining if h.name != host}
    placed: list[tuple[str, str]] = []
    for guest in sorted(guests, key=lambda g: (_size(g), g.name), reverse=True):
        fitting = [
            name
            for name, free in rooms.items()
            if all(free[rc] >= guest.needs.get(rc, 0) for rc in HOST_CLASSES)
        ]
        if not fitting:
            where = (
                "no other host takes new guests" if not rooms else "no remaining host has room for it whole"
            )
            return DrainVerdict(
                host,
                len(guests),
                tuple(placed),
                refusal=f"{guest.name} ({_needs_text(guest.needs)}) cannot move: {where}",
            )
        target = max(fitting, key=lambda name: (rooms[name]["MEMORY_MB"], name))
        for rc in HOST_CLASSES:
            rooms[target][rc] -= guest.needs.get(rc, 0)
        placed.append((guest.name, target))
    return DrainVerdict(host, len(guests), tuple(placed))


def guests_from_allocations(allocations: Mapping[str, object], names: Mapping[str, str]) -> list[Guest]:
    """Placement's `GET /resource_providers/{uuid}/allocations` body (consumer -> {resources: ...}) as
    guests; `names` maps a consumer to its server's name (a migration's consumer keeps its uuid)."""
    guests = []
    for consumer, record in sorted(allocations.items()):
        resources = record.get("resources", {}) if isinstance(record, Mapping) else {}
        needs: dict[ResourceClass, int] = {
            rc: int(resources[rc]) for rc in HOST_CLASSES if isinstance(resources.get(rc), int)
        }
        if needs:
            guests.append(Guest(consumer, names.get(consumer, consumer), needs))
    return guests
