"""Executors for keystone and nova/cinder/neutron quota resources: project, quota, role assignment,
flavor access. Each returns the OpenStack id (ref) of what it created."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from berth_cloud.context import ApplyContext, add_tags, missing_tags, remove_tags, stale_tags
from berth_cloud.mapping import AGENCY_ATTR, DISPLAY_NAME_ATTR
from berth_core.diff import Change
from berth_core.errors import OpenStackError
from berth_core.quota import to_native
from berth_core.quota_fields import QUOTA_FIELDS, Service

NATIVE_ENVELOPE: dict[Service, tuple[str, str, str]] = {
    # service -> (proxy attribute, path prefix, body key)
    "compute": ("compute", "/os-quota-sets", "quota_set"),
    "network": ("network", "/quotas", "quota"),
    "volume": ("block_storage", "/os-quota-sets", "quota_set"),
}


def _project_body(after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "description": after.get("description") or "",
        "enabled": bool(after.get("enabled", True)),
        DISPLAY_NAME_ATTR: after.get("displayName"),
        AGENCY_ATTR: after.get("agency"),
    }


def project_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    body = {
        "name": after["name"],
        "domain_id": ctx.resolver.domain(str(after["domain"])),
        "tags": list(after.get("tags") or []),
        **_project_body(after),
    }
    created = ctx.call(
        ctx.conn.identity, "POST", "/projects", json={"project": body}, what=change.key, idempotent=False
    )
    return str(created["project"]["id"])


def project_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    if change.replace:
        raise OpenStackError(
            f"{change.key}: a project cannot be renamed or moved to another domain",
            hint="a tenant's slug and the site's identity domain are fixed once applied",
        )
    ctx.call(
        ctx.conn.identity,
        "PATCH",
        f"/projects/{ref}",
        json={"project": _project_body(after)},
        what=change.key,
    )
    identity = ctx.conn.identity  # keystone's project tags take the same per-tag calls as neutron's
    add_tags(ctx, identity, "projects", ref, tags=missing_tags(change.before, after), what=change.key)
    remove_tags(ctx, identity, "projects", ref, tags=stale_tags(change.before, after), what=change.key)


def project_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    # keystone refuses to delete an enabled project only in some policies: disable first, always works
    ctx.call(
        ctx.conn.identity,
        "PATCH",
        f"/projects/{ref}",
        json={"project": {"enabled": False}},
        ok=(200, 404),
        what=change.key,
    )
    ctx.call(ctx.conn.identity, "DELETE", f"/projects/{ref}", ok=(204, 404), what=change.key)


def write_quota(
    ctx: ApplyContext,
    project_id: str,
    values: Mapping[str, int],
    what: str,
    services: set[Service] | None = None,
) -> None:
    """Every field of each service, explicitly (never a provider default); the services side by side."""
    native = to_native(values)

    def put(service: Service) -> None:
        proxy_name, prefix, envelope = NATIVE_ENVELOPE[service]
        ctx.call(
            getattr(ctx.conn, proxy_name),
            "PUT",
            f"{prefix}/{project_id}",
            json={envelope: native[service]},
            what=f"{what} ({service})",
        )

    chosen = [s for s in native if services is None or s in services]
    with ThreadPoolExecutor(max_workers=len(chosen) or 1, thread_name_prefix="berth-quota") as pool:
        for future in [pool.submit(put, s) for s in chosen]:
            future.result()


def changed_services(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> set[Service]:
    old = dict((before or {}).get("values") or {})
    new = dict(after.get("values") or {})
    return {f.service for f in QUOTA_FIELDS if old.get(f.name) != new.get(f.name)}


def quota_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    pid = ctx.ref(str(after["project"]))
    write_quota(ctx, pid, after["values"], change.key)
    return pid


def quota_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    write_quota(ctx, ref, after["values"], change.key, changed_services(change.before, after))


def quota_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    """Back to the cloud's defaults (what OpenStack's own quota delete means)."""
    for proxy_name, prefix, _ in NATIVE_ENVELOPE.values():
        ctx.call(
            getattr(ctx.conn, proxy_name),
            "DELETE",
            f"{prefix}/{ref}",
            ok=(200, 202, 204, 404),
            what=change.key,
        )


def _assignment_path(ctx: ApplyContext, after: Mapping[str, Any], domain: str) -> str:
    pid = ctx.ref(str(after["project"]))
    kind = str(after["principalType"])
    actor = ctx.resolver.principal(kind, str(after["principal"]), domain)
    role = ctx.resolver.role(str(after["role"]))
    return f"/projects/{pid}/{kind}s/{actor}/roles/{role}"


def _project_domain(ctx: ApplyContext, project_key: str) -> str:
    project = ctx.desired.resources.get(project_key) or ctx.observed.resources.get(project_key)
    return str(project.attrs.get("domain", "Default")) if project is not None else "Default"


def role_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    path = _assignment_path(ctx, after, _project_domain(ctx, str(after["project"])))
    ctx.call(ctx.conn.identity, "PUT", path, what=change.key)
    return path.removeprefix("/projects/").replace("/roles/", "/")


def role_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    pid, kind, actor, role = ref.split("/")
    ctx.call(
        ctx.conn.identity,
        "DELETE",
        f"/projects/{pid}/{kind}/{actor}/roles/{role}",
        ok=(204, 404),
        what=change.key,
    )


def flavor_access_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    pid = ctx.ref(str(after["project"]))
    flavor = str(after["flavor"])
    body = {"addTenantAccess": {"tenant": pid}}
    # 409: the grant exists already, which is what was asked
    ctx.call(
        ctx.conn.compute,
        "POST",
        f"/flavors/{ctx.resolver.flavor(flavor)}/action",
        json=body,
        ok=(200, 409),
        what=change.key,
    )
    return f"{flavor}:{pid}"


def flavor_access_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    flavor, pid = ref.rsplit(":", 1)
    body = {"removeTenantAccess": {"tenant": pid}}
    ctx.call(
        ctx.conn.compute,
        "POST",
        f"/flavors/{ctx.resolver.flavor(flavor)}/action",
        json=body,
        ok=(200, 404),
        what=change.key,
    )
