"""Observe in bulk: what OpenStack holds for a set of tenants (and the platform), as an ObservedState.

One list call per resource type, never one per tenant where OpenStack offers a list call: projects of
the site's domain, role assignments (with names), networks, subnets, routers, router-interface ports,
security groups (their rules come embedded), subnet pools, external networks, neutron's all-project
quota list, flavors. Nova and cinder have no all-project quota read, so those two GETs per project are
the floor; they run in a bounded thread pool. Private flavors cost one access read each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from ipaddress import IPv4Network
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.http import NOVA_QUOTA_MICROVERSION, call
from berth_cloud.mapping import ROUTER_INTERFACE_OWNERS, TenantDocs, map_tenants
from berth_cloud.mapping_domains import map_domains
from berth_cloud.mapping_platform import PlatformDocs, map_platform
from berth_core.errors import OpenStackError
from berth_core.ownership import project_tenant
from berth_core.platform import PLATFORM_TENANT
from berth_core.site import Site
from berth_core.state import ObservedState

# Above this many projects a project_id filter would make a URL too long for uwsgi's default buffer:
# list the type unfiltered (still one call) and keep the tenants' items client-side.
MAX_FILTER_IDS = 40
DEFAULT_WORKERS = 8


def domain_id(cloud: Cloud, name: str) -> str:
    """The identity domain's id (cached on the Cloud: it never changes during a run)."""
    cache_key = f"domain:{name}"
    if cache_key not in cloud.cache:
        body = call(cloud.conn.identity, "GET", "/domains", params={"name": name}, what=f"domain {name}")
        domains = body.get("domains") or []
        if not domains:
            raise OpenStackError(
                f"identity domain {name!r} does not exist", hint="check spec.identity.domain in cloud.yml"
            )
        cloud.cache[cache_key] = domains[0]["id"]
    return str(cloud.cache[cache_key])


def list_domains(cloud: Cloud) -> list[dict[str, Any]]:
    """Every keystone domain (one call; a site has a handful), filling domain_id's cache."""
    body = call(cloud.conn.identity, "GET", "/domains", what="list domains")
    domains = list((body or {}).get("domains") or [])
    for d in domains:
        cloud.cache[f"domain:{d['name']}"] = d["id"]
    return domains


def site_domains(cloud: Cloud, site: Site) -> dict[str, str]:
    """id -> name of the domains the site's projects live in: its own and the agencies' that exist."""
    identity = site.spec.identity
    if not identity.agency_domains:
        return {domain_id(cloud, identity.domain): identity.domain}
    names = {identity.domain, *(a.domain for a in identity.agency_domains.values())}
    found = {str(d["id"]): str(d["name"]) for d in list_domains(cloud) if d.get("name") in names}
    if identity.domain not in found.values():
        domain_id(cloud, identity.domain)  # raises: the site's own domain must exist
    return found


def _known_domains(cloud: Cloud) -> dict[str, str]:
    """id -> name of the domains looked up so far (list_projects looked up every domain it lists)."""
    return {str(v): k.removeprefix("domain:") for k, v in cloud.cache.items() if k.startswith("domain:")}


def list_projects(cloud: Cloud, site: Site) -> list[dict[str, Any]]:
    """The projects of the site's domain and of the agencies' own domains, and berth's projects wherever
    they are (one list call; a second, of the domains, only when one of berth's is elsewhere).

    A tenant of an agency that left cloud.yml's agencyDomains is still in its old domain: observed there,
    its plan is a domain move, which the planner refuses, instead of a second project in another domain.
    """
    domains = site_domains(cloud, site)
    body = call(cloud.conn.identity, "GET", "/projects", what="list projects")
    projects = [
        p
        for p in body.get("projects") or []
        if p.get("domain_id") in domains
        or project_tenant(str(p.get("name")), p.get("tags") or ()) is not None
    ]
    if any(p.get("domain_id") not in _known_domains(cloud) for p in projects):
        list_domains(cloud)
    return projects


def _project_filter(ids: list[str]) -> dict[str, Any]:
    return {"project_id": sorted(ids)} if len(ids) <= MAX_FILTER_IDS else {}


def _items(body: Any, field: str) -> list[dict[str, Any]]:
    return list((body or {}).get(field) or [])


