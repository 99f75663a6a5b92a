"""The inline Pulumi programs berth runs: one stack per agency tenant (`tenant-<slug>`) plus `platform`.

A program closes over its slice of the desired state (or the site), so a stack can never touch another
tenant's resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from berth_core.platform import build_platform
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
    """One stack per tenant of the desired state, each holding only that tenant's resources."""
    return [
        StackTarget(tenant_stack_name(slug), tenant_program(slug, desired.for_tenants([slug])))
        for slug in desired.tenants
    ]


def platform_target(site: Site) -> StackTarget:
    """The platform stack. Built before Pulumi runs, so a broken site fails as ManifestInvalid (exit 3)."""
    return StackTarget(PLATFORM_STACK, platform_program(site.name, build_platform(site)))
