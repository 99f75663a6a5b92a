"""Which change must wait for which: the apply graph (pure).

A create or update waits for the changes of what it depends on (a subnet for its network, a rule for
its groups) and for its tenant's quota (limits in place before anything counts against them). A delete waits for every create/update of its tenant (the plan's order: deletes last) and
for the deletes of what depends on it (an interface goes before its router and subnet). Everything
else runs side by side: one tenant's networks (neutron) while its groups are made, tenants alongside
each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from berth_core.diff import Change

QUOTA_FIRST_EXEMPT = frozenset({"project", "quota"})


def dependency_graph(changes: Sequence[Change]) -> dict[str, set[str]]:
    """key -> the keys it waits for (only keys among `changes`)."""
    by_key = {c.key: c for c in changes}
    building: dict[str, set[str]] = {}
    for c in changes:
        if c.action != "delete":
            building.setdefault(c.tenant, set()).add(c.key)
    waits: dict[str, set[str]] = {c.key: set() for c in changes}
    for c in changes:
        if c.action != "delete":
            waits[c.key] |= {d for d in c.depends_on if d in by_key and by_key[d].action != "delete"}
            quota = f"quota/{c.tenant}"
            if c.kind not in QUOTA_FIRST_EXEMPT and quota in by_key and by_key[quota].action != "delete":
                # neutron counts in-flight creations as used: a quota written alongside them is refused
                waits[c.key].add(quota)
            continue
        waits[c.key] |= building.get(c.tenant, set())
        for d in c.depends_on:  # what this resource needed must outlive it: its delete waits for ours
            other = by_key.get(d)
            if other is not None and other.action == "delete":
                waits[d].add(c.key)
    for key, deps in waits.items():
        deps.discard(key)
    return waits


def dependents_of(waits: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {k: set() for k in waits}
    for key, deps in waits.items():
        for d in deps:
            out[d].add(key)
    return out


def downstream(start: Iterable[str], dependents: dict[str, set[str]]) -> set[str]:
    """Every key that (transitively) waits for one of `start`, `start` excluded."""
    seen: set[str] = set()
    stack = [d for k in start for d in dependents.get(k, ())]
    while stack:
        key = stack.pop()
        if key not in seen:
            seen.add(key)
            stack.extend(dependents.get(key, ()))
    return seen