def _neutron_list(cloud: Cloud, path: str, field: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _items(call(cloud.conn.network, "GET", path, params=params, what=f"list {field}"), field)


def _flavors(cloud: Cloud) -> list[dict[str, Any]]:
    body = call(
        cloud.conn.compute, "GET", "/flavors/detail", params={"is_public": "None"}, what="list flavors"
    )
    return _items(body, "flavors")


def _flavor_projects(cloud: Cloud, flavor_id: str, name: str) -> list[str]:
    body = call(
        cloud.conn.compute, "GET", f"/flavors/{flavor_id}/os-flavor-access", what=f"flavor {name} access"
    )
    return [a["tenant_id"] for a in _items(body, "flavor_access")]


def _quota_set(proxy: Any, path: str, what: str) -> dict[str, Any]:
    return dict((call(proxy, "GET", path, what=what) or {}).get("quota_set") or {})


def observe(
    cloud: Cloud,
    site: Site,
    tenants: Iterable[str] | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    with_platform: bool = False,
    also: Iterable[str] = (),
) -> ObservedState:
    """The observed state of `tenants` (slugs; include "platform" for the platform's resources).

    None means every project of the site's domain tagged berth:managed, and the projects named in `also`
    whether berth's or not (a plan's tenants: one made underneath under a planned name is in the
    observation, so a saved plan goes stale); with_platform adds the platform's resources to either.
    A tenant whose project does not exist yet simply has no resources.
    """
    wanted = None if tenants is None else set(tenants)
    named = set(also) - {PLATFORM_TENANT}
    with_platform = with_platform or (wanted is not None and PLATFORM_TENANT in wanted)
    projects = [
        p
        for p in list_projects(cloud, site)
        if (
            p["name"] in wanted
            if wanted is not None
            else project_tenant(p["name"], p.get("tags") or ()) is not None or p["name"] in named
        )
        and p["name"] != PLATFORM_TENANT
    ]
    ids = [str(p["id"]) for p in projects]
    idset = set(ids)
    conn = cloud.conn
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="berth-observe") as pool:
        reads = pool
        ext_nets = reads.submit(_neutron_list, cloud, "/networks", "networks", {"router:external": "true"})
        pools = reads.submit(_neutron_list, cloud, "/subnetpools", "subnetpools", {})
        flavors = reads.submit(_flavors, cloud) if ids or with_platform else None
        tenant_reads: dict[str, Future[Any]] = {}
        nova: dict[str, Future[dict[str, Any]]] = {}
        cinder: dict[str, Future[dict[str, Any]]] = {}
        if ids:
            pf = _project_filter(ids)
            tenant_reads = {
                "networks": reads.submit(_neutron_list, cloud, "/networks", "networks", pf),
                "subnets": reads.submit(_neutron_list, cloud, "/subnets", "subnets", pf),
                "routers": reads.submit(_neutron_list, cloud, "/routers", "routers", pf),
                "ports": reads.submit(
                    _neutron_list,
                    cloud,
                    "/ports",
                    "ports",
                    {**pf, "device_owner": sorted(ROUTER_INTERFACE_OWNERS)},
                ),
                "security_groups": reads.submit(
                    _neutron_list, cloud, "/security-groups", "security_groups", pf
                ),
                "quotas": reads.submit(_neutron_list, cloud, "/quotas", "quotas", {}),
                "roles": reads.submit(
                    call,
                    conn.identity,
                    "GET",
                    "/role_assignments",
                    params={"include_names": "true"},
                    what="list role assignments",
                ),
            }
            for pid in ids:
                nova[pid] = reads.submit(
                    _quota_set, conn.compute, f"/os-quota-sets/{pid}", f"nova quota {pid}"
                )
                cinder[pid] = reads.submit(
                    _quota_set, conn.block_storage, f"/os-quota-sets/{pid}", f"cinder quota {pid}"
                )
        ext_list = ext_nets.result()
        flavor_list = flavors.result() if flavors is not None else []
        catalogue_private = {f.name for f in site.spec.flavors if not f.public}
        access = {
            str(f["name"]): reads.submit(_flavor_projects, cloud, str(f["id"]), str(f["name"]))
            for f in flavor_list
            if ids and f.get("name") in catalogue_private and not f.get("os-flavor-access:is_public", True)
        }
        platform_reads: dict[str, Future[Any]] = {}
        if with_platform:
            ext_ids = [n["id"] for n in ext_list]
            if ext_ids:
                platform_reads["subnets"] = reads.submit(
                    _neutron_list, cloud, "/subnets", "subnets", {"network_id": ext_ids}
                )
            platform_reads.update(_domain_reads(reads, cloud, site))
            platform_reads["nova"] = reads.submit(_quota_class, conn.compute, "nova")
            platform_reads["cinder"] = reads.submit(_quota_class, conn.block_storage, "cinder")
        resources = []
        if ids:
            neutron_quotas = {
                q["project_id"]: q for q in tenant_reads["quotas"].result() if q.get("project_id") in idset
            }
            missing = [pid for pid in ids if pid not in neutron_quotas]
            default = _neutron_default(cloud, missing[0]) if missing else {}
            docs = TenantDocs(
                domain_name=site.spec.identity.domain,
                domain_names=_known_domains(cloud),
                projects=projects,
                role_assignments=_items(tenant_reads["roles"].result(), "role_assignments"),
                networks=[n for n in tenant_reads["networks"].result() if n.get("project_id") in idset],
                subnets=[s for s in tenant_reads["subnets"].result() if s.get("project_id") in idset],
                routers=[r for r in tenant_reads["routers"].result() if r.get("project_id") in idset],
                ports=tenant_reads["ports"].result(),
                security_groups=[
                    g for g in tenant_reads["security_groups"].result() if g.get("project_id") in idset
                ],
                subnet_pool_names={p["id"]: p["name"] for p in pools.result()},
                external_network_names={n["id"]: n["name"] for n in ext_list},
                nova_quotas={pid: f.result() for pid, f in nova.items()},
                neutron_quotas=neutron_quotas,
                neutron_default_quota=default,
                cinder_quotas={pid: f.result() for pid, f in cinder.items()},
                flavor_access={name: f.result() for name, f in access.items()},
            )
            resources.extend(map_tenants(docs, site))
        if with_platform:
            sub_future = platform_reads.get("subnets")
            pdocs = PlatformDocs(
                external_networks=ext_list,
                external_subnets=sub_future.result() if sub_future is not None else [],
                subnet_pools=pools.result(),
                flavors=flavor_list,
                nova_class=platform_reads["nova"].result(),
                cinder_class=platform_reads["cinder"].result(),
            )
            resources.extend(map_platform(pdocs, site))
            resources.extend(_domain_resources(platform_reads, site))
    slugs = set(wanted) if wanted is not None else {str(p["name"]) for p in projects} | named
    if with_platform:
        slugs.add(PLATFORM_TENANT)
    return ObservedState.of(resources, slugs)


