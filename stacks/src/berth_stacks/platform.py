"""`Platform`: what every tenant relies on, from berth_core.platform.build_platform(site): the external
network and its subnet, one shared Neutron subnet pool per tenant address pool (so Neutron itself refuses
overlapping tenant subnets), and the flavor catalogue (private flavors are granted per tenant by
AgencyTenant).

Names are the desired keys, as for tenants. The default quota class (`quota-class/default`) has no
pulumi-openstack resource: the component leaves it out and lists it in `not_realised`, and the runner's
caller applies it with the direct engine (docs/pulumi.md).

An agency's own domain is an `identity.Project` acting as a domain (`is_domain`, as keystone stores it),
its managers' grants `identity.RoleAssignment`s on that domain (users and groups looked up in it).
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_openstack as openstack

from berth_core.errors import PulumiFailed
from berth_core.state import DesiredState, Resource
from berth_stacks.lookups import InvokeLookups, Lookups
from berth_stacks.types import PLATFORM_COMPONENT, PULUMI_UNSUPPORTED_KINDS

Builder = Callable[["Platform", Resource, pulumi.ResourceOptions], pulumi.CustomResource]


class Platform(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        desired: DesiredState,
        opts: pulumi.ResourceOptions | None = None,
        lookups: Lookups | None = None,
    ) -> None:
        super().__init__(PLATFORM_COMPONENT, name, None, opts)
        self.lookups: Lookups = lookups or InvokeLookups(parent=self)
        self.by_key: dict[str, pulumi.CustomResource] = {}
        self.not_realised: list[str] = []
        for res in sorted(desired.resources.values(), key=lambda r: (_ORDER.get(r.kind, len(_ORDER)), r.key)):
            if res.kind in PULUMI_UNSUPPORTED_KINDS:
                self.not_realised.append(res.key)
                continue
            builder = _BUILDERS.get(res.kind)
            if builder is None:
                raise PulumiFailed(
                    f"berth_stacks cannot realise platform resource kind {res.kind!r} ({res.key})"
                )
            missing = [dep for dep in res.depends_on if dep not in self.by_key]
            if missing:
                raise PulumiFailed(f"{res.key} depends on {', '.join(missing)}, which the platform lacks")
            deps = [self.by_key[d] for d in res.depends_on]
            self.by_key[res.key] = builder(self, res, pulumi.ResourceOptions(parent=self, depends_on=deps))
        networks = {k: r.id for k, r in self.by_key.items() if k.startswith("external-network/")}
        self.external_network_ids: dict[str, pulumi.Output[str]] = networks
        self.register_outputs(
            {
                "externalNetworkIds": networks,
                "subnetPoolIds": {k: r.id for k, r in self.by_key.items() if k.startswith("subnet-pool/")},
                "flavorIds": {k: r.id for k, r in self.by_key.items() if k.startswith("flavor/")},
            }
        )

    def ref(self, key: object) -> pulumi.Output[str]:
        return self.by_key[str(key)].id


def _external_network(p: Platform, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    physical = a.get("physicalNetwork")
    return openstack.networking.Network(
        res.key,
        name=a["name"],
        external=a["external"],
        shared=a["shared"],
        admin_state_up=True,
        segments=None
        if physical is None
        else [openstack.networking.NetworkSegmentArgs(network_type="flat", physical_network=physical)],
        tags=list(a["tags"]),
        opts=opts,
    )


def _external_subnet(p: Platform, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return openstack.networking.Subnet(
        res.key,
        name=a["name"],
        network_id=p.ref(a["network"]),
        ip_version=a["ipVersion"],
        cidr=a["cidr"],
        gateway_ip=a["gatewayIp"],
        enable_dhcp=a["enableDhcp"],
        tags=list(a["tags"]),
        opts=opts,
    )


def _subnet_pool(p: Platform, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return openstack.networking.SubnetPool(
        res.key,
        name=a["name"],
        ip_version=a["ipVersion"],
        prefixes=list(a["prefixes"]),
        default_prefixlen=a["defaultPrefixLength"],
        min_prefixlen=a["minPrefixLength"],
        max_prefixlen=a["maxPrefixLength"],
        shared=a["shared"],
        is_default=False,
        tags=list(a["tags"]),
        opts=opts,
    )


def _flavor(p: Platform, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return openstack.compute.Flavor(
        res.key,
        name=a["name"],
        vcpus=a["vcpus"],
        ram=a["ramMiB"],  # nova counts MiB
        disk=a["diskGiB"],
        is_public=a["public"],
        opts=opts,
    )


def _domain(p: Platform, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    return openstack.identity.Project(
        res.key,
        name=a["name"],
        description=a["description"],
        enabled=a["enabled"],
        is_domain=True,
        tags=list(a["tags"]),
        opts=opts,
    )


def _domain_grant(p: Platform, res: Resource, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    a = res.attrs
    domain_id = p.ref(a["domain"])
    principal = str(a["principal"])
    is_user = a["principalType"] == "user"
    return openstack.identity.RoleAssignment(
        res.key,
        domain_id=domain_id,
        role_id=p.lookups.role_id(str(a["role"])),
        user_id=_member_id("user", principal, domain_id, p) if is_user else None,
        group_id=None if is_user else _member_id("group", principal, domain_id, p),
        opts=opts,
    )


def _member_id(kind: str, name: str, domain_id: pulumi.Output[str], p: Platform) -> pulumi.Output[str]:
    """A user or group of a domain this stack makes: looked up by the domain's id, once it exists."""
    invoke = pulumi.InvokeOutputOptions(parent=p)
    if kind == "user":
        return openstack.identity.get_user_output(name=name, domain_id=domain_id, opts=invoke).id
    return openstack.identity.get_group_output(name=name, domain_id=domain_id, opts=invoke).id


_BUILDERS: dict[str, Builder] = {
    "external-network": _external_network,
    "external-subnet": _external_subnet,
    "subnet-pool": _subnet_pool,
    "flavor": _flavor,
    "domain": _domain,
    "domain-grant": _domain_grant,
}
_ORDER = {kind: i for i, kind in enumerate(_BUILDERS)}
