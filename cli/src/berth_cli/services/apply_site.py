"""berth's one apply workflow, for both engines and every command that applies (`apply`, `demo`):

    lock -> engine recorded -> plan (or a saved plan, refused when stale) -> show -> confirm -> engine
         -> IPAM ledger -> audit

Every attempt is audited, whatever its outcome: `ok`, `refused` (capacity, a stale plan, references the
cloud cannot satisfy: nothing was written) or `failed` (the engine stopped part-way). The engine is the
only part that differs (berth_cli.services.engines); showing the plan and asking are the caller's, so the
workflow prints nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from berth_core.errors import BerthError, ExitCode, StaleOrLocked

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_cli.services.engines import Engine, Progress
    from berth_cli.services.planning import Planned
    from berth_cloud import ApplyResult, Cloud
    from berth_core.plan import Plan
    from berth_core.site import Site
    from berth_core.state import DesiredState, ObservedState

EngineFactory = Callable[["Site"], "Engine"]


@dataclass(frozen=True)
class ApplyRequest:
    plan_file: Path | None = None  # a plan saved by `berth plan --out`, applied as it is
    paths: list[Path] | None = None  # else plan these manifests now (default: manifests/)
    reason: str | None = None  # recorded in the audit log
    overbooking: str | None = None  # an accepted overbooking's reason (live plans only)
    assume_yes: bool = False
    wait_seconds: float = 30.0  # for another apply's lock
    command: str = "berth apply"  # who holds the lock, as another apply is told


@dataclass(frozen=True)
class ApplyOutcome:
    plan: Plan
    engine: str
    result: ApplyResult | None  # None: nothing needed changing


@dataclass(frozen=True)
class Interaction:
    """What the workflow asks of its caller: show a live plan, and confirm it (False: abort)."""

    show: Callable[[Planned], None]
    confirm: Callable[[], bool]
    progress: Progress | None = None


@dataclass(frozen=True)
class _Attempt:
    """What one apply will make true: the plan, its desired state, the observation it was checked on."""

    plan: Plan
    desired: DesiredState
    observed: ObservedState
    planned: Planned | None  # None for a saved plan (its manifests were read when it was made)


class ApplyDeclined(BerthError):
    """The operator said no; nothing was changed."""

    exit_code = ExitCode.INTERRUPTED


def apply_site(
    ctx: SiteContext, cloud: Cloud, make_engine: EngineFactory, request: ApplyRequest, ui: Interaction
) -> ApplyOutcome:
    """Apply a site under its lock, with the engine `make_engine` builds for the site."""
    from berth_cli.services.inputs import load_site_only
    from berth_cli.state.engine_record import check_and_record
    from berth_cli.state.lock import site_lock

    with site_lock(ctx.state_dir, f"{request.command} --site {ctx.site}", wait_seconds=request.wait_seconds):
        site, _ = load_site_only(ctx)
        engine = make_engine(site)
        check_and_record(ctx.state_dir, engine.name, ctx.site)  # one executor per site, chosen once
        if request.plan_file is None:
            attempt = _live_plan(ctx, cloud, request, ui)
        else:
            attempt = _saved_plan(ctx, cloud, site, request.plan_file, request.reason)
        if not attempt.plan.has_changes:
            return ApplyOutcome(attempt.plan, engine.name, None)
        return _run_engine(ctx, engine, attempt, request.reason, ui.progress)


def _live_plan(ctx: SiteContext, cloud: Cloud, request: ApplyRequest, ui: Interaction) -> _Attempt:
    from berth_cli.services.planning import plan_site, refuse_over_capacity
    from berth_core.errors import CapacityRefused

    planned = plan_site(ctx, request.paths, offline=False, override_reason=request.overbooking, cloud=cloud)
    try:
        refuse_over_capacity(planned)
    except CapacityRefused:
        audit(ctx, planned.outcome.plan, "refused", planned=planned, reason=request.reason)
        raise
    plan = planned.outcome.plan
    if plan.has_changes:
        ui.show(planned)
        if not request.assume_yes and not ui.confirm():
            raise ApplyDeclined("not applied: the plan was not confirmed")
    return _Attempt(plan, planned.outcome.desired, planned.observed, planned)


def _saved_plan(ctx: SiteContext, cloud: Cloud, site: Site, plan_file: Path, reason: str | None) -> _Attempt:
    """A saved plan is applied as it was reviewed (like `terraform apply planfile`): no question asked,
    but refused when the cloud changed since, or when a CIDR it would take is now taken."""
    from berth_cli.services.planning import observe_site
    from berth_cloud import desired_from_plan

    plan = read_plan(ctx, plan_file)
    observed = observe_site(cloud, site, plan.tenants)
    try:
        refuse_stale(plan, observed, plan_file)
        refuse_taken_cidrs(plan, cloud, site, plan_file)
    except StaleOrLocked:
        audit(ctx, plan, "refused", planned=None, reason=reason)
        raise
    return _Attempt(plan, desired_from_plan(plan), observed, None)


def _run_engine(
    ctx: SiteContext, engine: Engine, attempt: _Attempt, reason: str | None, progress: Progress | None
) -> ApplyOutcome:
    from berth_cli.state.ledger import write_ledger
    from berth_cloud import ApplyFailed
    from berth_cloud.references import UnmetReferences

    plan = attempt.plan

    def record(word: str, result: ApplyResult | None = None) -> None:
        audit(ctx, plan, word, planned=attempt.planned, reason=reason, result=result, engine=engine.name)

    try:
        result = engine.apply(plan, attempt.desired, attempt.observed, progress)
    except UnmetReferences:  # refused before the first write
        record("refused")
        raise
    except ApplyFailed as failed:
        record("failed", failed.result)
        raise
    except BerthError:  # Pulumi failed (exit 7), or the cloud refused in a way the engine cannot place
        record("failed")
        raise
    write_ledger(ctx.state_dir, plan.ipam)
    record("ok", result)
    return ApplyOutcome(plan, engine.name, result)


def read_plan(ctx: SiteContext, plan_file: Path) -> Plan:
    from berth_core.errors import UsageError
    from berth_core.plan import Plan

    try:
        text = plan_file.read_text(encoding="utf-8")
    except OSError as bad:
        raise UsageError(f"cannot read the plan {plan_file}: {bad.strerror}") from None
    plan = Plan.from_json(text, source=str(plan_file))
    if plan.site != ctx.site:
        raise UsageError(
            f"{plan_file} is a plan for site {plan.site}, not {ctx.site}", hint=f"--site {plan.site}"
        )
    return plan


def refuse_stale(plan: Plan, observed: ObservedState, plan_file: Path) -> None:
    if observed.sha256() != plan.observed_sha256:
        raise StaleOrLocked(
            f"{plan_file} is stale: the cloud has changed since it was planned",
            hint=f"make a fresh plan: {replan_command(plan, plan_file)}",
        )


def refuse_taken_cidrs(plan: Plan, cloud: Cloud, site: Site, plan_file: Path) -> None:
    """Stale too: a subnet made in the site's pools since, overlapping a CIDR the plan would create."""
    from ipaddress import IPv4Network

    from berth_cloud import pool_allocations
    from berth_core.ownership import parse_key

    creates = {
        c.key: IPv4Network(str(c.after["cidr"]))
        for c in plan.changes
        if c.kind == "subnet" and c.after and c.after.get("cidr") and (c.action == "create" or c.replace)
    }
    if not creates:
        return
    taken = pool_allocations(cloud, site)
    for key, cidr in sorted(creates.items()):
        parts = parse_key(key)
        clash = sorted(
            f"{o}/{n}"
            for (o, n), net in taken.items()
            if net.overlaps(cidr) and (o, n) != (parts.owner, parts.name)
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
    accepted = plan.admission.override_reason if plan.admission is not None else None
    if accepted:
        words += ["--allow-overbooking", "--reason", str(accepted)]
    if any(path.startswith("-") for path in plan.manifests):
        words.append("--")  # a path is never read as an option
    return shlex.join([*words, *plan.manifests])


def audit(
    ctx: SiteContext,
    plan: Plan,
    result_word: str,
    *,
    planned: Planned | None,
    reason: str | None,
    result: ApplyResult | None = None,
    engine: str | None = None,
) -> None:
    """One audit record per apply attempt: who, when, tickets, manifest and plan hashes, what changed."""
    from berth_cli.state.audit_log import record

    manifests: dict[str, str] = {}
    tickets: list[str] = []
    changed = {c.tenant for c in plan.changes if c.action != "no-op"}
    for loaded in planned.loaded if planned is not None else ():
        slug = loaded.manifest.slug
        manifests[slug] = hashlib.sha256(Path(loaded.file).read_bytes()).hexdigest()
        if slug in changed and loaded.manifest.metadata.ticket:
            tickets.append(loaded.manifest.metadata.ticket)
    # quotaTenants: whose quota this apply changed (berth review's cool-down reads it back)
    quota_changed = sorted({c.tenant for c in plan.changes if c.action != "no-op" and c.kind == "quota"})
    summary: dict[str, object] = {
        "planned": dict(plan.counts()),
        "tenants": sorted(changed),
        "quotaTenants": quota_changed,
    }
    if engine is not None:
        summary["engine"] = engine
    if result is not None:
        summary["applied"] = result.counts()
        summary["failed"] = [f"{f.key}: {f.message}" for f in result.failed]
    record(
        ctx.state_dir,
        site=ctx.site,
        action="apply",
        result=result_word,
        ticket=", ".join(sorted(set(tickets))),
        reason=reason or "",
        plan_sha256=plan.sha256,
        manifests=manifests,
        summary=summary,
    )
