"""The agencies' tenants as the cloud holds them: list, show, and the staged destroy.

Destroy is staged: disable the project and say what would go (`preview`), let the caller confirm, then
purge berth's resources, release the tenant's addresses in the IPAM ledger and write the audit record,
all under the site's lock. Nothing of other tenants or of the platform is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_cloud import DestroyPreview, PurgeResult
    from berth_core.state import ObservedState, Resource


def _of_kind(observed: ObservedState, slug: str, kind: str) -> list[Resource]:
    return [r for r in observed.resources.values() if r.tenant == slug and r.kind == kind]


def summary(observed: ObservedState, slug: str) -> dict[str, Any]:
    """One tenant as `tenant list` and `tenant show` report it."""
    project = observed.resources.get(f"project/{slug}")
    attrs = dict(project.attrs) if project is not None else {}
    quota = observed.resources.get(f"quota/{slug}")
    values = dict(quota.attrs.get("values", {})) if quota is not None else {}
    return {
        "slug": slug,
        "displayName": attrs.get("displayName", ""),
        "agency": attrs.get("agency", ""),
        "enabled": attrs.get("enabled", False),
        "projectId": project.ref if project is not None else None,
        "cores": values.get("cores"),
        "ramGiB": values.get("ramGiB"),
        "networks": {
            str(r.attrs.get("name")): str(r.attrs.get("cidr")) for r in _of_kind(observed, slug, "subnet")
        },
        "members": sorted(
            f"{r.attrs.get('principalType')}:{r.attrs.get('principal')} ({r.attrs.get('role')})"
            for r in _of_kind(observed, slug, "role-assignment")
        ),
        "securityGroups": sorted(str(r.attrs.get("name")) for r in _of_kind(observed, slug, "secgroup")),
    }


def list_tenants(ctx: SiteContext) -> tuple[str, list[dict[str, Any]]]:
    """The site's name and every berth-managed tenant of it."""
    from berth_cli.services.inputs import load_site_only
    from berth_cli.services.planning import open_cloud
    from berth_cloud import observe

    site, _ = load_site_only(ctx)
    observed = observe(open_cloud(ctx), site, None)
    return site.name, [summary(observed, slug) for slug in observed.tenants]


def show_tenant(ctx: SiteContext, slug: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One tenant's summary and its usage per quota field (limit, in use)."""
    from berth_cli.services.inputs import load_site_only
    from berth_cli.services.planning import open_cloud
    from berth_cloud import observe
    from berth_cloud.usage import tenant_usage
    from berth_core.errors import UsageError

    site, _ = load_site_only(ctx)
    cloud = open_cloud(ctx)
    observed = observe(cloud, site, [slug])
    project = observed.resources.get(f"project/{slug}")
    if project is None or project.ref is None:
        raise UsageError(f"no tenant {slug!r} in site {site.name}", hint="berth tenant list")
    return summary(observed, slug), dict(tenant_usage(cloud, project.ref))


@dataclass(frozen=True)
class Destroyed:
    slug: str
    result: PurgeResult
    manifest_left: bool  # the tenant's manifest is still in manifests/: the next apply re-creates it


def destroy_tenant(
    ctx: SiteContext,
    slug: str,
    *,
    reason: str,
    delete_project: bool,
    show: Callable[[DestroyPreview], None],
    confirm: Callable[[], bool],
) -> Destroyed:
    """Disable, show, confirm (False: stop with the project disabled), purge, release, audit."""
    from berth_cli.services.inputs import load_site_only
    from berth_cli.services.planning import open_cloud
    from berth_cli.state.lock import site_lock
    from berth_cloud import purge_tenant, stage_destroy
    from berth_core.errors import UsageError

    if slug == "platform":
        raise UsageError("the platform is not a tenant and is never destroyed by berth")
    site, _ = load_site_only(ctx)
    with site_lock(ctx.state_dir, f"berth tenant destroy {slug} --site {ctx.site}"):
        cloud = open_cloud(ctx)
        preview = stage_destroy(cloud, site, slug)
        show(preview)
        if not confirm():
            raise UsageError(
                f"nothing purged: {slug} stays disabled",
                hint="`berth apply -f <its manifest>` re-enables it; re-run destroy to purge",
            )
        result = purge_tenant(cloud, site, slug, delete_project=delete_project)
        _forget_tenant(ctx, slug, reason, len(result.deleted_keys), result.cleaned)
    return Destroyed(slug, result, (ctx.manifests_dir / f"{slug}.yaml").exists())


def _forget_tenant(ctx: SiteContext, slug: str, reason: str, deleted: int, cleaned: int) -> None:
    """Release the tenant's addresses in the ledger and write the audit record."""
    from berth_cli.state.audit_log import record
    from berth_cli.state.ledger import read_ledger, write_ledger
    from berth_core.ipam import Ledger

    ledger = read_ledger(ctx.state_dir)
    write_ledger(ctx.state_dir, Ledger({k: v for k, v in ledger.entries.items() if k[0] != slug}))
    record(
        ctx.state_dir,
        site=ctx.site,
        action="destroy",
        result="ok",
        reason=reason,
        summary={"tenant": slug, "deleted": deleted, "cleaned": cleaned},
    )