def _domain_reads(reads: ThreadPoolExecutor, cloud: Cloud, site: Site) -> dict[str, Future[Any]]:
    """The agencies' domains and every role assignment (two calls), when the site names any."""
    if not site.spec.identity.agency_domains:
        return {}
    params = {"include_names": "true"}
    return {
        "domains": reads.submit(list_domains, cloud),
        "grants": reads.submit(
            call, cloud.conn.identity, "GET", "/role_assignments", params=params, what="list role assignments"
        ),
    }


def _domain_resources(platform_reads: Mapping[str, Future[Any]], site: Site) -> list[Any]:
    if "domains" not in platform_reads:
        return []
    grants = _items(platform_reads["grants"].result(), "role_assignments")
    return map_domains(platform_reads["domains"].result(), grants, site.spec.identity)


def _quota_class(proxy: Any, service: str) -> dict[str, Any]:
    version = NOVA_QUOTA_MICROVERSION if service == "nova" else None
    body = call(
        proxy,
        "GET",
        "/os-quota-class-sets/default",
        what=f"{service} default quota class",
        microversion=version,
    )
    return dict((body or {}).get("quota_class_set") or {})


def _neutron_default(cloud: Cloud, project_id: str) -> dict[str, Any]:
    body = call(cloud.conn.network, "GET", f"/quotas/{project_id}/default", what="neutron default quota")
    return dict((body or {}).get("quota") or {})


def pool_allocations(cloud: Cloud, site: Site) -> dict[tuple[str, str], IPv4Network]:
    """Every subnet carved from the site's subnet pools, berth's or not, as IPAM ledger entries.

    Three list calls whatever the number of tenants. Keys are (project name, subnet name); a subnet
    of a project outside the site's domain is keyed by its project id. Planning with these taken
    never proposes a CIDR that Neutron's pool would refuse.
    """
    names = {p.name for p in site.spec.address_pools}
    pools = [p for p in _neutron_list(cloud, "/subnetpools", "subnetpools", {}) if p.get("name") in names]
    if not pools:
        return {}
    subnets = _neutron_list(cloud, "/subnets", "subnets", {"subnetpool_id": sorted(p["id"] for p in pools)})
    projects = {str(p["id"]): str(p["name"]) for p in list_projects(cloud, site)}
    out: dict[tuple[str, str], IPv4Network] = {}
    for sub in subnets:
        owner = projects.get(str(sub.get("project_id")), str(sub.get("project_id")))
        key = (owner, str(sub.get("name") or sub["id"]))
        if key in out:
            key = (owner, str(sub["id"]))
        out[key] = IPv4Network(str(sub["cidr"]))
    return out
