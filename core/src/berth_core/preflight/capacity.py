"""`berth hosts facts`: a site's declared compute capacity (cloud.yml spec.hosts) vs. what hosts measured."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from berth_core.site import Host


@dataclass(frozen=True)
class Measured:
    vcpus: int
    ram_mib: int
    disk_gib: int


TOLERANCE = 0.05  # MemTotal hides kernel-reserved memory; filesystems hide metadata


def _differs(declared: float, measured: float) -> bool:
    return abs(declared - measured) > TOLERANCE * max(declared, 1)


def compare_capacity(declared: Sequence[Host], measured: Mapping[str, Measured]) -> dict[str, Any]:
    """The capacity snapshot: per compute host declared vs. measured, and every mismatch in words."""
    by_name = {h.name: h for h in declared}
    hosts: list[dict[str, Any]] = []
    mismatches: list[str] = []
    for name in sorted(set(by_name) | set(measured)):
        d, m = by_name.get(name), measured.get(name)
        row: dict[str, Any] = {
            "name": name,
            "zone": d.zone if d else None,
            "declared": {"vcpus": d.vcpus, "ramMiB": d.ram_mib, "diskGiB": d.disk_gib} if d else None,
            "measured": {"vcpus": m.vcpus, "ramMiB": m.ram_mib, "diskGiB": m.disk_gib} if m else None,
        }
        if d is None:
            mismatches.append(f"{name}: measured but not declared in cloud.yml spec.hosts")
        elif m is None:
            mismatches.append(
                f"{name}: declared in cloud.yml but not measured (not a reachable compute host)"
            )
        else:
            if d.vcpus != m.vcpus:
                mismatches.append(f"{name}: vcpus declared {d.vcpus}, measured {m.vcpus}")
            if _differs(d.ram_mib, m.ram_mib):
                mismatches.append(f"{name}: ramMiB declared {d.ram_mib}, measured {m.ram_mib}")
            if d.disk_gib and _differs(d.disk_gib, m.disk_gib):
                mismatches.append(f"{name}: diskGiB declared {d.disk_gib}, measured {m.disk_gib}")
        hosts.append(row)
    return {"hosts": hosts, "mismatches": mismatches}
