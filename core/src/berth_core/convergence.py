"""How each kind of resource converges, as data: what OpenStack updates in place, what it can only
replace (delete and re-create), and what berth must never replace because the replacement would destroy
far more than the resource itself (a project takes every server and volume in it with it; the external
network every router gateway and floating IP of the site).

The diff reads it to mark replacements; the planner refuses a forbidden replacement before anything is
written, located at the field of cloud.yml (or the manifest) that asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_core.diff import Change


@dataclass(frozen=True)
class Convergence:
    replaced_by: frozenset[str] = frozenset()  # attributes OpenStack cannot change in place
    always_replaced: bool = False  # immutable objects: any change is a new one
    never_replaced: bool = False  # refuse at plan time: a replacement would destroy more than itself


_IN_PLACE = Convergence()
_IMMUTABLE = Convergence(always_replaced=True)

RULES: Mapping[str, Convergence] = {
    "project": Convergence(frozenset({"domain", "name"}), never_replaced=True),
    "quota": _IN_PLACE,
    "network": Convergence(frozenset({"project"})),
    "subnet": Convergence(frozenset({"network", "project", "ipVersion", "cidr", "subnetPool"})),
    "router": Convergence(frozenset({"project"})),
    "router-interface": _IMMUTABLE,
    "secgroup": Convergence(frozenset({"project"})),
    "secgroup-rule": _IMMUTABLE,
    "role-assignment": _IMMUTABLE,
    "flavor-access": _IMMUTABLE,
    # The platform: every tenant's router gateway sits on the external network and subnet, and every
    # tenant subnet was cut from a pool; they are changed in place or not at all.
    "external-network": Convergence(frozenset({"physicalNetwork", "external"}), never_replaced=True),
    "external-subnet": Convergence(frozenset({"network", "ipVersion", "cidr"}), never_replaced=True),
    "subnet-pool": _IN_PLACE,
    "flavor": _IN_PLACE,  # nova flavors are immutable: the flavor executor re-creates one under its name
    "quota-class": _IN_PLACE,
    # An agency's domain holds its projects, users and groups: renamed in place, never re-created.
    "domain": _IN_PLACE,
    "domain-grant": _IMMUTABLE,
}

# Where a site or a manifest states an attribute of a never-replaced kind (dotted field paths).
SITE_FIELDS: Mapping[tuple[str, str], str] = {
    ("project", "domain"): "spec.identity.domain",
    ("external-network", "physicalNetwork"): "spec.externalNetwork.physicalNetwork",
    ("external-network", "external"): "spec.externalNetwork",
    ("external-subnet", "cidr"): "spec.externalNetwork.cidr",
    ("external-subnet", "ipVersion"): "spec.externalNetwork.cidr",
    ("external-subnet", "network"): "spec.externalNetwork.name",
}
MANIFEST_FIELDS: Mapping[tuple[str, str], str] = {("project", "name"): "metadata.name"}


def rule(kind: str) -> Convergence:
    return RULES.get(kind, _IN_PLACE)


def replaces(kind: str, changed: Iterable[str]) -> bool:
    """Whether changing these attributes of a `kind` means deleting and re-creating it."""
    convergence = rule(kind)
    return convergence.always_replaced or bool(set(changed) & convergence.replaced_by)


def forbidden_replacements(changes: Iterable[Change]) -> list[Change]:
    """The replacements berth refuses to plan (never executed, whichever engine)."""
    return [c for c in changes if c.replace and rule(c.kind).never_replaced]
