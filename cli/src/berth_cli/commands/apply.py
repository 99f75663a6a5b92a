"""`berth apply [PLAN]`: make the cloud match the manifests (or a saved plan), under the site's lock.

Without PLAN it plans first (live) and asks before changing anything, unless --yes. With PLAN it refuses
a plan whose observed state has changed since it was made (exit 8), like `terraform apply planfile`.
Every apply, refused or failed ones included, is written to the site's hash-chained audit log.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import OPTIONS

if TYPE_CHECKING:
    from berth_cli.workflow import Planned
    from berth_cloud import ApplyResult, Cloud
    from berth_core.plan import Plan
    from berth_core.site import Site
    from berth_core.state import ObservedState, State


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)


def apply(
    *,
    plan_file: Annotated[
        Path | None, typer.Argument(help="A plan saved by `berth plan --out` (else plan now).")
    ] = None,
    paths: Annotated[
        list[Path] | None,
        typer.Option("--manifests", "-f", help="Manifest files or folders (default: manifests/)."),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="auto, pulumi or direct.")] = "auto",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    allow_overbooking: Annotated[
        bool,
        typer.Option(
            "--allow-overbooking",
            help="Accept quota past capacity (needs --reason; not with a saved plan: plan with it).",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why this apply is made; recorded in the audit log (required with --allow-overbooking).",
        ),
    ] = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for another apply's lock.")] = 30.0,
) -> None:
    """Apply the plan: platform first, then every tenant, idempotent; nothing else is ever deleted."""
    from berth_cli.state.engine_record import check_and_record
    from berth_cli.state.lock import site_lock
    from berth_cli.workflow import apply_reasons
    from berth_core.errors import UsageError
    from berth_stacks.engine import choose_engine

    if engine not in ("auto", "pulumi", "direct"):
        raise UsageError(f"--engine must be auto, pulumi or direct, not {engine!r}")
    chosen, why = choose_engine(engine)  # type: ignore[arg-type]
    print(why, file=sys.stderr)
    audit_reason, overbooking = apply_reasons(allow_overbooking, reason)
    if plan_file is not None and (paths or allow_overbooking):
        raise UsageError(
            "a saved plan is applied as it is: --manifests and --allow-overbooking belong to `berth plan`"
        )
    with site_lock(OPTIONS.state_dir, f"berth apply --site {OPTIONS.site}", wait_seconds=wait):
        check_and_record(OPTIONS.state_dir, chosen, OPTIONS.site)
        if chosen == "pulumi":
            _apply_with_pulumi(paths, audit_reason, overbooking)
            return
        run_direct(plan_file, paths, audit_reason, assume_yes=yes, overbooking=overbooking)


def run_direct(
    plan_file: Path | None,
    paths: list[Path] | None,
    reason: str | None,
    *,
    assume_yes: bool,
    overbooking: str | None = None,
) -> None:
    """The direct engine's apply (the caller holds the site lock)."""
    from berth_cli.workflow import load_site_only, observe_site, open_cloud, plan_site, refuse_over_capacity
    from berth_cloud import desired_from_plan
    from berth_core.errors import CapacityRefused

    cloud = open_cloud()
    if plan_file is None:
        planned = plan_site(paths, offline=False, override_reason=overbooking, cloud=cloud)
        try:
            refuse_over_capacity(planned)
        except CapacityRefused:
            _audit(planned.outcome.plan, "refused", planned=planned, reason=reason)
            raise
        plan, desired, observed = planned.outcome.plan, planned.outcome.desired, planned.observed
        _show_and_confirm(plan, planned, assume_yes=assume_yes)
    else:
        plan = _read_plan(plan_file)
        site, _ = load_site_only()
        observed = observe_site(cloud, site, plan.tenants)
        _refuse_stale(plan, observed, plan_file)
        _refuse_taken_cidrs(plan, cloud, site, plan_file)
        desired, planned = desired_from_plan(plan), None
    if not plan.has_changes:
        typer.echo("Nothing to change: the cloud already matches.")
        return
    execute(cloud, plan, desired, observed, planned=planned, reason=reason)


