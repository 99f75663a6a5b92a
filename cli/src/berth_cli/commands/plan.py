"""`berth plan`: validate, resolve quotas, admit, allocate addresses and show the changes.

Thin: the pipeline is berth_core.planning. Offline (the only mode until the Tenants issue), the plan is
made against an empty observed state, with the capacity cloud.yml declares.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import OPTIONS

if TYPE_CHECKING:
    from rich.console import Console

    from berth_core.admission import AdmissionReport
    from berth_core.diff import Change
    from berth_core.ipam import Ledger
    from berth_core.loader import LoadedManifest
    from berth_core.plan import Plan
    from berth_core.quota import Locate
    from berth_core.site import Site

LEDGER_FILE = "ipam.json"
_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red"), "no-op": ("=", "dim")}


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def require_offline(offline: bool, command: str) -> None:
    from berth_core.errors import UsageError

    if not offline:
        raise UsageError(
            f"`berth {command}` against the live cloud is not available yet; it needs --offline for now",
            hint=f"berth {command} --site {OPTIONS.site} --offline",
        )


def shown(path: Path) -> Path:
    """The path as errors should show it: relative to the working directory when it is under it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def load_inputs(paths: list[Path] | None) -> tuple[Site, list[LoadedManifest], Locate]:
    """The site, every manifest (given paths, else manifests/) and a locator for the site's fields.

    Validated together: every problem of the site and of the manifests in one ManifestInvalid (exit 3).
    """
    from berth_core.errors import ManifestInvalid, Problem, UsageError
    from berth_core.loader import load_documents, load_manifests, load_site
    from berth_core.validate import check_against_site

    if not OPTIONS.cloud_yml.is_file():
        raise UsageError(
            f"site {OPTIONS.site!r} has no {OPTIONS.cloud_yml}",
            hint="name a site under inventory/ with --site",
        )
    site_file = shown(OPTIONS.cloud_yml)
    sources = list(paths) if paths else [shown(OPTIONS.manifests_dir)]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    # report the site's problems and the manifests' together, not one file after the other
    site_problems: list[Problem] = []
    try:
        site = load_site(site_file)
    except ManifestInvalid as invalid:
        site_problems = list(invalid.problems)
    try:
        loaded = load_manifests(sources)
    except ManifestInvalid as invalid:
        raise ManifestInvalid([*invalid.problems, *site_problems]) from None
    if site_problems:
        raise ManifestInvalid(site_problems)
    if not loaded:
        raise UsageError(f"no manifests found in {', '.join(str(p) for p in sources)}")
    problems = check_against_site(loaded, site)
    if problems:
        raise ManifestInvalid(problems)
    # the site parsed once already; parse again for line numbers of its fields (quota class problems)
    return site, loaded, load_documents(site_file)[0].locate


def read_ledger() -> Ledger:
    """The site's IPAM ledger (state directory), empty when none was written yet."""
    from berth_core.errors import Location, UsageError
    from berth_core.ipam import Ledger

    path = OPTIONS.state_dir / LEDGER_FILE
    if not path.is_file():
        return Ledger()
    try:
        return Ledger.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as bad:
        raise UsageError(
            f"the IPAM ledger cannot be read: {bad}",
            location=Location(file=str(path)),
            hint="restore it from backup; berth never guesses previous allocations",
        ) from None


def plan(
    *,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Manifest files or folders (default: manifests/).")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Plan against an empty cloud, with cloud.yml's capacity.")
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
    from berth_core.errors import CapacityRefused, ExitCode, UsageError
    from berth_core.planning import PlanInputs, plan_tenants
    from berth_core.state import ObservedState

    require_offline(offline, "plan")
    if allow_overbooking != bool(reason and reason.strip()):
        raise UsageError(
            "--allow-overbooking and --reason go together (the reason is recorded in the audit log)"
        )
    site, loaded, locate_site = load_inputs(paths)
    inputs = PlanInputs(
        site,
        loaded,
        locate_site=locate_site,
        ledger=read_ledger(),
        observed=ObservedState(),
        override_reason=reason if allow_overbooking else None,
    )
    outcome = plan_tenants(inputs)
    report = outcome.admission
    if report.refused:
        from berth_cli.commands.capacity import print_admission

        if OPTIONS.output == "json":
            import json

            typer.echo(
                json.dumps({"refused": True, "admission": report.to_dict()}, ensure_ascii=False, indent=2)
            )
        else:
            print_admission(report, _console(stderr=True))
        refusals = report.refusals()
        more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
        raise CapacityRefused(
            f"capacity refuses this plan: {refusals[0]}{more}",
            hint="lower the quotas, add capacity, or accept with --allow-overbooking --reason TEXT",
        )
    if out is not None:
        from berth_cli.state.files import write_atomic

        write_atomic(out, outcome.plan.to_json(), mode=0o644)
    if OPTIONS.output == "json":
        typer.echo(outcome.plan.to_json(), nl=False)
    else:
        _print_plan(outcome.plan, report, out)
    if detailed_exitcode and outcome.plan.has_changes:
        raise typer.Exit(int(ExitCode.CHANGES_PRESENT))


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _print_plan(plan: Plan, report: AdmissionReport, out: Path | None) -> None:
    from rich.markup import escape

    from berth_cli.commands.capacity import print_admission

    console = _console()
    print_admission(report, console, agencies=False)
    console.print(
        f"[bold]Plan for site {plan.site}[/] ({len(plan.tenants)} tenant(s), offline: against an empty cloud)"
    )
    by_tenant: dict[str, list[Change]] = {}
    for change in plan.changes:
        if change.action != "no-op":
            by_tenant.setdefault(change.tenant, []).append(change)
    for tenant, changes in sorted(by_tenant.items()):
        lines = [f"\n[bold]{tenant}[/]"]  # slugs are [a-z0-9-]: nothing to escape
        for change in changes:
            symbol, style = _SYMBOL[change.action]
            details = escape(_details(change))  # display names are the agency's text: never markup
            lines.append(f"  [{style}]{symbol} {escape(change.key)}[/]" + (f"  {details}" if details else ""))
        console.print("\n".join(lines))  # one print per tenant: rich is slow per call on 1,000 tenants
    counts = plan.counts()
    console.print(
        f"\nPlan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete, "
        f"{counts['no-op']} unchanged."
    )
    if report.override_reason:
        console.print(f"[yellow]Capacity overridden:[/] {report.override_reason}")
    if out is not None:
        console.print(f"Saved to {out} (sha256 {plan.sha256}).")


def _details(change: Change) -> str:
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
