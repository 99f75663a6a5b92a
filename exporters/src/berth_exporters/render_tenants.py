"""Tenant families (quota and usage per resource, info with the Vietnamese name) and address pools.

A tenant is a project berth manages (tagged berth:managed). Quota and usage come from different
collectors; a resource is published for a tenant only when its collector holds that project's values,
so a project whose quota read failed loses only its own series.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

from berth_core.admission import Commitment
from berth_core.site import Site
from berth_core.tenant_metrics import QUOTA, TENANT_INFO, TENANT_LABELS, TENANT_RESOURCES, USAGE
from berth_exporters.families import Families
from berth_exporters.observations import Observation, Project, tenant_slug


@dataclass(frozen=True)
class Tenant:
    slug: str
    agency: str
    project: Project


def tenants_of(projects: Sequence[Project]) -> list[Tenant]:
    out = [Tenant(slug, p["agency"], p) for p in projects if (slug := tenant_slug(p)) is not None]
    return sorted(out, key=lambda t: t.slug)


def commitments(
    tenants: Sequence[Tenant], observations: Mapping[str, Observation | None]
) -> list[Commitment]:
    """Each tenant's quota in berth's field names, for berth_core.admission (committed quota, headroom)."""
    compute = (observations.get("compute") or {}).get("quotas", {})
    storage = (observations.get("blockstorage") or {}).get("quotas", {})
    out: list[Commitment] = []
    for t in tenants:
        c = compute.get(t.project["id"], {})
        s = storage.get(t.project["id"], {})
        ram = c.get("ram_mib", 0)
        quota = {
            "cores": c.get("cores", 0),
            "ramGiB": -1 if ram == -1 else math.ceil(ram / 1024),
            "volumeGiB": s.get("volume_gib", 0),
        }
        out.append(Commitment(t.slug, t.agency or "?", quota))
    return out


def unknown_quota_families(
    out: Families, tenants: Sequence[Tenant], observations: Mapping[str, Observation | None]
) -> None:
    """Tenants whose quota read failed this round: committed quota is a lower bound while this is > 0."""
    for collector, resources in (("compute", ("vcpu", "memory")), ("blockstorage", ("volume",))):
        obs = observations.get(collector)
        if obs is None:
            continue
        missing = sum(1 for t in tenants if t.project["id"] not in obs["quotas"])
        for resource in resources:
            out.gauge(
                "berth_cloud_quota_unknown_tenants",
                "Tenants whose quota could not be read (left out of committed quota, which is then a lower bound).",
                ["resource"],
                [resource],
                missing,
            )


def tenant_families(
    out: Families, tenants: Sequence[Tenant], observations: Mapping[str, Observation | None]
) -> None:
    """Names and resources from berth_core.tenant_metrics (the showback report reads the same ones)."""
    counted, in_bytes = TENANT_RESOURCES[0], next(r for r in TENANT_RESOURCES if r.in_bytes)
    for kind in (QUOTA, USAGE):
        what = "Quota (limit; +Inf when unlimited)" if kind == QUOTA else "Usage"
        out.declare(
            counted.metric(kind), f"{what} of a tenant, counted resources.", [*TENANT_LABELS, "resource"]
        )
        out.declare(in_bytes.metric(kind), f"{what} of a tenant, in bytes.", [*TENANT_LABELS, "resource"])
    info_help = "A berth tenant: its Vietnamese display name and domain (value 1)."
    out.declare(TENANT_INFO, info_help, [*TENANT_LABELS, "display_name", "domain"])
    for t in tenants:
        pid = t.project["id"]
        ids = [t.slug, t.agency, pid]
        out.gauge(
            TENANT_INFO,
            info_help,
            [*TENANT_LABELS, "display_name", "domain"],
            [*ids, t.project["display_name"], t.project["domain_id"]],
            1,
        )
        for r in TENANT_RESOURCES:
            obs = observations.get(r.collector)
            if obs is None:
                continue
            quota = obs["quotas"].get(pid, {}).get(r.key)
            if quota is not None:
                value = math.inf if quota == -1 else quota * r.scale
                out.gauge(
                    r.metric(QUOTA),
                    "Quota (limit; +Inf when unlimited) of a tenant.",
                    [*TENANT_LABELS, "resource"],
                    [*ids, r.label],
                    value,
                )
            if pid in obs["quotas"] or r.key in obs["usage"].get(pid, {}):
                used = obs["usage"].get(pid, {}).get(r.key, 0)
                out.gauge(
                    r.metric(USAGE),
                    "Usage of a tenant.",
                    [*TENANT_LABELS, "resource"],
                    [*ids, r.label],
                    used * r.scale,
                )


def _free_aligned_blocks(pool: IPv4Network, prefix_length: int, taken: Sequence[IPv4Network]) -> int:
    """Blocks of the pool's default size that no subnet touches: what IPAM can still hand out."""
    size = 2 ** (32 - prefix_length)
    start = int(pool.network_address)
    blocked: set[int] = set()
    for net in taken:
        first = (int(net.network_address) - start) // size
        last = (int(net.broadcast_address) - start) // size
        blocked.update(range(first, last + 1))
    return int(pool.num_addresses // size - len(blocked))


def pool_families(out: Families, site: Site, network: Observation | None) -> None:
    subnets: list[IPv4Network] = []
    if network is not None:
        for s in network["subnets"]:
            try:
                net = IPv4Network(s["cidr"])
            except ValueError:
                continue  # IPv6 subnets are not in berth's IPv4 pools
            subnets.append(net)
    for pool in site.spec.address_pools:
        inside = [n for n in subnets if n.subnet_of(pool.cidr)]
        labels = ["pool", "cidr"]
        values = [pool.name, str(pool.cidr)]
        rows = (
            (
                "berth_address_pool_addresses",
                "Addresses in the tenant address pool.",
                pool.cidr.num_addresses,
            ),
            (
                "berth_address_pool_prefixes",
                "Prefixes of the pool's default length (defaultPrefixLength) the pool holds.",
                2 ** (pool.default_prefix_length - pool.cidr.prefixlen),
            ),
        )
        for name, text, value in rows:
            out.gauge(name, text, labels, values, value)
        if network is None:
            continue
        used_rows = (
            (
                "berth_address_pool_allocated_addresses",
                "Addresses of the pool taken by Neutron subnets.",
                sum(n.num_addresses for n in inside),
            ),
            (
                "berth_address_pool_allocated_prefixes",
                "Neutron subnets allocated from the pool.",
                len(inside),
            ),
            (
                "berth_address_pool_free_prefixes",
                "Prefixes of the default length still wholly free in the pool.",
                _free_aligned_blocks(pool.cidr, pool.default_prefix_length, inside),
            ),
        )
        for name, text, value in used_rows:
            out.gauge(name, text, labels, values, value)