def execute(
    cloud: Cloud,
    plan: Plan,
    desired: State,
    observed: ObservedState,
    *,
    planned: Planned | None,
    reason: str | None,
) -> ApplyResult:
    """Run the direct engine with progress, then record the ledger and the audit entry, whatever happened."""
    from berth_cli.workflow import write_ledger
    from berth_cloud import ApplyFailed
    from berth_cloud import apply as engine_apply
    from berth_cloud.references import UnmetReferences

    with _progress() as on_event:
        try:
            result = engine_apply(cloud, plan, desired, observed, progress=on_event)
        except UnmetReferences:  # refused before the first write
            _audit(plan, "refused", planned=planned, reason=reason)
            raise
        except ApplyFailed as failed:
            _audit(plan, "failed", planned=planned, reason=reason, result=failed.result)
            raise
    write_ledger(plan.ipam)
    _audit(plan, "ok", planned=planned, reason=reason, result=result)
    counts = result.counts()
    typer.echo(
        f"Applied: {counts['create']} created, {counts['update']} updated, {counts['delete']} deleted "
        f"({result.requests} API requests)."
    )
    return result


def _read_plan(plan_file: Path) -> Plan:
    from berth_core.errors import UsageError
    from berth_core.plan import Plan

    try:
        text = plan_file.read_text(encoding="utf-8")
    except OSError as bad:
        raise UsageError(f"cannot read the plan {plan_file}: {bad.strerror}") from None
    plan = Plan.from_json(text, source=str(plan_file))
    if plan.site != OPTIONS.site:
        raise UsageError(
            f"{plan_file} is a plan for site {plan.site}, not {OPTIONS.site}", hint=f"--site {plan.site}"
        )
    return plan


def _refuse_stale(plan: Plan, observed: ObservedState, plan_file: Path) -> None:
    from berth_core.errors import StaleOrLocked

    if observed.sha256() != plan.observed_sha256:
        raise StaleOrLocked(
            f"{plan_file} is stale: the cloud has changed since it was planned",
            hint=f"make a fresh plan: {replan_command(plan, plan_file)}",
        )


def _refuse_taken_cidrs(plan: Plan, cloud: Cloud, site: Site, plan_file: Path) -> None:
    """Stale too: a subnet made in the site's pools since, overlapping a CIDR the plan would create."""
    from ipaddress import IPv4Network

    from berth_cloud import pool_allocations
    from berth_core.errors import StaleOrLocked

    creates = {
        c.key: IPv4Network(str(c.after["cidr"]))
        for c in plan.changes
        if c.kind == "subnet" and c.after and c.after.get("cidr") and (c.action == "create" or c.replace)
    }
    if not creates:
        return
    taken = pool_allocations(cloud, site)
    for key, cidr in sorted(creates.items()):
        slug, name = key.split("/", 2)[1:]
        clash = sorted(
            f"{o}/{n}" for (o, n), net in taken.items() if net.overlaps(cidr) and (o, n) != (slug, name)
        )
        if clash:
            raise StaleOrLocked(
                f"{plan_file} is stale: {key} would take {cidr}, which {clash[0]} now overlaps",
                hint=f"make a fresh plan: {replan_command(plan, plan_file)}",
            )


def replan_command(plan: Plan, plan_file: Path) -> str:
    """The `berth plan` line that re-makes `plan` (its manifests, its accepted overbooking) into plan_file."""
    import shlex

    words = ["berth", "plan", "--site", plan.site, "--out", str(plan_file)]
    accepted = (plan.admission or {}).get("overrideReason")
    if accepted:
        words += ["--allow-overbooking", "--reason", str(accepted)]
    if any(path.startswith("-") for path in plan.manifests):
        words.append("--")  # a path is never read as an option
    return shlex.join([*words, *plan.manifests])


def _show_and_confirm(plan: Plan, planned: Planned, *, assume_yes: bool) -> None:
    from berth_cli.commands.plan import print_plan

    if not plan.has_changes:
        return
    if OPTIONS.output == "text":
        print_plan(plan, planned.outcome.admission, None, offline=False)
    if assume_yes:
        return
    if not sys.stdin.isatty():
        from berth_core.errors import UsageError

        raise UsageError("refusing to apply without confirmation", hint="review the plan and pass --yes")
    typer.confirm("Apply these changes?", abort=True)


