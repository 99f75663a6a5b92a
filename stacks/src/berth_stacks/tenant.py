"""`AgencyTenant`: one agency's tenant as a Pulumi component, built from its slice of the desired state.

No arithmetic here: quotas and CIDRs come from berth_core as they are (berth_core.quota.to_native turns
berth's units into each service's native ones). Every desired resource becomes Pulumi resource(s) named by
its key, a child of the component, with explicit depends_on for the desired state's edges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_openstack as openstack

from berth_core.errors import PulumiFailed
from berth_core.quota import to_native
from berth_core.state import KIND_RANK, DesiredState, Json, Resource
from berth_stacks.lookups import InvokeLookups, Lookups
from berth_stacks.types import TENANT_COMPONENT, pulumi_names

Builder = Callable[["AgencyTenant", Resource, pulumi.ResourceOptions], pulumi.CustomResource]


def _optional(attrs: Mapping[str, Json], name: str) -> Any:
    """A desired attribute, with null meaning 'not set' (Pulumi leaves the field to OpenStack)."""
    return attrs.get(name)


class AgencyTenant(pulumi.ComponentResource):
    """Project, quotas, networks, router, security groups, members and flavor access of one tenant."""

    def __init__(
        self,
        slug: str,
        desired: DesiredState,
        lookups: Lookups | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        mine = [r for r in desired.resources.values() if r.tenant == slug]
        if not any(r.kind == "project" for r in mine):
            raise PulumiFailed(
                f"the desired state holds no project for tenant {slug}",
                hint="build the stack from berth_core.desired.build_desired output for this tenant",
            )
        super().__init__(TENANT_COMPONENT, slug, None, opts)
        self.slug = slug
        self._mine = mine
        self.lookups: Lookups = lookups or InvokeLookups(parent=self)
        self.by_key: dict[str, pulumi.CustomResource] = {}
        self.domain = ""  # set by the project builder; users and groups live there
        for res in sorted(mine, key=lambda r: (KIND_RANK.get(r.kind, len(KIND_RANK)), r.key)):
            builder = _BUILDERS.get(res.kind)
            if builder is None:
                raise PulumiFailed(f"berth_stacks cannot realise resource kind {res.kind!r} ({res.key})")
            missing = [dep for dep in res.depends_on if dep not in self.by_key]
            if missing:
                raise PulumiFailed(f"{res.key} depends on {', '.join(missing)}, which tenant {slug} lacks")
            opts_for = pulumi.ResourceOptions(
                parent=self, depends_on=[self.by_key[d] for d in res.depends_on]
            )
            builder(self, res, opts_for)
        project = self.by_key[f"project/{slug}"]
        self.project_id: pulumi.Output[str] = project.id
        self.register_outputs(
            {
                "projectId": project.id,
                "networkIds": {k: r.id for k, r in self.by_key.items() if k.startswith("network/")},
                "subnetIds": {k: r.id for k, r in self.by_key.items() if k.startswith("subnet/")},
            }
        )

    def has_egress_rules(self, secgroup_key: str) -> bool:
        return any(
            r.kind == "secgroup-rule"
            and r.attrs.get("secgroup") == secgroup_key
            and r.attrs.get("direction") == "egress"
            for r in self._mine
        )

    def ref(self, key: Json) -> pulumi.Output[str]:
        """The id of a resource of this tenant named by its desired key."""
        return self.by_key[str(key)].id

    def keep(self, key: str, resource: pulumi.CustomResource) -> pulumi.CustomResource:
        self.by_key[key] = resource
        return resource


def _project(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    t.domain = str(a["domain"])
    return t.keep(
        res.key,
        openstack.identity.Project(
            res.key,
            name=a["name"],
            description=a["description"],
            domain_id=t.lookups.domain_id(t.domain),
            enabled=a["enabled"],
            tags=list(a["tags"]),
            opts=opts,
        ),
    )


def _quota(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    # every berth quota field, in each service's native name and unit (ram in MiB)
    by_service = to_native({str(k): int(v) for k, v in res.attrs["values"].items()})
    native: dict[str, dict[str, Any]] = {service: dict(fields) for service, fields in by_service.items()}
    project_id = t.ref(res.attrs["project"])
    compute_name, network_name, volume_name = pulumi_names(res.key)
    openstack.compute.QuotaSetV2(compute_name, project_id=project_id, **native["compute"], opts=opts)
    openstack.networking.QuotaV2(network_name, project_id=project_id, **native["network"], opts=opts)
    return openstack.blockstorage.QuoteSetV3(
        volume_name, project_id=project_id, **native["volume"], opts=opts
    )


def _network(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return t.keep(
        res.key,
        openstack.networking.Network(
            res.key,
            name=a["name"],
            description=a["description"],
            tenant_id=t.ref(a["project"]),
            admin_state_up=True,
            tags=list(a["tags"]),
            opts=opts,
        ),
    )


def _subnet(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    pool = _optional(a, "subnetPool")
    return t.keep(
        res.key,
        openstack.networking.Subnet(
            res.key,
            name=a["name"],
            network_id=t.ref(a["network"]),
            tenant_id=t.ref(a["project"]),
            ip_version=a["ipVersion"],
            cidr=a["cidr"],
            gateway_ip=a["gatewayIp"],
            enable_dhcp=a["enableDhcp"],
            allocation_pools=[
                openstack.networking.SubnetAllocationPoolArgs(start=p["start"], end=p["end"])
                for p in a["allocationPools"]
            ],
            dns_nameservers=list(a["dnsNameservers"]),
            # inside the site pool, Neutron itself refuses an overlapping CIDR
            subnetpool_id=None if pool is None else t.lookups.subnetpool_id(str(pool)),
            tags=list(a["tags"]),
            opts=opts,
        ),
    )


def _router(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    external = _optional(a, "externalNetwork")
    return t.keep(
        res.key,
        openstack.networking.Router(
            res.key,
            name=a["name"],
            tenant_id=t.ref(a["project"]),
            admin_state_up=True,
            external_network_id=None if external is None else t.lookups.network_id(str(external)),
            # Neutron refuses enable_snat on a router without a gateway
            enable_snat=None if external is None else a["enableSnat"],
            tags=list(a["tags"]),
            opts=opts,
        ),
    )


def _router_interface(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return t.keep(
        res.key,
        openstack.networking.RouterInterface(
            res.key, router_id=t.ref(a["router"]), subnet_id=t.ref(a["subnet"]), opts=opts
        ),
    )


def _secgroup(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return t.keep(
        res.key,
        openstack.networking.SecGroup(
            res.key,
            name=a["name"],
            description=a["description"],
            tenant_id=t.ref(a["project"]),
            # as the direct engine does: Neutron's allow-all egress stays unless the manifest states
            # egress rules of its own, which then are the group's only egress
            delete_default_rules=t.has_egress_rules(res.key),
            tags=list(a["tags"]),
            opts=opts,
        ),
    )


def _secgroup_rule(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    remote_group = _optional(a, "remoteGroup")
    return t.keep(
        res.key,
        openstack.networking.SecGroupRule(
            res.key,
            security_group_id=t.ref(a["secgroup"]),
            tenant_id=t.ref(a["project"]),
            direction=a["direction"],
            ethertype=a["ethertype"],
            protocol=_optional(a, "protocol"),
            port_range_min=_optional(a, "portRangeMin"),
            port_range_max=_optional(a, "portRangeMax"),
            remote_ip_prefix=_optional(a, "remoteIpPrefix"),
            remote_group_id=None if remote_group is None else t.ref(remote_group),
            description=a["description"],
            opts=opts,
        ),
    )


def _role_assignment(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    principal = str(a["principal"])
    is_user = a["principalType"] == "user"
    return t.keep(
        res.key,
        openstack.identity.RoleAssignment(
            res.key,
            project_id=t.ref(a["project"]),
            role_id=t.lookups.role_id(str(a["role"])),
            user_id=t.lookups.user_id(principal, t.domain) if is_user else None,
            group_id=None if is_user else t.lookups.group_id(principal, t.domain),
            opts=opts,
        ),
    )


def _flavor_access(t: AgencyTenant, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return t.keep(
        res.key,
        openstack.compute.FlavorAccess(
            res.key,
            flavor_id=t.lookups.flavor_id(str(a["flavor"])),
            tenant_id=t.ref(a["project"]),
            opts=opts,
        ),
    )


_BUILDERS: dict[str, Builder] = {
    "project": _project,
    "quota": _quota,
    "network": _network,
    "subnet": _subnet,
    "router": _router,
    "router-interface": _router_interface,
    "secgroup": _secgroup,
    "secgroup-rule": _secgroup_rule,
    "role-assignment": _role_assignment,
    "flavor-access": _flavor_access,
}
