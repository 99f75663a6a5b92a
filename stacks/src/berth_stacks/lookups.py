"""Name -> id lookups for what a tenant references but does not own: domain, users, groups, roles,
private flavors, the external network and the subnet pools.

Manifests speak in names; OpenStack resources want ids. The ids are read at deploy time through the
provider's invokes (data sources), once per name per program, so a stack never holds a stale id and the
platform stack need not export anything. Tests answer the same invokes with Pulumi's mocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import pulumi
import pulumi_openstack as openstack


class Lookups(Protocol):
    def domain_id(self, name: str) -> pulumi.Output[str]: ...
    def user_id(self, name: str, domain: str) -> pulumi.Output[str]: ...
    def group_id(self, name: str, domain: str) -> pulumi.Output[str]: ...
    def role_id(self, name: str) -> pulumi.Output[str]: ...
    def flavor_id(self, name: str) -> pulumi.Output[str]: ...
    def network_id(self, name: str) -> pulumi.Output[str]: ...
    def subnetpool_id(self, name: str) -> pulumi.Output[str]: ...


class InvokeLookups:
    """Lookups through pulumi-openstack's get_* invokes, memoised so each name is asked once."""

    def __init__(self, parent: pulumi.Resource | None = None) -> None:
        self._opts = pulumi.InvokeOutputOptions(parent=parent)  # the parent's provider answers
        self._cache: dict[tuple[str, ...], pulumi.Output[str]] = {}

    def _once(self, key: tuple[str, ...], ask: Callable[[], pulumi.Output[str]]) -> pulumi.Output[str]:
        if key not in self._cache:
            self._cache[key] = ask()
        return self._cache[key]

    def domain_id(self, name: str) -> pulumi.Output[str]:
        # Keystone lists domains as projects acting as domains (is_domain=true)
        return self._once(
            ("domain", name),
            lambda: openstack.identity.get_project_output(name=name, is_domain=True, opts=self._opts).id,
        )

    def user_id(self, name: str, domain: str) -> pulumi.Output[str]:
        return self._once(
            ("user", domain, name),
            lambda: (
                openstack.identity.get_user_output(
                    name=name, domain_id=self.domain_id(domain), opts=self._opts
                ).id
            ),
        )

    def group_id(self, name: str, domain: str) -> pulumi.Output[str]:
        return self._once(
            ("group", domain, name),
            lambda: (
                openstack.identity.get_group_output(
                    name=name, domain_id=self.domain_id(domain), opts=self._opts
                ).id
            ),
        )

    def role_id(self, name: str) -> pulumi.Output[str]:
        return self._once(
            ("role", name),
            lambda: openstack.identity.get_role_output(name=name, opts=self._opts).id,
        )

    def flavor_id(self, name: str) -> pulumi.Output[str]:
        # only private flavors get access grants; nova lists them to admins only when asked for
        return self._once(
            ("flavor", name),
            lambda: openstack.compute.get_flavor_output(name=name, is_public=False, opts=self._opts).id,
        )

    def network_id(self, name: str) -> pulumi.Output[str]:
        return self._once(
            ("network", name),
            lambda: openstack.networking.get_network_output(name=name, external=True, opts=self._opts).id,
        )

    def subnetpool_id(self, name: str) -> pulumi.Output[str]:
        return self._once(
            ("subnetpool", name),
            lambda: openstack.networking.get_subnet_pool_output(name=name, opts=self._opts).id,
        )
