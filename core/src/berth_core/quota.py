"""Quota resolution: a tenant's class + overrides -> an explicit value for every quota field.

Quota classes live in the site (`spec.quotaClasses`) and may name a `parent` that fills what they leave
unset. A field still unset at the root of the chain is an error in the site, never a silent provider
default (the OpenStack quota resources of Terraform/Pulumi zero-fill unspecified fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from berth_core.errors import Location, ManifestInvalid, Problem
from berth_core.manifest import QuotaRequest
from berth_core.quota_fields import (
    QUOTA_FIELD_BY_NAME,
    QUOTA_FIELD_NAMES,
    UNLIMITED,
    Service,
    out_of_bounds,
)
from berth_core.site import QuotaClass, Site

Locate = Callable[[str], Location]


def _field_only(field: str) -> Location:
    return Location(field=field)


@dataclass(frozen=True)
class ResolvedQuota:
    """Every quota field of berth_core.quota_fields, in berth's names and units; -1 = unlimited."""

    values: Mapping[str, int]

    def __getitem__(self, name: str) -> int:
        return self.values[name]

    def as_dict(self) -> dict[str, int]:
        return {name: self.values[name] for name in QUOTA_FIELD_NAMES}

    def native(self) -> dict[Service, dict[str, int]]:
        return to_native(self.values)


def to_native(values: Mapping[str, int]) -> dict[Service, dict[str, int]]:
    """Per service, OpenStack's field names and units (ramGiB -> nova's `ram` in MiB); -1 stays -1."""
    out: dict[Service, dict[str, int]] = {"compute": {}, "network": {}, "volume": {}}
    for name in QUOTA_FIELD_NAMES:
        spec = QUOTA_FIELD_BY_NAME[name]
        value = values[name]
        out[spec.service][spec.native] = value if value == UNLIMITED else value * spec.scale
    return out


def from_native(native: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """The inverse of to_native, for quotas read back from OpenStack (missing fields are left out)."""
    out: dict[str, int] = {}
    for name in QUOTA_FIELD_NAMES:
        spec = QUOTA_FIELD_BY_NAME[name]
        value = native.get(spec.service, {}).get(spec.native)
        if value is not None:
            out[name] = value if value == UNLIMITED else value // spec.scale
    return out


def class_chain(classes: Mapping[str, QuotaClass], name: str) -> tuple[list[str], str | None]:
    """The chain name -> parent -> ...; the second item names the problem ('cycle'/'unknown') or None."""
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            chain.append(current)
            return chain, "cycle"
        if current not in classes:
            chain.append(current)
            return chain, "unknown"
        chain.append(current)
        current = classes[current].parent
    return chain, None


def _class_values(classes: Mapping[str, QuotaClass], chain: list[str]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for name in reversed(chain):  # root first, so children override parents
        merged.update(classes[name].as_dict())
    return merged


def check_quota_classes(site: Site, locate: Locate = _field_only) -> list[Problem]:
    """Every problem of the site's quota classes: parent cycles, unknown parents, fields unset everywhere."""
    classes = site.spec.quota_classes
    problems: list[Problem] = []
    for name in sorted(classes):
        chain, issue = class_chain(classes, name)
        if issue == "cycle":
            problems.append(
                Problem(
                    locate(f"spec.quotaClasses.{name}.parent"),
                    "quota.class_cycle",
                    {"name": name, "chain": " -> ".join(chain)},
                )
            )
            continue
        if issue == "unknown":
            problem = Problem(
                locate(f"spec.quotaClasses.{chain[-2]}.parent"),
                "site.quota_class_unknown",
                {"name": chain[-1], "site": site.name, "known": ", ".join(sorted(classes))},
            )
            if problem not in problems:  # every class below the broken link leads to the same place
                problems.append(problem)
            continue
        merged = _class_values(classes, chain)
        missing = [f for f in QUOTA_FIELD_NAMES if f not in merged]
        if missing:
            problems.append(
                Problem(
                    locate(f"spec.quotaClasses.{name}"),
                    "quota.field_unset",
                    {"name": name, "chain": " -> ".join(chain), "fields": ", ".join(missing)},
                )
            )
    return problems


def resolve_quota(
    request: QuotaRequest,
    site: Site,
    *,
    locate: Locate = _field_only,
    locate_site: Locate = _field_only,
) -> ResolvedQuota:
    """Class values (through the parent chain) with the tenant's overrides on top.

    Raises ManifestInvalid: an unknown class is located in the manifest (`locate`), a broken class in
    the site (`locate_site`).
    """
    classes = site.spec.quota_classes
    chain, issue = class_chain(classes, request.class_name)
    if issue == "unknown" and len(chain) == 1:
        raise ManifestInvalid(
            [
                Problem(
                    locate("spec.quota.class"),
                    "site.quota_class_unknown",
                    {"name": request.class_name, "site": site.name, "known": ", ".join(sorted(classes))},
                )
            ]
        )
    # a broken chain (cycle, unknown parent, field unset at the root) is the site's fault: say where
    problems = [p for p in check_quota_classes(site, locate_site) if p.params.get("name") in chain]
    if issue is not None or problems:
        raise ManifestInvalid(problems)
    merged = _class_values(classes, chain)
    merged.update(request.overrides.as_dict())
    values = {name: merged[name] for name in QUOTA_FIELD_NAMES}
    # the models bound each value already; this holds for a request or class built any other way too
    over = out_of_bounds(values)
    if over:
        raise ManifestInvalid(
            [
                Problem(
                    locate("spec.quota"),
                    "quota.above_service_max",
                    {"field": name, "got": values[name], "limit": limit},
                )
                for name, limit in over
            ]
        )
    return ResolvedQuota(values)