def _progress():  # type: ignore[no-untyped-def]
    """A context manager yielding the engine's progress callback (events come from worker threads)."""
    import contextlib
    import threading

    from berth_cli.render import console

    @contextlib.contextmanager
    def run():  # type: ignore[no-untyped-def]
        out = console(stderr=True)
        lock = threading.Lock()
        marks = {"done": "[green]✓[/]", "failed": "[bold red]✗[/]", "skipped": "[dim]·[/]"}

        def on_event(event) -> None:  # type: ignore[no-untyped-def]
            if event.status == "start" or OPTIONS.output == "json":
                return
            with lock:
                note = f"  {event.message}" if event.message else ""
                out.print(
                    f"{marks.get(event.status, ' ')} [{event.done}/{event.total}] {event.action} {event.key}{note}"
                )

        yield on_event

    return run()


def _audit(plan: Plan, result_word: str, *, planned: Planned | None, reason: str | None, result=None) -> None:  # type: ignore[no-untyped-def]
    """One audit record per apply attempt: who, when, tickets, manifest and plan hashes, what changed."""
    import hashlib

    from berth_cli.state.audit_log import record

    manifests: dict[str, str] = {}
    tickets: list[str] = []
    changed = {c.tenant for c in plan.changes if c.action != "no-op"}
    for loaded in planned.loaded if planned is not None else ():
        slug = loaded.manifest.slug
        manifests[slug] = hashlib.sha256(Path(loaded.file).read_bytes()).hexdigest()
        if slug in changed and loaded.manifest.metadata.ticket:
            tickets.append(loaded.manifest.metadata.ticket)
    summary: dict[str, object] = {"planned": dict(plan.counts()), "tenants": sorted(changed)}
    if result is not None:
        summary["applied"] = result.counts()
        summary["failed"] = [f"{f.key}: {f.message}" for f in result.failed]
    record(
        OPTIONS.state_dir,
        site=OPTIONS.site,
        action="apply",
        result=result_word,
        ticket=", ".join(sorted(set(tickets))),
        reason=reason or "",
        plan_sha256=plan.sha256,
        manifests=manifests,
        summary=summary,
    )


def _apply_with_pulumi(paths: list[Path] | None, reason: str | None, overbooking: str | None) -> None:
    """The Pulumi engine: one stack per tenant plus the platform (berth_stacks), admitted by berth first."""
    from berth_cli.workflow import open_cloud, plan_site, refuse_over_capacity
    from berth_stacks.runner import PulumiRunner

    cloud = open_cloud()
    planned = plan_site(paths, offline=False, override_reason=overbooking, cloud=cloud)
    refuse_over_capacity(planned)
    runner = PulumiRunner(
        OPTIONS.site,
        OPTIONS.state_dir / "pulumi",
        cloud=cloud.name,
        region=planned.site.spec.region,
        clouds_yaml=OPTIONS.state_dir / "clouds.yaml",
    )
    summaries = runner.apply_site(planned.site, planned.outcome.desired)
    for summary in summaries:
        typer.echo(f"{summary.stack}: {summary.to_dict()}")
    finish_beyond_pulumi(cloud, planned.site, planned.outcome.desired)
    _audit(planned.outcome.plan, "ok", planned=planned, reason=reason)


def finish_beyond_pulumi(cloud: Cloud, site: Site, desired: State) -> ApplyResult | None:
    """After `pulumi up`: the direct engine writes what pulumi-openstack cannot (the default quota class,
    keystone's extra project attributes), on a fresh observation, so both engines leave the same cloud."""
    from dataclasses import replace

    from berth_cli.workflow import observe_site
    from berth_cloud import apply as engine_apply
    from berth_core.plan import make_plan
    from berth_stacks.types import beyond_pulumi

    observed = observe_site(cloud, site)
    plan = make_plan(site.name, desired, observed)
    rest = replace(plan, changes=beyond_pulumi(plan.changes))
    if not rest.has_changes:
        return None
    with _progress() as on_event:
        result = engine_apply(cloud, rest, desired, observed, progress=on_event)
    typer.echo(
        f"Direct engine, beyond Pulumi: {len(rest.changes)} change(s) ({result.requests} API requests)."
    )
    return result
