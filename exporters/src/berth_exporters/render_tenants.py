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
from berth_exporters.families import GIB, MIB, Families
from berth_exporters.observations import Observation, Project, tenant_slug

# (metric resource label, collector, key in its observation, factor to the base unit, byte metric?)
TENANT_RESOURCES: tuple[tuple[str, str, str, int, bool], ...] = (
    ("instances", "compute", "instances", 1, False),
    ("cores", "compute", "cores", 1, False),
    ("ram", "compute", "ram_mib", MIB, True),
    ("volumes", "blockstorage", "volumes", 1, False),
    ("volume", "blockstorage", "volume_gib", GIB, True),
    ("networks", "network", "networks", 1, False),
    ("ports", "network", "ports", 1, False),
    ("routers", "network", "routers", 1, False),
    ("floating_ips", "network", "floating_ips", 1, False),
    ("security_groups", "network", "security_groups", 1, False),
)
TENANT_LABELS = ("tenant", "agency", "project_id")


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
    for kind in ("quota", "usage"):
        what = "Quota (limit; +Inf when unlimited)" if kind == "quota" else "Usage"
        out.declare(
            f"berth_tenant_{kind}", f"{what} of a tenant, counted resources.", [*TENANT_LABELS, "resource"]
        )
        out.declare(
            f"berth_tenant_{kind}_bytes", f"{what} of a tenant, in bytes.", [*TENANT_LABELS, "resource"]
        )
    out.declare(
        "berth_tenant_info",
        "A berth tenant: its Vietnamese display name and domain (value 1).",
        [*TENANT_LABELS, "display_name", "domain"],
    )
    for t in tenants:
        pid = t.project["id"]
        ids = [t.slug, t.agency, pid]
        out.gauge(
            "berth_tenant_info",
            "A berth tenant: its Vietnamese display name and domain (value 1).",
            [*TENANT_LABELS, "display_name", "domain"],
            [*ids, t.project["display_name"], t.project["domain_id"]],
            1,
        )
        for resource, collector, key, scale, in_bytes in TENANT_RESOURCES:
            obs = observations.get(collector)
            if obs is None:
                continue
            suffix = "_bytes" if in_bytes else ""
            quota = obs["quotas"].get(pid, {}).get(key)
            if quota is not None:
                value = math.inf if quota == -1 else quota * scale
                out.gauge(
                    f"berth_tenant_quota{suffix}",
                    "Quota (limit; +Inf when unlimited) of a tenant.",
                    [*TENANT_LABELS, "resource"],
                    [*ids, resource],
                    value,
                )
            if pid in obs["quotas"] or key in obs["usage"].get(pid, {}):
                used = obs["usage"].get(pid, {}).get(key, 0)
                out.gauge(
                    f"berth_tenant_usage{suffix}",
                    "Usage of a tenant.",
                    [*TENANT_LABELS, "resource"],
                    [*ids, resource],
                    used * scale,
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
