"""`berth plan`: validate, resolve quotas, admit, allocate addresses and show the changes.

Thin: the pipeline is berth_core.planning, the shared steps berth_cli.workflow. Live, the plan is made
against what the cloud holds (every berth-managed tenant and the platform) and placement's capacity;
offline, against an empty cloud with the capacity cloud.yml declares.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import OPTIONS

if TYPE_CHECKING:
    from berth_core.admission import AdmissionReport
    from berth_core.diff import Change
    from berth_core.plan import Plan

_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red"), "no-op": ("=", "dim")}


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def plan(
    *,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Manifest files or folders (default: manifests/).")
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Plan against an empty cloud, with cloud.yml's capacity (no OpenStack)."
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan (JSON with its sha256) to this file.")
    ] = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 0 when there is nothing to change, 10 when there is."),
    ] = False,
    allow_overbooking: Annotated[
        bool,
        typer.Option(
            "--allow-overbooking", help="Accept quota past capacity (needs --reason; goes to the audit log)."
        ),
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the overbooking is accepted.")] = None,
) -> None:
    """Plan the tenants of a site: validate, resolve quotas, admit against capacity, allocate, diff."""
    from berth_cli.workflow import open_cloud, override_reason, plan_site, refuse_over_capacity
    from berth_core.errors import ExitCode

    reason_given = override_reason(allow_overbooking, reason)
    planned = plan_site(
        paths, offline=offline, override_reason=reason_given, cloud=None if offline else open_cloud()
    )
    refuse_over_capacity(planned)
    outcome = planned.outcome
    if out is not None:
        from berth_cli.state.files import write_atomic

        write_atomic(out, outcome.plan.to_json(), mode=0o644)
    if OPTIONS.output == "json":
        typer.echo(outcome.plan.to_json(), nl=False)
    else:
        print_plan(outcome.plan, outcome.admission, out, offline=offline)
    if detailed_exitcode and outcome.plan.has_changes:
        raise typer.Exit(int(ExitCode.CHANGES_PRESENT))


def print_plan(plan: Plan, report: AdmissionReport, out: Path | None, *, offline: bool) -> None:
    from rich.markup import escape

    from berth_cli.rendering.admission import print_admission
    from berth_cli.rendering.console import console as make_console
    from berth_core.i18n import translate
    from berth_core.rule_text import is_world_open
    from berth_core.safe_text import printable

    console = make_console()
    print_admission(report, console, agencies=False)
    against = "offline: against an empty cloud" if offline else "against the live cloud"
    console.print(f"[bold]Plan for site {plan.site}[/] ({len(plan.tenants)} tenant(s), {against})")
    by_tenant: dict[str, list[Change]] = {}
    for change in plan.changes:
        if change.action != "no-op":
            by_tenant.setdefault(change.tenant, []).append(change)
    world_open = 0
    for tenant, changes in sorted(by_tenant.items()):
        # observed tenants and keys come from the cloud: escape controls (printable), then markup (escape)
        lines = [f"\n[bold]{escape(printable(tenant))}[/]"]
        for change in changes:
            symbol, style = _SYMBOL[change.action]
            details = escape(printable(_details(change, OPTIONS.lang), limit=None))
            key = escape(printable(change.key))
            if (
                change.kind == "secgroup-rule"
                and change.action != "delete"
                and is_world_open(change.after or {})
            ):
                world_open += 1
                details = f"[bold yellow]{details}[/]"
            lines.append(f"  [{style}]{symbol} {key}[/]" + (f"  {details}" if details else ""))
        console.print("\n".join(lines))  # one print per tenant: rich is slow per call on 1,000 tenants
    counts = plan.counts()
    console.print(
        f"\nPlan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete, "
        f"{counts['no-op']} unchanged."
    )
    if world_open:
        console.print(
            f"[bold yellow]{escape(translate('plan.world_open', OPTIONS.lang, count=world_open))}[/]"
        )
    if report.override_reason:
        console.print(f"[yellow]Capacity overridden:[/] {report.override_reason}")
    if out is not None:
        console.print(f"Saved to {out} (sha256 {plan.sha256}).")


def _details(change: Change, lang: str) -> str:
    """What a reviewer needs beside the key: a rule in words, a CIDR, a role, a name."""
    if change.kind == "secgroup-rule":
        from berth_core.rule_text import rule_words

        words = rule_words(change.after or change.before or {}, lang)
        if change.action == "update":
            return ("replace: " if change.replace else "changes ") + ", ".join(change.changed) + f"; {words}"
        return words
    if change.action == "update":
        return ("replace: " if change.replace else "changes ") + ", ".join(change.changed)
    after = change.after or {}
    for field in ("cidr", "role", "flavor", "displayName"):
        if after.get(field):
            return f"{field} {after[field]}"
    if change.kind == "router":
        return (
            f"gateway on {after['externalNetwork']}"
            if after.get("externalNetwork")
            else "no external gateway"
        )
    return ""
