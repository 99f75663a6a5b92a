"""`berth tenant list|show|destroy`: the agencies' tenants as the cloud holds them."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import site_context

if TYPE_CHECKING:
    from berth_cloud import DestroyPreview

group = typer.Typer(help="List, inspect and (staged) destroy agency tenants.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="tenant")


@group.command("list")
def list_tenants() -> None:
    """Every berth-managed tenant of the site: agency, state, quota, networks."""
    from berth_cli.rendering.tenants import print_tenants
    from berth_cli.services.tenants import list_tenants as tenants_of

    ctx = site_context()
    site, rows = tenants_of(ctx)
    if ctx.output == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_tenants(site, rows)


@group.command("show")
def show(slug: Annotated[str, typer.Argument(help="The tenant's slug.")]) -> None:
    """One tenant: quota and usage per field, networks, security groups, members."""
    from berth_cli.rendering.tenants import print_tenant
    from berth_cli.services.tenants import show_tenant

    ctx = site_context()
    summary, usage = show_tenant(ctx, slug)
    if ctx.output == "json":
        summary["usage"] = {k: {"limit": v.limit, "inUse": v.in_use} for k, v in usage.items()}
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_tenant(summary, usage)


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
    from berth_cli.rendering.tenants import preview_document, print_preview
    from berth_cli.services.tenants import destroy_tenant
    from berth_core.errors import UsageError

    ctx = site_context()
    if yes and not (reason and reason.strip()):
        raise UsageError("--yes needs --reason (it goes to the audit log)")

    def show_preview(preview: DestroyPreview) -> None:
        if ctx.output == "json":
            typer.echo(json.dumps(preview_document(preview), ensure_ascii=False))
        else:
            print_preview(preview)

    def confirm() -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError("refusing to destroy without confirmation", hint="pass --yes --reason TEXT")
        typed = typer.prompt(f"Project {slug} is now disabled. Type the slug to purge it")
        if typed.strip() != slug:
            raise UsageError(
                f"{typed!r} is not {slug!r}: nothing purged (the project stays disabled)",
                hint="`berth apply -f <its manifest>` re-enables it; re-run destroy to purge",
            )
        return True

    done = destroy_tenant(
        ctx,
        slug,
        reason=reason or "confirmed by typing the slug",
        delete_project=delete_project,
        show=show_preview,
        confirm=confirm,
    )
    result = done.result
    typer.echo(
        f"Purged {slug}: {len(result.deleted_keys)} berth resources, {result.cleaned} more by project cleanup; "
        f"project {'deleted' if result.project_deleted else 'left disabled'}."
    )
    if done.manifest_left:
        typer.echo(f"Remove manifests/{slug}.yaml too, or the next `berth apply` creates the tenant again.")
