"""The steps `plan`, `apply`, `capacity`, `tenant` and `demo` share: load inputs, reach the cloud, plan.

Live planning observes every berth-managed tenant of the site plus the platform (one bulk observation),
so committed quota counts tenants whose manifests were not given, and `apply PLAN` can re-observe the
very same scope to tell whether the plan went stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from berth_cli.context import OPTIONS

if TYPE_CHECKING:
    from berth_cloud import Cloud
    from berth_core.ipam import Ledger
    from berth_core.loader import LoadedManifest
    from berth_core.planning import PlanOutcome
    from berth_core.quota import Locate
    from berth_core.site import Site
    from berth_core.state import ObservedState

LEDGER_FILE = "ipam.json"


def shown(path: Path) -> Path:
    """The path as errors should show it: relative to the working directory when it is under it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def load_site_only() -> tuple[Site, Locate]:
    from berth_core.errors import UsageError
    from berth_core.loader import load_documents, load_site

    if not OPTIONS.cloud_yml.is_file():
        raise UsageError(
            f"site {OPTIONS.site!r} has no {OPTIONS.cloud_yml}",
            hint="name a site under inventory/ with --site",
        )
    site_file = shown(OPTIONS.cloud_yml)
    return load_site(site_file), load_documents(site_file)[0].locate


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


def write_ledger(plan_ipam: Mapping[str, str]) -> None:
    """After an apply, the ledger becomes the plan's: every allocation of the site, "<slug>/<net>" -> CIDR."""
    from ipaddress import IPv4Network

    from berth_cli.state.files import write_atomic
    from berth_core.ipam import Ledger

    entries = {tuple(key.split("/", 1)): IPv4Network(cidr) for key, cidr in plan_ipam.items()}
    write_atomic(OPTIONS.state_dir / LEDGER_FILE, Ledger(entries).to_json())  # type: ignore[arg-type]


def open_cloud() -> Cloud:
    """One authenticated connection: --cloud / OS_CLOUD, else the site's written admin clouds.yaml."""
    from berth_cloud import connect

    return connect(OPTIONS.cloud, OPTIONS.state_dir / "clouds.yaml")


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


def plan_site(
    paths: list[Path] | None, *, offline: bool, override_reason: str | None, cloud: Cloud | None
) -> Planned:
    """Validate, observe (unless offline), admit against live or declared capacity, allocate, diff."""
    from berth_core.ipam import Ledger
    from berth_core.planning import PlanInputs, plan_tenants
    from berth_core.state import ObservedState

    site, loaded, locate_site = load_inputs(paths)
    ledger = read_ledger()
    if offline or cloud is None:
        observed, snapshot = ObservedState(), None
    else:
        from berth_cloud import live_capacity, pool_allocations

        observed = observe_site(cloud, site, [loaded_one.manifest.slug for loaded_one in loaded])
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
    lines = []
    for missing in unmet:
        source = by_slug.get(missing.tenant)
        if missing.tenant == SITE:
            location = locate_site(_site_field(missing.field, missing.item, site))
        elif source is not None:
            location = source.locate(_manifest_field(missing.field, missing.item, source))
        else:
            lines.append(f"{missing.tenant}: {missing.field}: {missing.message}")
            continue
        lines.append(f"{location.prefix()}: {missing.message}")
    raise UnmetReferences(unmet, lines)


def _site_field(field: str, item: str, site: Site) -> str:
    if field == "spec.identity":  # a role: the member's or the reader's
        return (
            "spec.identity.memberRole"
            if item == site.spec.identity.member_role
            else "spec.identity.readerRole"
        )
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


def refuse_over_capacity(planned: Planned) -> None:
    """Exit 4 with the capacity table when admission refuses; nothing has been changed at that point."""
    import json

    import typer

    from berth_core.errors import CapacityRefused

    report = planned.outcome.admission
    if not report.refused:
        return
    if OPTIONS.output == "json":
        typer.echo(json.dumps({"refused": True, "admission": report.to_dict()}, ensure_ascii=False, indent=2))
    else:
        from berth_cli.rendering.admission import print_admission
        from berth_cli.rendering.console import console

        print_admission(report, console(stderr=True))
    refusals = report.refusals()
    more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
    raise CapacityRefused(
        f"capacity refuses this plan: {refusals[0]}{more}",
        hint="lower the quotas, add capacity, or accept with --allow-overbooking --reason TEXT",
    )


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
