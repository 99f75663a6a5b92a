"""The shape shared by desired and observed state: typed resources with stable keys.

A key names a resource the same way across runs and engines (`subnet/so-y-te/app`), so the Pulumi
stacks, the direct engine and the diff all agree on identity. Attributes are plain JSON values in an
OpenStack-neutral but complete form; berth_cloud maps them to API calls and fills ObservedState from
bulk list calls with the same keys and attribute names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from berth_core.ownership import parse_key

Json = Any  # None | bool | int | float | str | list[Json] | dict[str, Json]; kept loose for mypy's sake

# Dependency order of kinds, also used to break ties so plans read top-down.
KINDS: tuple[str, ...] = (
    "project",
    "quota",
    "network",
    "subnet",
    "router",
    "router-interface",
    "secgroup",
    "secgroup-rule",
    "role-assignment",
    "flavor-access",
)
KIND_RANK: dict[str, int] = {k: i for i, k in enumerate(KINDS)}


def canonical_json(value: Json) -> str:
    """One byte-exact text per value: sorted keys, no spaces, UTF-8 kept (Vietnamese names stay readable)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(value: Json) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Resource:
    key: str  # "<kind>/<tenant>/..." - stable across runs
    tenant: str
    attrs: Mapping[str, Json]
    depends_on: tuple[str, ...] = ()
    managed: bool = True  # observed only: carries berth's ownership tags (desired resources always do)
    ref: str | None = None  # observed only: the OpenStack id, for engines

    @property
    def kind(self) -> str:
        return parse_key(self.key).kind

    def to_dict(self) -> dict[str, Json]:
        return {
            "key": self.key,
            "tenant": self.tenant,
            "attrs": dict(self.attrs),
            "dependsOn": list(self.depends_on),
            "managed": self.managed,
            "ref": self.ref,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Json]) -> Resource:
        return cls(
            key=str(data["key"]),
            tenant=str(data["tenant"]),
            attrs=dict(data["attrs"]),
            depends_on=tuple(data.get("dependsOn", ())),
            managed=bool(data.get("managed", True)),
            ref=data.get("ref"),
        )


@dataclass(frozen=True)
class State:
    """Resources by key (sorted) and the tenants this state speaks for."""

    resources: Mapping[str, Resource] = field(default_factory=dict)
    tenants: tuple[str, ...] = ()

    @classmethod
    def of(cls, resources: Iterable[Resource], tenants: Iterable[str] = ()) -> Self:
        ordered = sorted(resources, key=lambda r: r.key)
        by_key = {r.key: r for r in ordered}
        if len(by_key) != len(ordered):
            dupes = sorted({r.key for r in ordered if sum(1 for o in ordered if o.key == r.key) > 1})
            raise ValueError(f"duplicate resource keys: {', '.join(dupes)}")
        return cls(by_key, tuple(sorted(set(tenants))))

    def __len__(self) -> int:
        return len(self.resources)

    def to_dict(self) -> dict[str, Json]:
        return {
            "tenants": list(self.tenants),
            "resources": [r.to_dict() for r in self.resources.values()],
        }

    def sha256(self) -> str:
        return sha256_of(self.to_dict())

    def for_tenants(self, tenants: Iterable[str]) -> Self:
        wanted = set(tenants)
        return self.of((r for r in self.resources.values() if r.tenant in wanted), self.tenants)


class DesiredState(State):
    """What the manifests ask for (berth_core.desired builds it)."""


class ObservedState(State):
    """What the cloud holds, read by berth_cloud; empty offline."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Json]) -> ObservedState:
        resources = [Resource.from_dict(r) for r in data.get("resources", [])]
        by_key = {r.key: r for r in sorted(resources, key=lambda r: r.key)}
        return cls(by_key, tuple(sorted(data.get("tenants", []))))
