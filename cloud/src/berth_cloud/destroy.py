"""Staged destroy of a tenant: stage (dry run, then disable), then purge.

openstacksdk's project cleanup works on the project its token is scoped to, and keystone issues no
token for a disabled project. So `stage_destroy` gives the operator's own user the site's member role
on the project, runs `project_cleanup(dry_run=True)` through a connection scoped to it, lists berth's
own resources, and only then disables the project. `purge_tenant` removes the agency's role
assignments first (so no agency user can act), re-enables the project for the operator alone, runs
the cleanup for real, deletes what berth still owns there, writes the site's default quota class,
removes berth's tags and the operator's role, and leaves the project disabled, or deletes it and then
sweeps what the cleanup leaves by project id (the `default` security group, quota rows).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.context import ApplyContext
from berth_cloud.engine import ProgressCallback, apply
from berth_cloud.executors_identity import write_quota
from berth_cloud.http import call
from berth_cloud.mapping import ROUTER_INTERFACE_OWNERS
from berth_cloud.observe import observe
from berth_core.errors import OpenStackError
from berth_core.manifest import QuotaRequest
from berth_core.plan import make_plan
from berth_core.quota import resolve_quota
from berth_core.site import Site
from berth_core.state import State

KEEP_UNTIL_LAST = frozenset({"project", "quota"})


@dataclass(frozen=True)
class DestroyPreview:
    slug: str
    project_id: str
    berth_owned: tuple[str, ...]  # berth keys that purge deletes
    cleanup: tuple[tuple[str, str, str], ...]  # (type, id, name) project cleanup would delete


@dataclass
class PurgeResult:
    deleted_keys: list[str] = field(default_factory=list)
    cleaned: int = 0  # resources removed by project cleanup
    project_deleted: bool = False


def _project(cloud: Cloud, site: Site, slug: str) -> dict[str, Any]:
    from berth_cloud.observe import list_projects

    found = [p for p in list_projects(cloud, site) if p["name"] == slug]
    if not found:
        raise OpenStackError(f"project/{slug}: no such project in domain {site.spec.identity.domain!r}")
    return found[0]


def _set_enabled(cloud: Cloud, project_id: str, enabled: bool, slug: str) -> None:
    call(
        cloud.conn.identity,
        "PATCH",
        f"/projects/{project_id}",
        json={"project": {"enabled": enabled}},
        what=f"project/{slug}",
    )


def _operator_role(cloud: Cloud, site: Site, project_id: str, method: str) -> None:
    from berth_cloud.resolver import Resolver

    role = Resolver(cloud).role(site.spec.identity.member_role)
    user = cloud.conn.current_user_id
    call(
        cloud.conn.identity,
        method,
        f"/projects/{project_id}/users/{user}/roles/{role}",
        ok=(200, 201, 204, 404),
        what=f"operator role on project {project_id}",
    )


def _cleanup(cloud: Cloud, project: dict[str, Any], dry_run: bool) -> list[tuple[str, str, str]]:
    """openstacksdk's project cleanup through a connection scoped to the tenant's project."""
    scoped = cloud.conn.connect_as_project({"id": project["id"], "domain_id": project.get("domain_id")})
    found: queue.Queue[Any] = queue.Queue()
    try:
        scoped.project_cleanup(dry_run=dry_run, wait_timeout=300, status_queue=found)
    finally:
        scoped.close()
    out: list[tuple[str, str, str]] = []
    while not found.empty():
        res = found.get()
        out.append((type(res).__name__, str(getattr(res, "id", "")), str(getattr(res, "name", "") or "")))
    return sorted(out)


def stage_destroy(cloud: Cloud, site: Site, slug: str) -> DestroyPreview:
    """What purge would remove (dry run; nothing deleted), then the project is disabled."""
    project = _project(cloud, site, slug)
    pid = str(project["id"])
    observed = observe(cloud, site, [slug])
    owned = tuple(k for k, r in observed.resources.items() if r.managed and r.tenant == slug)
    if not project.get("enabled", True):
        _set_enabled(cloud, pid, True, slug)  # a re-staged destroy: keystone scopes no token to it
    _operator_role(cloud, site, pid, "PUT")
    try:
        cleanup = _cleanup(cloud, project, dry_run=True)
    finally:
        _operator_role(cloud, site, pid, "DELETE")  # purge grants it again; an aborted destroy leaves none
        _set_enabled(cloud, pid, False, slug)
    return DestroyPreview(slug, pid, owned, tuple(cleanup))


def _default_quota(site: Site) -> dict[str, int]:
    request = QuotaRequest.model_validate({"class": site.spec.default_quota_class})
    return resolve_quota(request, site).as_dict()


def purge_tenant(
    cloud: Cloud,
    site: Site,
    slug: str,
    *,
    delete_project: bool = False,
    progress: ProgressCallback | None = None,
) -> PurgeResult:
    """Delete everything in the tenant's project and everything berth owns for it; see module doc."""
    project = _project(cloud, site, slug)
    pid = str(project["id"])
    result = PurgeResult()
    observed = observe(cloud, site, [slug])
    operator = cloud.conn.current_user_id
    agency_roles = State.of(
        (
            r
            for r in observed.resources.values()
            if r.kind == "role-assignment" and f"/{operator}/" not in (r.ref or "")
        ),
        [slug],
    )
    empty = State.of([], [slug])
    # 1. the agency loses access before the project is enabled again for the cleanup
    _apply_deletes(
        cloud,
        empty,
        observed=observed,
        keys=agency_roles.resources,
        site=site,
        progress=progress,
        result=result,
    )
    # router interfaces would keep the cleanup from deleting routers and subnets
    interfaces = [k for k, r in observed.resources.items() if r.managed and r.kind == "router-interface"]
    _apply_deletes(
        cloud, empty, observed=observed, keys=interfaces, site=site, progress=progress, result=result
    )
    _operator_role(cloud, site, pid, "PUT")
    _set_enabled(cloud, pid, True, slug)
    try:
        result.cleaned = len(_cleanup(cloud, project, dry_run=False))
        # 2. what berth still owns there (tagged networks, groups, routers, access grants ...)
        observed = observe(cloud, site, [slug])
        rest = [k for k, r in observed.resources.items() if r.managed and r.kind not in KEEP_UNTIL_LAST]
        _apply_deletes(
            cloud, empty, observed=observed, keys=rest, site=site, progress=progress, result=result
        )
        # 3. default quotas, berth's tags off: nothing tagged for this tenant remains
        ctx = ApplyContext(cloud, empty, observed)
        write_quota(ctx, pid, _default_quota(site), f"quota/{slug}")
        for tag in project.get("tags") or ():
            if tag.startswith("berth:"):
                call(
                    cloud.conn.identity,
                    "DELETE",
                    f"/projects/{pid}/tags/{tag}",
                    ok=(204, 404),
                    what=f"project/{slug}",
                )
    finally:
        _set_enabled(cloud, pid, False, slug)
        _operator_role(cloud, site, pid, "DELETE")
    if delete_project:
        call(cloud.conn.identity, "DELETE", f"/projects/{pid}", ok=(204, 404), what=f"project/{slug}")
        result.project_deleted = True
        # after keystone: nothing can make neutron re-create the project's default group any more
        result.cleaned += sweep_project(cloud, pid, slug)
    return result


