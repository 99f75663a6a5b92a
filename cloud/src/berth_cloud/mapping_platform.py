"""OpenStack's JSON -> the platform's Resources, keyed like berth_core.platform (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from berth_cloud.mapping import berth_tags, owned, pick
from berth_core.platform import CLASS_SERVICES, PLATFORM_TENANT
from berth_core.quota import from_native
from berth_core.quota_fields import QUOTA_FIELDS
from berth_core.site import Site
from berth_core.state import Resource

Doc = Mapping[str, Any]


@dataclass(frozen=True)
class PlatformDocs:
    external_networks: Sequence[Doc] = field(default_factory=list)  # GET /networks?router:external=true
    external_subnets: Sequence[Doc] = field(default_factory=list)  # subnets of those networks
    subnet_pools: Sequence[Doc] = field(default_factory=list)
    flavors: Sequence[Doc] = field(default_factory=list)  # GET /flavors/detail?is_public=None
    nova_class: Doc | None = None  # GET /os-quota-class-sets/default
    cinder_class: Doc | None = None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)  # older neutrons return prefix lengths as strings


def map_platform(docs: PlatformDocs, site: Site) -> list[Resource]:
    spec = site.spec
    t = PLATFORM_TENANT
    out: list[Resource] = []
    ext_name = spec.external_network.name
    nets = [n for n in docs.external_networks if n.get("name") == ext_name]
    if nets:
        net = pick(nets, t)
        net_key = f"external-network/{ext_name}"
        out.append(
            Resource(
                net_key,
                t,
                {
                    "name": ext_name,
                    "external": bool(net.get("router:external")),
                    "shared": bool(net.get("shared")),
                    "physicalNetwork": net.get("provider:physical_network"),
                    "tags": berth_tags(net.get("tags")),
                },
                managed=owned(net, t),
                ref=net["id"],
            )
        )
        subs = [s for s in docs.external_subnets if s.get("network_id") == net["id"]]
        named = [s for s in subs if s.get("name") == ext_name]
        if subs:
            sub = pick(named or subs, t)
            out.append(
                Resource(
                    f"external-subnet/{ext_name}",
                    t,
                    {
                        "name": sub.get("name") or "",
                        "network": net_key,
                        "ipVersion": sub.get("ip_version"),
                        "cidr": sub.get("cidr"),
                        "gatewayIp": sub.get("gateway_ip"),
                        "enableDhcp": bool(sub.get("enable_dhcp")),
                        "tags": berth_tags(sub.get("tags")),
                    },
                    (net_key,),
                    owned(sub, t),
                    sub["id"],
                )
            )
    wanted_pools = {p.name for p in spec.address_pools}
    pools: dict[str, list[Doc]] = {}
    for pool in docs.subnet_pools:
        if pool.get("name") in wanted_pools:
            pools.setdefault(str(pool["name"]), []).append(pool)
    for name, group in sorted(pools.items()):
        pool = pick(group, t)
        out.append(
            Resource(
                f"subnet-pool/{name}",
                t,
                {
                    "name": name,
                    "ipVersion": pool.get("ip_version"),
                    "prefixes": sorted(pool.get("prefixes") or ()),
                    "defaultPrefixLength": _int(pool.get("default_prefixlen")),
                    "minPrefixLength": _int(pool.get("min_prefixlen")),
                    "maxPrefixLength": _int(pool.get("max_prefixlen")),
                    "shared": bool(pool.get("shared")),
                    "tags": berth_tags(pool.get("tags")),
                },
                managed=owned(pool, t),
                ref=pool["id"],
            )
        )
    catalogue = {f.name for f in spec.flavors}
    for flavor in sorted(docs.flavors, key=lambda f: (str(f.get("name")), str(f["id"]))):
        name = str(flavor.get("name"))
        if name not in catalogue or any(r.key == f"flavor/{name}" for r in out):
            continue
        out.append(
            Resource(
                f"flavor/{name}",
                t,
                {
                    "name": name,
                    "vcpus": flavor.get("vcpus"),
                    "ramMiB": flavor.get("ram"),
                    "diskGiB": flavor.get("disk"),
                    "public": bool(flavor.get("os-flavor-access:is_public", True)),
                },
                managed=True,  # the catalogue's names are berth's; nova flavors cannot carry tags
                ref=str(flavor["id"]),
            )
        )
    if docs.nova_class is not None and docs.cinder_class is not None:
        values = from_native({"compute": docs.nova_class, "volume": docs.cinder_class})
        kept = {
            f.name: values[f.name] for f in QUOTA_FIELDS if f.service in CLASS_SERVICES and f.name in values
        }
        out.append(Resource("quota-class/default", t, {"name": "default", "values": kept}, ref="default"))
    return out
