"""Diff desired against observed state: one Change per resource, in an order engines can execute.

Only attributes berth states are compared (observed resources carry ids and provider defaults too).
A resource is deleted only when it is berth's (managed) and belongs to a tenant whose manifest is
present: a missing manifest never means "destroy that tenant", and nothing unowned is ever touched.
Creates and updates come first in dependency order, then deletes in reverse dependency order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from berth_core.convergence import replaces
from berth_core.ownership import parse_key
from berth_core.state import KIND_RANK, Json, ObservedState, Resource, State

Action = Literal["create", "update", "delete", "no-op"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "no-op")


@dataclass(frozen=True)
class Change:
    action: Action
    key: str
    tenant: str
    before: Mapping[str, Json] | None  # observed attributes (None for create)
    after: Mapping[str, Json] | None  # desired attributes (None for delete)
    changed: tuple[str, ...] = ()  # attribute names that differ (update only)
    replace: bool = False  # an update that must delete and re-create
    depends_on: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return parse_key(self.key).kind

    def to_dict(self) -> dict[str, Json]:
        return {
            "action": self.action,
            "key": self.key,
            "tenant": self.tenant,
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "changed": list(self.changed),
            "replace": self.replace,
            "dependsOn": list(self.depends_on),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Json]) -> Change:
        action = data["action"]
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return cls(
            action=action,
            key=str(data["key"]),
            tenant=str(data["tenant"]),
            before=data.get("before"),
            after=data.get("after"),
            changed=tuple(data.get("changed", ())),
            replace=bool(data.get("replace", False)),
            depends_on=tuple(data.get("dependsOn", ())),
        )


def _compare(want: Resource, have: Resource) -> Change:
    changed = tuple(sorted(k for k, v in want.attrs.items() if have.attrs.get(k) != v))
    if not changed:
        return Change("no-op", want.key, want.tenant, have.attrs, want.attrs, (), False, want.depends_on)
    replace = replaces(want.kind, changed)  # berth_core.convergence: what OpenStack cannot update in place
    return Change("update", want.key, want.tenant, have.attrs, want.attrs, changed, replace, want.depends_on)


def _topological(resources: Mapping[str, Resource], keys: Iterable[str]) -> list[str]:
    """Dependencies first; ties broken by kind rank then key, so the order is stable and readable."""
    chosen = set(keys)
    pending: dict[str, int] = {}
    dependents: dict[str, list[str]] = {k: [] for k in chosen}
    for k in chosen:
        deps = [d for d in resources[k].depends_on if d in chosen and d != k]
        pending[k] = len(deps)
        for d in deps:
            dependents[d].append(k)

    def rank(k: str) -> tuple[int, str]:
        return (KIND_RANK.get(resources[k].kind, len(KIND_RANK)), k)

    ready = [rank(k) for k, n in pending.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, k = heapq.heappop(ready)
        order.append(k)
        for child in dependents[k]:
            pending[child] -= 1
            if pending[child] == 0:
                heapq.heappush(ready, rank(child))
    if len(order) != len(chosen):  # a cycle cannot come from desired.py; keep the rest, sorted
        order.extend(sorted(chosen - set(order), key=rank))
    return order


def diff(desired: State, observed: ObservedState) -> list[Change]:
    present = set(desired.tenants)
    changes: list[Change] = []
    for key in _topological(desired.resources, desired.resources):
        want = desired.resources[key]
        have = observed.resources.get(key)
        if have is None:
            changes.append(Change("create", key, want.tenant, None, want.attrs, (), False, want.depends_on))
        else:
            changes.append(_compare(want, have))
    doomed = [
        k
        for k, r in observed.resources.items()
        if k not in desired.resources and r.managed and r.tenant in present
    ]
    for key in reversed(_topological(observed.resources, doomed)):
        have = observed.resources[key]
        changes.append(Change("delete", key, have.tenant, have.attrs, None, (), False, have.depends_on))
    return changes
