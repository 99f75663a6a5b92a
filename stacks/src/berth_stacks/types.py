"""Names shared by the components, the runner and the tests, kept free of pulumi imports (cheap to read).

A Pulumi resource is named by the desired-state key it realises, so names are stable across runs and the
engines agree on identity. The one exception is a tenant's quota: OpenStack keeps it in three services,
so `quota/<slug>` becomes `quota/<slug>/compute`, `.../network` and `.../volume`.
"""

from __future__ import annotations

TENANT_COMPONENT = "berth:openstack:AgencyTenant"
PLATFORM_COMPONENT = "berth:openstack:Platform"

QUOTA_SERVICES: tuple[str, ...] = ("compute", "network", "volume")

# desired kinds pulumi-openstack has no resource for: nova/cinder quota classes. On a Pulumi site the
# direct engine applies them (one executor per kind, as DESIGN.md asks).
PULUMI_UNSUPPORTED_KINDS: frozenset[str] = frozenset({"quota-class"})


def tenant_stack_name(slug: str) -> str:
    return f"tenant-{slug}"


PLATFORM_STACK = "platform"


def pulumi_names(key: str) -> tuple[str, ...]:
    """The Pulumi resource names that realise one desired resource."""
    if key.startswith("quota/"):
        return tuple(f"{key}/{service}" for service in QUOTA_SERVICES)
    return (key,)
