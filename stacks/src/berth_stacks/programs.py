"""The inline Pulumi programs berth runs: one stack per agency tenant (`tenant-<slug>`) plus `platform`.

Every stack comes from the plan's desired state, exactly what `berth apply` passes (the platform is one of
its tenants, `platform`, and becomes the platform stack, never a `tenant-platform`). A program closes over
its slice of the desired state, so a stack can never touch another tenant's resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from berth_core.platform import PLATFORM_TENANT, build_platform
from berth_core.site import Site
from berth_core.state import DesiredState
from berth_stacks.types import PLATFORM_STACK, tenant_stack_name

Program = Callable[[], None]


@dataclass(frozen=True)
class StackTarget:
    name: str
    program: Program


def tenant_program(slug: str, desired: DesiredState) -> Program:
    def program() -> None:
        import pulumi

        from berth_stacks.tenant import AgencyTenant

        tenant = AgencyTenant(slug, desired)
        pulumi.export("projectId", tenant.project_id)

    return program


def platform_program(name: str, desired: DesiredState) -> Program:
    def program() -> None:
        import pulumi

        from berth_stacks.platform import Platform

        platform = Platform(name, desired)
        pulumi.export("externalNetworkIds", platform.external_network_ids)

    return program


def tenant_targets(desired: DesiredState) -> list[StackTarget]:
    """One stack per agency tenant of the desired state, each holding only that tenant's resources."""
    return [
        StackTarget(tenant_stack_name(slug), tenant_program(slug, desired.for_tenants([slug])))
        for slug in desired.tenants
        if slug != PLATFORM_TENANT
    ]


def platform_target(site: Site) -> StackTarget:
    """The platform stack of a site. Built before Pulumi runs, so a broken site fails as ManifestInvalid."""
    return StackTarget(PLATFORM_STACK, platform_program(site.name, build_platform(site)))


def site_targets(site: Site, desired: DesiredState) -> list[StackTarget]:
    """The stacks of one apply, in order: the platform first (tenants look its network, pool and flavors
    up by name), from the plan's own platform slice when it has one, then each agency tenant."""
    if PLATFORM_TENANT in desired.tenants:
        platform = StackTarget(
            PLATFORM_STACK, platform_program(site.name, desired.for_tenants([PLATFORM_TENANT]))
        )
    else:
        platform = platform_target(site)
    return [platform, *tenant_targets(desired)]