# Neutron collections a project can own, in an order that deletes users before what they use (ports
# before networks, a group's rules with the group). Router interfaces were detached before the cleanup.
NEUTRON_OWNED: tuple[tuple[str, str], ...] = (
    ("/floatingips", "floatingips"),
    ("/ports", "ports"),
    ("/routers", "routers"),
    ("/subnets", "subnets"),
    ("/networks", "networks"),
    ("/security-groups", "security_groups"),
    ("/subnetpools", "subnetpools"),
    ("/address-scopes", "address_scopes"),
    ("/rbac-policies", "rbac_policies"),
)
# Per-project quota rows: DELETE reverts the project to the defaults and removes the row.
QUOTA_ROWS: tuple[tuple[str, str], ...] = (
    ("network", "/quotas/{pid}"),
    ("compute", "/os-quota-sets/{pid}"),
    ("block_storage", "/os-quota-sets/{pid}"),
)


# Listing security groups (or rules) filtered by a project id makes neutron create that project's
# `default` group, deleted project or not: those two are listed whole and filtered here.
UNFILTERED = frozenset({"/security-groups", "/security-group-rules"})


def _owned(cloud: Cloud, project_id: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path, field_name in NEUTRON_OWNED:
        params = {} if path in UNFILTERED else {"project_id": project_id}
        body = call(
            cloud.conn.network, "GET", path, params=params, what=f"list {field_name} of project {project_id}"
        )
        items = (body or {}).get(field_name) or ()
        found.extend((path, dict(item)) for item in items if item.get("project_id") == project_id)
    return found


def leftovers(cloud: Cloud, project_id: str) -> list[tuple[str, str, str]]:
    """(collection, id, name) of every neutron resource still owned by `project_id`."""
    return [(path, str(item["id"]), str(item.get("name") or "")) for path, item in _owned(cloud, project_id)]


def sweep_project(cloud: Cloud, project_id: str, slug: str) -> int:
    """Delete what the project cleanup leaves of a deleted project (its `default` security group above
    all: openstacksdk never deletes it) and its quota rows; the number of resources deleted."""
    network = cloud.conn.network
    swept = 0
    for path, item in _owned(cloud, project_id):
        rid, label = str(item["id"]), f"project/{slug}: {path.strip('/')} {item.get('name') or item['id']}"
        if path == "/ports" and str(item.get("device_owner", "")) in ROUTER_INTERFACE_OWNERS:
            # neutron refuses to delete an interface port directly: detach it from its router
            url = f"/routers/{item['device_id']}/remove_router_interface"
            call(network, "PUT", url, json={"port_id": rid}, ok=(200, 404), what=label)
        else:
            if path == "/routers" and item.get("external_gateway_info"):
                no_gateway: dict[str, Any] = {"router": {"external_gateway_info": {}}}
                call(network, "PUT", f"/routers/{rid}", json=no_gateway, what=label)
            call(network, "DELETE", f"{path}/{rid}", ok=(204, 404), what=label)
        swept += 1
    for proxy, template in QUOTA_ROWS:
        call(
            getattr(cloud.conn, proxy),
            "DELETE",
            template.format(pid=project_id),
            ok=(200, 202, 204, 404),
            what=f"project/{slug}: {proxy} quota",
        )
    return swept


def _apply_deletes(
    cloud: Cloud,
    empty: State,
    *,
    observed: State,
    keys: Any,
    site: Site,
    progress: Callable[..., None] | None,
    result: PurgeResult,
) -> None:
    from berth_core.state import ObservedState

    chosen = set(keys)
    if not chosen:
        return
    subset = ObservedState.of((r for k, r in observed.resources.items() if k in chosen), observed.tenants)
    plan = make_plan(site.name, empty, subset)
    applied = apply(cloud, plan, empty, subset, progress=progress)
    result.deleted_keys.extend(a.key for a in applied.applied)
