"""Tenants on a terminal: the list, one tenant's quota and usage, what a destroy would remove. Every
value came from the cloud: controls are escaped and long text cut, and nothing is read as markup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from berth_cloud import DestroyPreview


def shown(value: object, limit: int | None = 200) -> str:
    from rich.markup import escape

    from berth_core.safe_text import printable

    return escape(printable(str(value), limit))


def print_tenants(site: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from berth_cli.rendering.console import console

    table = Table(title=f"tenants of site {site}", title_justify="left")
    for column in ("tenant", "name", "agency", "enabled", "cores", "RAM GiB", "networks"):
        table.add_column(column)
    for row in rows:
        networks = ", ".join(f"{n} {c}" for n, c in row["networks"].items())
        table.add_row(
            shown(row["slug"]),
            shown(row["displayName"]),
            shown(row["agency"]),
            "yes" if row["enabled"] else "[red]no[/]",
            str(row["cores"]),
            str(row["ramGiB"]),
            shown(networks),
        )
    console().print(table)


def print_tenant(summary: dict[str, Any], usage: dict[str, Any]) -> None:
    from rich.table import Table

    from berth_cli.rendering.console import console

    out = console()
    out.print(
        f"[bold]{shown(summary['slug'])}[/] {shown(summary['displayName'])} (agency {shown(summary['agency'])})"
    )
    state = "enabled" if summary["enabled"] else "[red]disabled[/]"
    out.print(f"project {shown(summary['projectId'])}, {state}")
    table = Table(title="quota and usage", title_justify="left")
    for column in ("field", "in use", "limit"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, u in usage.items():
        table.add_row(shown(name), f"{u.in_use:g}", "unlimited" if u.limit < 0 else str(u.limit))
    out.print(table)
    for label, key in (
        ("networks", "networks"),
        ("security groups", "securityGroups"),
        ("members", "members"),
    ):
        value = summary[key]
        items = [f"{n} {c}" for n, c in value.items()] if isinstance(value, dict) else list(value)
        out.print(f"{label}: {shown(', '.join(items), None) or '-'}")


def preview_document(preview: DestroyPreview) -> dict[str, Any]:
    return {
        "slug": preview.slug,
        "projectId": preview.project_id,
        "berthOwned": list(preview.berth_owned),
        "cleanup": [{"type": t, "id": i, "name": n} for t, i, n in preview.cleanup],
    }


def print_preview(preview: DestroyPreview) -> None:
    from berth_cli.rendering.console import console

    out = console()
    out.print(
        f"[bold]{shown(preview.slug)}[/] (project {shown(preview.project_id)}) is disabled. Purging would remove:"
    )
    for key in preview.berth_owned:
        out.print(f"  [red]-[/] {shown(key)}")
    for kind, rid, name in preview.cleanup:
        out.print(f"  [red]-[/] {shown(kind)} {shown(name)} ({shown(rid)}) [dim](project cleanup)[/]")
