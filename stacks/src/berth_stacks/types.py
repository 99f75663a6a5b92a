"""Names shared by the components, the runner and the tests, kept free of pulumi imports (cheap to read).

A Pulumi resource is named by the desired-state key it realises, so names are stable across runs and the
engines agree on identity. The one exception is a tenant's quota: OpenStack keeps it in three services,
so `quota/<slug>` becomes `quota/<slug>/compute`, `.../network` and `.../volume`.
"""

from __future__ import annotations

from collections.abc import Iterable

from berth_core.diff import Change

TENANT_COMPONENT = "berth:openstack:AgencyTenant"
PLATFORM_COMPONENT = "berth:openstack:Platform"

QUOTA_SERVICES: tuple[str, ...] = ("compute", "network", "volume")

# desired kinds pulumi-openstack has no resource for: nova/cinder quota classes. On a Pulumi site the
# direct engine applies them (one executor per kind, as DESIGN.md asks).
PULUMI_UNSUPPORTED_KINDS: frozenset[str] = frozenset({"quota-class"})
# attributes pulumi-openstack cannot write: keystone keeps a project's display name and agency as extra
# attributes, which identity.Project does not have (the agency also rides on a tag, which it does write)
PULUMI_UNSUPPORTED_ATTRS: dict[str, frozenset[str]] = {"project": frozenset({"displayName", "agency"})}


def beyond_pulumi(changes: Iterable[Change]) -> tuple[Change, ...]:
    """What is left after `pulumi up` for the direct engine: the kinds Pulumi has no resource for, and
    updates that touch nothing but attributes Pulumi cannot write. Anything else is Pulumi's to converge."""
    left = []
    for change in changes:
        if change.action == "no-op":
            continue
        attrs = PULUMI_UNSUPPORTED_ATTRS.get(change.kind, frozenset())
        if change.kind in PULUMI_UNSUPPORTED_KINDS or (
            change.action == "update" and change.changed and set(change.changed) <= attrs
        ):
            left.append(change)
    return tuple(left)


def tenant_stack_name(slug: str) -> str:
    return f"tenant-{slug}"


PLATFORM_STACK = "platform"


def pulumi_names(key: str) -> tuple[str, ...]:
    """The Pulumi resource names that realise one desired resource."""
    if key.startswith("quota/"):
        return tuple(f"{key}/{service}" for service in QUOTA_SERVICES)
    return (key,)
