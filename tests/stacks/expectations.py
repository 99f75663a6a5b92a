"""What the tests expect, written independently of berth_stacks so a wrong mapping there fails here."""

from __future__ import annotations

import re
from pathlib import Path

from berth_core.state import Resource

ROOT = Path(__file__).resolve().parents[2]
# the example manifests are named after their slugs; test_conformance checks the two lists agree
EXAMPLE_SLUGS = tuple(sorted(p.stem for p in (ROOT / "manifests").glob("*.yaml")))

# desired kind -> the Pulumi types that realise it (a quota lives in three services)
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "project": ("openstack:identity/project:Project",),
    "quota": (
        "openstack:compute/quotaSetV2:QuotaSetV2",
        "openstack:networking/quotaV2:QuotaV2",
        "openstack:blockstorage/quoteSetV3:QuoteSetV3",
    ),
    "network": ("openstack:networking/network:Network",),
    "subnet": ("openstack:networking/subnet:Subnet",),
    "router": ("openstack:networking/router:Router",),
    "router-interface": ("openstack:networking/routerInterface:RouterInterface",),
    "secgroup": ("openstack:networking/secGroup:SecGroup",),
    "secgroup-rule": ("openstack:networking/secGroupRule:SecGroupRule",),
    "role-assignment": ("openstack:identity/roleAssignment:RoleAssignment",),
    "flavor-access": ("openstack:compute/flavorAccess:FlavorAccess",),
}
QUOTA_TYPE_BY_SERVICE = {
    "compute": "openstack:compute/quotaSetV2:QuotaSetV2",
    "network": "openstack:networking/quotaV2:QuotaV2",
    "volume": "openstack:blockstorage/quoteSetV3:QuoteSetV3",
}


def expected_registrations(res: Resource) -> set[tuple[str, str]]:
    """(type, name) pairs one desired resource must become."""
    if res.kind == "quota":
        return {(t, f"{res.key}/{service}") for service, t in QUOTA_TYPE_BY_SERVICE.items()}
    (type_,) = KIND_TYPES[res.kind]
    return {(type_, res.key)}


def referenced_keys(res: Resource, keys: set[str]) -> set[str]:
    """Keys of other resources that a resource's attributes name (implicit dependencies via ids)."""
    return {v for v in res.attrs.values() if isinstance(v, str) and v in keys and v != res.key}


def wire_name(native: str) -> str:
    """Pulumi's property name for a provider field: key_pairs -> keyPairs."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), native)
