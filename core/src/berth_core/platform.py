"""Platform resources every tenant relies on, from the site's cloud.yml, as the `platform` tenant's state.

The external network and its subnet, one Neutron subnet pool per tenant address pool (so Neutron itself
refuses overlapping tenant subnets), the flavor catalogue (public and private) and the default quota
class (nova and cinder hold it; neutron's defaults live in its configuration file, not in its API).
Keys: `external-network/<name>`, `external-subnet/<name>`, `subnet-pool/<pool>`, `flavor/<name>`,
`quota-class/default`. The engines (direct and Pulumi) map these attributes one to one.

Agencies with their own keystone domain (`spec.identity.agencyDomains`) add `domain/<name>` and, per
manager, `domain-grant/<name>/<user|group>:<principal>/<role>` (the domain-manager persona). Domains are
never deleted by a diff: observe reads only the domains cloud.yml names, so one left out of cloud.yml
keeps its projects, users and grants (an operator removes a domain by hand, deliberately).
"""

from __future__ import annotations

from berth_core.identity import IdentitySpec
from berth_core.kinds import (
    DomainAttrs,
    DomainGrantAttrs,
    ExternalNetworkAttrs,
    ExternalSubnetAttrs,
    FlavorAttrs,
    QuotaClassAttrs,
    SubnetPoolAttrs,
)
from berth_core.manifest import QuotaRequest
from berth_core.ownership import MANAGED_TAG, agency_tag, tenant_tag
from berth_core.quota import resolve_quota
from berth_core.quota_fields import QUOTA_FIELDS
from berth_core.site import AddressPool, ExternalNetwork, Flavor, Site
from berth_core.state import DesiredState, Resource

PLATFORM_TENANT = "platform"
PLATFORM_KINDS: tuple[str, ...] = (
    "external-network",
    "external-subnet",
    "subnet-pool",
    "flavor",
    "quota-class",
    "domain",
    "domain-grant",
)
# Quota fields a quota class can hold through the API (neutron's defaults are configuration only).
CLASS_SERVICES = ("compute", "volume")


def platform_tags() -> list[str]:
    return [MANAGED_TAG, tenant_tag(PLATFORM_TENANT)]


def external_resources(ext: ExternalNetwork) -> list[Resource]:
    net_key = f"external-network/{ext.name}"
    gateway = ext.gateway if ext.gateway is not None else ext.cidr.network_address + 1
    return [
        Resource(
            net_key,
            PLATFORM_TENANT,
            ExternalNetworkAttrs(
                name=ext.name,
                external=True,
                shared=False,
                physicalNetwork=ext.physical_network,
                tags=platform_tags(),
            ),
        ),
        Resource(
            f"external-subnet/{ext.name}",
            PLATFORM_TENANT,
            ExternalSubnetAttrs(
                name=ext.name,
                network=net_key,
                ipVersion=4,
                cidr=str(ext.cidr),
                gatewayIp=str(gateway),
                enableDhcp=False,  # floating IPs and router gateways need no DHCP
                tags=platform_tags(),
            ),
            (net_key,),
        ),
    ]


def subnet_pool_resource(pool: AddressPool) -> Resource:
    return Resource(
        f"subnet-pool/{pool.name}",
        PLATFORM_TENANT,
        SubnetPoolAttrs(
            name=pool.name,
            ipVersion=4,
            prefixes=[str(pool.cidr)],
            defaultPrefixLength=pool.default_prefix_length,
            minPrefixLength=pool.min_prefix_length,
            maxPrefixLength=pool.max_prefix_length,
            shared=True,  # tenant subnets are carved from it in the agencies' projects
            tags=platform_tags(),
        ),
    )


def flavor_resource(flavor: Flavor) -> Resource:
    return Resource(
        f"flavor/{flavor.name}",
        PLATFORM_TENANT,
        FlavorAttrs(
            name=flavor.name,
            vcpus=flavor.vcpus,
            ramMiB=flavor.ram_mib,
            diskGiB=flavor.disk_gib,
            public=flavor.public,
        ),
    )


def default_quota_class(site: Site) -> Resource:
    """The site's defaultQuotaClass resolved through its parents, for the services that store classes."""
    resolved = resolve_quota(QuotaRequest.model_validate({"class": site.spec.default_quota_class}), site)
    values = {f.name: resolved[f.name] for f in QUOTA_FIELDS if f.service in CLASS_SERVICES}
    return Resource("quota-class/default", PLATFORM_TENANT, QuotaClassAttrs(name="default", values=values))


def domain_key(name: str) -> str:
    return f"domain/{name}"


def domain_grant_key(domain: str, kind: str, principal: str, role: str) -> str:
    return f"domain-grant/{domain}/{kind}:{principal}/{role}"


def agency_domain_resources(identity: IdentitySpec) -> list[Resource]:
    """Each agency's domain and its managers' domain-manager grants, from cloud.yml."""
    out: list[Resource] = []
    for agency, own in sorted(identity.agency_domains.items()):
        key = domain_key(own.domain)
        out.append(
            Resource(
                key,
                PLATFORM_TENANT,
                DomainAttrs(
                    name=own.domain,
                    description=own.description or f"berth: agency {agency}",
                    agency=agency,
                    enabled=True,
                    tags=sorted([*platform_tags(), agency_tag(agency)]),
                ),
            )
        )
        for manager in own.managers:
            kind, name = manager.principal
            out.append(
                Resource(
                    domain_grant_key(own.domain, kind, name, identity.manager_role),
                    PLATFORM_TENANT,
                    DomainGrantAttrs(
                        domain=key, principalType=kind, principal=name, role=identity.manager_role
                    ),
                    (key,),
                )
            )
    return out


def build_platform(site: Site) -> DesiredState:
    """The platform's desired state. Raises ManifestInvalid if the site's quota classes are broken."""
    spec = site.spec
    resources = [
        *external_resources(spec.external_network),
        *(subnet_pool_resource(p) for p in spec.address_pools),
        *(flavor_resource(f) for f in spec.flavors),
        default_quota_class(site),
        *agency_domain_resources(spec.identity),
    ]
    return DesiredState.of(resources, (PLATFORM_TENANT,))
