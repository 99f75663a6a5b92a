"""Desired state: what a site's tenant manifests ask OpenStack to hold, as keyed resources.

Input is already resolved (complete quotas from berth_core.quota, CIDRs from berth_core.ipam), so the
engines (direct and Pulumi) do no arithmetic of their own. Every resource carries the ownership tags
`berth:managed` and `berth:tenant=<slug>` where OpenStack can store them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network

from berth_core.ipam import allocation_range, gateway
from berth_core.kinds import (
    FlavorAccessAttrs,
    NetworkAttrs,
    ProjectAttrs,
    QuotaAttrs,
    RoleAssignmentAttrs,
    RouterAttrs,
    RouterInterfaceAttrs,
    RuleIdentity,
    SecgroupAttrs,
    SecgroupRuleAttrs,
    SubnetAttrs,
)
from berth_core.manifest import NetworkSpec, SecurityGroupRule, SecurityGroupSpec, TenantManifest
from berth_core.ownership import MANAGED_TAG, agency_tag, tenant_tag
from berth_core.quota import ResolvedQuota
from berth_core.site import Site
from berth_core.state import DesiredState, Json, Resource, sha256_of


@dataclass(frozen=True)
class TenantInput:
    manifest: TenantManifest
    quota: ResolvedQuota
    cidrs: Mapping[str, IPv4Network]  # network name -> allocated or explicit CIDR


def _tags(slug: str) -> list[str]:
    return [MANAGED_TAG, tenant_tag(slug)]


def rule_identity(rule: SecurityGroupRule, slug: str, group: str) -> RuleIdentity:
    """The fields that make a rule what it is (Neutron rules are immutable; a changed rule is a new one)."""
    low, high = rule.port_range if rule.ports is not None else (None, None)
    protocol: str | None = None if rule.protocol == "any" else rule.protocol
    if protocol == "icmp" and rule.ethertype == "IPv6":
        protocol = "ipv6-icmp"  # Neutron's name for ICMP over IPv6 (what it stores, so no diff later)
    return RuleIdentity(
        direction=rule.direction,
        ethertype=rule.ethertype,
        protocol=protocol,
        portRangeMin=low,
        portRangeMax=high,
        remoteIpPrefix=None if rule.remote is None else str(rule.remote),
        remoteGroup=None if rule.remote_group is None else f"secgroup/{slug}/{rule.remote_group}",
        secgroup=f"secgroup/{slug}/{group}",
    )


def rule_key(slug: str, group: str, identity: Mapping[str, Json]) -> str:
    return f"secgroup-rule/{slug}/{group}/{sha256_of(dict(identity))[:12]}"


def _network(slug: str, net: NetworkSpec, cidr: IPv4Network, site: Site) -> list[Resource]:
    project = f"project/{slug}"
    net_key = f"network/{slug}/{net.name}"
    first, last = allocation_range(cidr)
    pool = next((p.name for p in site.spec.address_pools if cidr.subnet_of(p.cidr)), None)
    return [
        Resource(
            net_key,
            slug,
            NetworkAttrs(name=net.name, project=project, description=net.description or "", tags=_tags(slug)),
            (project,),
        ),
        Resource(
            f"subnet/{slug}/{net.name}",
            slug,
            SubnetAttrs(
                name=net.name,
                network=net_key,
                project=project,
                ipVersion=4,
                cidr=str(cidr),
                gatewayIp=str(gateway(cidr)),
                enableDhcp=True,
                allocationPools=[{"start": str(first), "end": str(last)}],
                dnsNameservers=[str(a) for a in net.dns_nameservers],
                subnetPool=pool,
                tags=_tags(slug),
            ),
            (net_key,),
        ),
    ]


def _security_group(slug: str, sg: SecurityGroupSpec) -> list[Resource]:
    project = f"project/{slug}"
    sg_key = f"secgroup/{slug}/{sg.name}"
    out = [
        Resource(
            sg_key,
            slug,
            SecgroupAttrs(name=sg.name, project=project, description=sg.description or "", tags=_tags(slug)),
            (project,),
        )
    ]
    seen: set[str] = set()
    for rule in sg.rules:
        identity = rule_identity(rule, slug, sg.name)
        key = rule_key(slug, sg.name, identity)
        if key in seen:  # the same rule twice: Neutron would refuse the second, so state it once
            continue
        seen.add(key)
        deps = [sg_key]
        remote = identity["remoteGroup"]
        if isinstance(remote, str) and remote != sg_key:
            deps.append(remote)
        out.append(
            Resource(
                key,
                slug,
                SecgroupRuleAttrs(**identity, project=project, description=rule.description or ""),
                tuple(deps),
            )
        )
    return out


def tenant_resources(tenant: TenantInput, site: Site) -> list[Resource]:
    m = tenant.manifest
    slug = m.slug
    project = f"project/{slug}"
    identity = site.spec.identity
    out = [
        Resource(
            project,
            slug,
            ProjectAttrs(
                name=slug,
                domain=identity.domain_of(m.metadata.agency),
                displayName=m.metadata.display_name,
                description=m.metadata.description or m.metadata.display_name,
                agency=m.metadata.agency,
                enabled=True,
                tags=sorted([*_tags(slug), agency_tag(m.metadata.agency)]),
            ),
        ),
        Resource(
            f"quota/{slug}", slug, QuotaAttrs(project=project, values=tenant.quota.as_dict()), (project,)
        ),
    ]
    for net in m.spec.networks:
        out.extend(_network(slug, net, tenant.cidrs[net.name], site))
    if m.spec.router is not None:
        router_key = f"router/{slug}"
        external = site.spec.external_network.name if m.spec.router.external else None
        out.append(
            Resource(
                router_key,
                slug,
                RouterAttrs(
                    name=f"{slug}-router",
                    project=project,
                    externalNetwork=external,
                    enableSnat=external is not None,
                    tags=_tags(slug),
                ),
                (project,),
            )
        )
        for net in m.spec.networks:
            subnet_key = f"subnet/{slug}/{net.name}"
            out.append(
                Resource(
                    f"router-interface/{slug}/{net.name}",
                    slug,
                    RouterInterfaceAttrs(router=router_key, subnet=subnet_key),
                    (router_key, subnet_key),
                )
            )
    for sg in m.spec.security_groups:
        out.extend(_security_group(slug, sg))
    roles = {"member": identity.member_role, "reader": identity.reader_role}
    for member in m.spec.members:
        kind, name = member.principal
        out.append(
            Resource(
                f"role-assignment/{slug}/{kind}:{name}/{member.role}",
                slug,
                RoleAssignmentAttrs(
                    project=project, principalType=kind, principal=name, role=roles[member.role]
                ),
                (project,),
            )
        )
    for flavor_name in m.spec.flavors:
        flavor = site.flavor(flavor_name)
        if flavor is not None and flavor.public:
            continue  # public flavors need no access grant (nova refuses one)
        out.append(
            Resource(
                f"flavor-access/{slug}/{flavor_name}",
                slug,
                FlavorAccessAttrs(project=project, flavor=flavor_name),
                (project,),
            )
        )
    return out


def build_desired(site: Site, tenants: Iterable[TenantInput]) -> DesiredState:
    tenant_list = list(tenants)
    resources = [r for t in tenant_list for r in tenant_resources(t, site)]
    return DesiredState.of(resources, (t.manifest.slug for t in tenant_list))
