"""`berth tenant list|show|destroy`: the agencies' tenants as the cloud holds them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import OPTIONS

if TYPE_CHECKING:
    from berth_core.state import ObservedState, Resource

group = typer.Typer(help="List, inspect and (staged) destroy agency tenants.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="tenant")


def _shown(value: object, limit: int | None = 200) -> str:
    """Text from the cloud (names, ids) for rich: controls escaped and long text cut, never markup."""
    from rich.markup import escape

    from berth_core.safe_text import printable

    return escape(printable(str(value), limit))


def _of_kind(observed: ObservedState, slug: str, kind: str) -> list[Resource]:
    return [r for r in observed.resources.values() if r.tenant == slug and r.kind == kind]


def _summary(observed: ObservedState, slug: str) -> dict[str, object]:
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


@group.command("list")
def list_tenants() -> None:
    """Every berth-managed tenant of the site: agency, state, quota, networks."""
    from berth_cli.workflow import load_site_only, open_cloud
    from berth_cloud import observe

    site, _ = load_site_only()
    observed = observe(open_cloud(), site, None)
    rows = [_summary(observed, slug) for slug in observed.tenants]
    if OPTIONS.output == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    from berth_cli.rendering.console import console

    table = Table(title=f"tenants of site {site.name}", title_justify="left")
    for column in ("tenant", "name", "agency", "enabled", "cores", "RAM GiB", "networks"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            _shown(row["slug"]),
            _shown(row["displayName"]),
            _shown(row["agency"]),
            "yes" if row["enabled"] else "[red]no[/]",
            str(row["cores"]),
            str(row["ramGiB"]),
            _shown(", ".join(f"{n} {c}" for n, c in row["networks"].items())),  # type: ignore[attr-defined]
        )
    console().print(table)


@group.command("show")
def show(slug: Annotated[str, typer.Argument(help="The tenant's slug.")]) -> None:
    """One tenant: quota and usage per field, networks, security groups, members."""
    from berth_cli.workflow import load_site_only, open_cloud
    from berth_cloud import observe
    from berth_cloud.usage import tenant_usage
    from berth_core.errors import UsageError

    site, _ = load_site_only()
    cloud = open_cloud()
    observed = observe(cloud, site, [slug])
    project = observed.resources.get(f"project/{slug}")
    if project is None or project.ref is None:
        raise UsageError(f"no tenant {slug!r} in site {site.name}", hint="berth tenant list")
    summary = _summary(observed, slug)
    usage = tenant_usage(cloud, project.ref)
    if OPTIONS.output == "json":
        summary["usage"] = {k: {"limit": v.limit, "inUse": v.in_use} for k, v in usage.items()}
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    from berth_cli.rendering.console import console

    out = console()
    out.print(
        f"[bold]{_shown(slug)}[/] {_shown(summary['displayName'])} (agency {_shown(summary['agency'])})"
    )
    out.print(
        f"project {_shown(summary['projectId'])}, {'enabled' if summary['enabled'] else '[red]disabled[/]'}"
    )
    table = Table(title="quota and usage", title_justify="left")
    for column in ("field", "in use", "limit"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, u in usage.items():
        table.add_row(_shown(name), f"{u.in_use:g}", "unlimited" if u.limit < 0 else str(u.limit))
    out.print(table)
    for label, key in (
        ("networks", "networks"),
        ("security groups", "securityGroups"),
        ("members", "members"),
    ):
        value = summary[key]
        items = [f"{n} {c}" for n, c in value.items()] if isinstance(value, dict) else list(value)  # type: ignore[call-overload]
        out.print(f"{label}: {_shown(', '.join(items), None) or '-'}")


@group.command("destroy")
def destroy(
    slug: Annotated[str, typer.Argument(help="The tenant's slug.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for the slug (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; recorded in the audit log.")] = None,
    delete_project: Annotated[
        bool, typer.Option("--delete-project", help="Delete the (emptied) project too, not only disable it.")
    ] = False,
) -> None:
    """Staged: disable the project, show what would go, ask for the slug typed back, then purge berth's
    resources and restore the site's default quota. Nothing of other tenants or the platform is touched."""
    import sys

    from berth_cli.state.lock import site_lock
    from berth_cli.workflow import load_site_only, open_cloud
    from berth_cloud import purge_tenant, stage_destroy
    from berth_core.errors import UsageError

    if yes and not (reason and reason.strip()):
        raise UsageError("--yes needs --reason (it goes to the audit log)")
    if slug == "platform":
        raise UsageError("the platform is not a tenant and is never destroyed by berth")
    site, _ = load_site_only()
    with site_lock(OPTIONS.state_dir, f"berth tenant destroy {slug} --site {OPTIONS.site}"):
        cloud = open_cloud()
        preview = stage_destroy(cloud, site, slug)
        _print_preview(preview)
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError("refusing to destroy without confirmation", hint="pass --yes --reason TEXT")
            typed = typer.prompt(f"Project {slug} is now disabled. Type the slug to purge it")
            if typed.strip() != slug:
                raise UsageError(
                    f"{typed!r} is not {slug!r}: nothing purged (the project stays disabled)",
                    hint="`berth apply -f <its manifest>` re-enables it; re-run destroy to purge",
                )
        result = purge_tenant(cloud, site, slug, delete_project=delete_project)
        _forget_tenant(
            slug, reason or "confirmed by typing the slug", len(result.deleted_keys), result.cleaned
        )
    typer.echo(
        f"Purged {slug}: {len(result.deleted_keys)} berth resources, {result.cleaned} more by project cleanup; "
        f"project {'deleted' if result.project_deleted else 'left disabled'}."
    )
    manifest = OPTIONS.manifests_dir / f"{slug}.yaml"
    if manifest.exists():
        typer.echo(f"Remove {manifest} too, or the next `berth apply` creates the tenant again.")


def _print_preview(preview) -> None:  # type: ignore[no-untyped-def]
    if OPTIONS.output == "json":
        typer.echo(
            json.dumps(
                {
                    "slug": preview.slug,
                    "projectId": preview.project_id,
                    "berthOwned": list(preview.berth_owned),
                    "cleanup": [{"type": t, "id": i, "name": n} for t, i, n in preview.cleanup],
                },
                ensure_ascii=False,
            )
        )
        return

    from berth_cli.rendering.console import console

    out = console()
    out.print(
        f"[bold]{_shown(preview.slug)}[/] (project {_shown(preview.project_id)}) is disabled. Purging would remove:"
    )
    for key in preview.berth_owned:
        out.print(f"  [red]-[/] {_shown(key)}")
    for kind, rid, name in preview.cleanup:
        out.print(f"  [red]-[/] {_shown(kind)} {_shown(name)} ({_shown(rid)}) [dim](project cleanup)[/]")


def _forget_tenant(slug: str, reason: str, deleted: int, cleaned: int) -> None:
    """Release the tenant's addresses in the ledger and write the audit record."""
    from berth_cli.state.audit_log import record
    from berth_cli.state.files import write_atomic
    from berth_cli.workflow import LEDGER_FILE, read_ledger
    from berth_core.ipam import Ledger

    ledger = read_ledger()
    kept = {k: v for k, v in ledger.entries.items() if k[0] != slug}
    write_atomic(OPTIONS.state_dir / LEDGER_FILE, Ledger(kept).to_json())
    record(
        OPTIONS.state_dir,
        site=OPTIONS.site,
        action="destroy",
        result="ok",
        reason=reason,
        summary={"tenant": slug, "deleted": deleted, "cleaned": cleaned},
    )
