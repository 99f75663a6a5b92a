"""Planning a site: reach the cloud, observe the scope plans are made and checked in, and plan.

Live planning observes every berth-managed tenant of the site plus the platform (one bulk observation),
so committed quota counts tenants whose manifests were not given, and `apply PLAN` can re-observe the
very same scope to tell whether the plan went stale. Nothing here prints: a refusal is an exception the
CLI's error boundary renders (AdmissionRefused carries the capacity table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from berth_core.errors import CapacityRefused

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_cloud import Cloud
    from berth_core.admission import AdmissionReport
    from berth_core.loader import LoadedManifest
    from berth_core.planning import PlanOutcome
    from berth_core.quota import Locate
    from berth_core.site import Site
    from berth_core.state import ObservedState


def open_cloud(ctx: SiteContext) -> Cloud:
    """One authenticated connection: --cloud / OS_CLOUD, else the site's written admin clouds.yaml."""
    from berth_cloud import connect

    return connect(ctx.cloud, ctx.clouds_yaml)


def observe_site(cloud: Cloud, site: Site, planned: Iterable[str] = ()) -> ObservedState:
    """Every berth-managed tenant of the site, the platform, and the projects named like the `planned`
    tenants even when not berth's: the scope plans are made and checked in (a project made underneath
    under a planned name makes a saved plan stale)."""
    from berth_cloud import observe

    return observe(cloud, site, None, with_platform=True, also=planned)


@dataclass(frozen=True)
class Planned:
    site: Site
    loaded: list[LoadedManifest]
    outcome: PlanOutcome
    observed: ObservedState
    offline: bool


class AdmissionRefused(CapacityRefused):
    """Capacity admission refused the plan (exit 4); nothing has been changed. Carries the report so the
    error boundary can show the capacity table that says why."""

    def __init__(self, report: AdmissionReport) -> None:
        refusals = report.refusals()
        more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
        super().__init__(
            f"capacity refuses this plan: {refusals[0]}{more}",
            hint="lower the quotas, add capacity, or accept with --allow-overbooking --reason TEXT",
        )
        self.report = report


def plan_site(
    ctx: SiteContext,
    paths: list[Path] | None,
    *,
    offline: bool,
    override_reason: str | None,
    cloud: Cloud | None,
) -> Planned:
    """Validate, observe (unless offline), admit against live or declared capacity, allocate, diff."""
    from berth_cli.services.inputs import load_inputs, shown
    from berth_cli.state.ledger import read_ledger
    from berth_core.ipam import Ledger
    from berth_core.planning import PlanInputs, plan_tenants
    from berth_core.state import ObservedState

    site, loaded, locate_site = load_inputs(ctx, paths)
    ledger = read_ledger(ctx.state_dir)
    if offline or cloud is None:
        observed, snapshot = ObservedState(), None
    else:
        from berth_cloud import live_capacity, pool_allocations

        observed = observe_site(cloud, site, [one.manifest.slug for one in loaded])
        snapshot = live_capacity(cloud, site)
        # what Neutron's pools really hold wins over the ledger, so a plan never proposes a taken CIDR
        ledger = Ledger({**ledger.entries, **pool_allocations(cloud, site)})
    inputs = PlanInputs(
        site,
        loaded,
        locate_site=locate_site,
        ledger=ledger,
        observed=observed,
        snapshot=snapshot,
        override_reason=override_reason,
        include_platform=not offline,
    )
    outcome = plan_tenants(inputs)
    if cloud is not None and not offline:
        refuse_unmet_references(
            cloud, outcome, observed=observed, site=site, loaded=loaded, locate_site=locate_site
        )
    if paths:  # recorded in the plan, so a stale plan's hint re-makes this very plan
        recorded = tuple(str(shown(p)) for p in paths)
        outcome = replace(outcome, plan=replace(outcome.plan, manifests=recorded))
    return Planned(site, loaded, outcome, observed, offline)


def refuse_over_capacity(planned: Planned) -> None:
    """AdmissionRefused (exit 4, with the capacity table) when admission refuses."""
    if planned.outcome.admission.refused:
        raise AdmissionRefused(planned.outcome.admission)


def refuse_unmet_references(
    cloud: Cloud,
    outcome: PlanOutcome,
    *,
    observed: ObservedState,
    site: Site,
    loaded: list[LoadedManifest],
    locate_site: Locate,
) -> None:
    """Exit 3, located at the manifests' fields, when the plan names what the cloud lacks (users, roles,
    flavors, an unmanaged project under a planned name...): the same check apply makes before writing."""
    from berth_cloud import pending_changes
    from berth_cloud.references import SITE, UnmetReferences, unmet_references

    plan = outcome.plan
    pending = [c for cs in pending_changes(plan, observed).values() for c in cs]
    unmet = unmet_references(
        cloud, plan.changes, pending, outcome.desired, observed, site_domain=site.spec.identity.domain
    )
    if not unmet:
        return
    by_slug = {one.manifest.slug: one for one in loaded}
    problems = []
    for missing in unmet:
        source = by_slug.get(missing.tenant)
        if missing.tenant == SITE:
            location = locate_site(_site_field(missing.field, missing.item, site))
        elif source is not None:
            location = source.locate(_manifest_field(missing.field, missing.item, source))
        else:
            location = None
        problems.append(missing.problem(location))
    raise UnmetReferences(unmet, problems)


def _site_field(field: str, item: str, site: Site) -> str:
    identity = site.spec.identity
    if field == "spec.identity":  # a role: the member's, the reader's or the domain manager's
        roles = {identity.member_role: "memberRole", identity.manager_role: "managerRole"}
        return f"spec.identity.{roles.get(item, 'readerRole')}"
    if field == "spec.identity.agencyDomains":  # an agency's manager ("user:x")
        for agency, own in identity.agency_domains.items():
            for index, manager in enumerate(own.managers):
                kind, name = manager.principal
                if f"{kind}:{name}" == item:
                    return f"{field}.{agency}.managers[{index}].{kind}"
    return field


def _manifest_field(field: str, item: str, source: LoadedManifest) -> str:
    """The field with its list index: `spec.members[2].user` for member "user:x"."""
    spec = source.manifest.spec
    if field == "spec.members":
        for index, member in enumerate(spec.members):
            kind, name = member.principal
            if f"{kind}:{name}" == item:
                return f"spec.members[{index}].{kind}"
    if field == "spec.flavors" and item in spec.flavors:
        return f"spec.flavors[{list(spec.flavors).index(item)}]"
    return field


def override_reason(allow_overbooking: bool, reason: str | None) -> str | None:
    """`berth plan`: the reason an overbooking is accepted; --reason means nothing there without it."""
    from berth_core.errors import UsageError

    if allow_overbooking != bool(reason and reason.strip()):
        raise UsageError(
            "--allow-overbooking and --reason go together (the reason is recorded in the audit log)"
        )
    return reason.strip() if allow_overbooking and reason else None


def apply_reasons(allow_overbooking: bool, reason: str | None) -> tuple[str | None, str | None]:
    """`berth apply`: (the audit log's reason, the overbooking's reason). --reason alone is the reason for
    any apply; --allow-overbooking needs one, and then the same text is the overbooking's reason."""
    from berth_core.errors import UsageError

    text = reason.strip() if reason is not None else None
    if reason is not None and not text:
        raise UsageError("--reason must not be blank (it is recorded in the audit log)")
    if allow_overbooking and not text:
        raise UsageError("--allow-overbooking needs --reason TEXT (it is recorded in the audit log)")
    return text, text if allow_overbooking else None
