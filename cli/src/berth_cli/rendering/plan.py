"""A plan as an operator reviews it: the capacity verdict, then per tenant each change, every security
group rule in words (rules open to the whole Internet highlighted and counted), then the totals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_core.admission import AdmissionReport
    from berth_core.diff import Change
    from berth_core.plan import Plan

_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red"), "no-op": ("=", "dim")}


def print_plan(plan: Plan, report: AdmissionReport, out: Path | None, *, offline: bool, lang: str) -> None:
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
            details = escape(printable(_details(change, lang), limit=None))
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
        console.print(f"[bold yellow]{escape(translate('plan.world_open', lang, count=world_open))}[/]")
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
