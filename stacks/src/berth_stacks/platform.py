"""`Platform`: what every tenant relies on, from the site's cloud.yml: the external network and its subnet,
one shared Neutron subnet pool per tenant address pool (so Neutron itself refuses overlapping tenant
subnets), and the flavor catalogue (private flavors are granted per tenant by AgencyTenant).

Resource names follow berth's key style (`<kind>/<name>`) so they are stable across runs. Written against
the Site model directly: berth_core has no platform desired state yet (see docs/pulumi.md).
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from berth_core.site import Site
from berth_stacks.types import PLATFORM_COMPONENT


def platform_keys(site: Site) -> list[str]:
    """The names of the resources Platform registers for a site, in registration order."""
    ext = site.spec.external_network.name
    return [
        f"external-network/{ext}",
        f"external-subnet/{ext}",
        *(f"subnet-pool/{pool.name}" for pool in site.spec.address_pools),
        *(f"flavor/{flavor.name}" for flavor in site.spec.flavors),
    ]


class Platform(pulumi.ComponentResource):
    def __init__(self, site: Site, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PLATFORM_COMPONENT, site.name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ext = site.spec.external_network
        segments = (
            None
            if ext.physical_network is None
            else [
                openstack.networking.NetworkSegmentArgs(
                    network_type="flat", physical_network=ext.physical_network
                )
            ]
        )
        network = openstack.networking.Network(
            f"external-network/{ext.name}",
            name=ext.name,
            external=True,
            shared=False,
            admin_state_up=True,
            segments=segments,
            opts=child,
        )
        openstack.networking.Subnet(
            f"external-subnet/{ext.name}",
            name=ext.name,
            network_id=network.id,
            ip_version=4,
            cidr=str(ext.cidr),
            gateway_ip=None if ext.gateway is None else str(ext.gateway),
            enable_dhcp=False,  # addresses on the external network are floating IPs and router gateways
            opts=pulumi.ResourceOptions(parent=self, depends_on=[network]),
        )
        pools = {
            pool.name: openstack.networking.SubnetPool(
                f"subnet-pool/{pool.name}",
                name=pool.name,
                ip_version=4,
                prefixes=[str(pool.cidr)],
                default_prefixlen=pool.default_prefix_length,
                min_prefixlen=pool.min_prefix_length,
                max_prefixlen=pool.max_prefix_length,
                shared=True,  # agencies' subnets are allocated from it in their own projects
                is_default=False,
                opts=child,
            )
            for pool in site.spec.address_pools
        }
        flavors = {
            flavor.name: openstack.compute.Flavor(
                f"flavor/{flavor.name}",
                name=flavor.name,
                vcpus=flavor.vcpus,
                ram=flavor.ram_mib,
                disk=flavor.disk_gib,
                is_public=flavor.public,
                opts=child,
            )
            for flavor in site.spec.flavors
        }
        self.external_network_id: pulumi.Output[str] = network.id
        self.register_outputs(
            {
                "externalNetworkId": network.id,
                "subnetPoolIds": {name: p.id for name, p in pools.items()},
                "flavorIds": {name: f.id for name, f in flavors.items()},
            }
        )
