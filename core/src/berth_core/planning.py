"""The planning pipeline: validated manifests + site + state -> quotas, admission, addresses, Plan.

Pure orchestration of quota, admission, ipam, desired and plan; the CLI (and later the exporter and the
engines) call it with what they loaded or observed. Problems from every tenant are gathered before
raising, so one run shows all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Protocol

from berth_core.admission import AdmissionReport, Commitment, admit, merge
from berth_core.capacity import CapacitySnapshot, snapshot_from_site
from berth_core.convergence import MANIFEST_FIELDS, SITE_FIELDS, forbidden_replacements, rule
from berth_core.desired import TenantInput, build_desired
from berth_core.diff import Change
from berth_core.errors import Location, ManifestInvalid, Problem
from berth_core.ipam import Allocation, Ledger, NetworkRequest, allocate
from berth_core.manifest import TenantManifest
from berth_core.ownership import parse_key
from berth_core.plan import Plan, make_plan
from berth_core.platform import build_platform
from berth_core.quota import Locate, ResolvedQuota, check_quota_classes, resolve_quota
from berth_core.site import Site
from berth_core.state import DesiredState, ObservedState


class LocatedManifest(Protocol):
    """What berth_core.loader.LoadedManifest offers: the model and a way to locate its fields."""

    @property
    def manifest(self) -> TenantManifest: ...

    def locate(self, field_path: str) -> Location: ...


def _field_only(path: str) -> Location:
    return Location(field=path)


@dataclass(frozen=True)
class PlanInputs:
    site: Site
    manifests: Sequence[LocatedManifest]
    ledger: Ledger = field(default_factory=Ledger)
    observed: ObservedState = field(default_factory=ObservedState)
    snapshot: CapacitySnapshot | None = None  # None: the capacity cloud.yml declares
    override_reason: str | None = None
    locate_site: Locate = _field_only
    include_platform: bool = False  # plan the site's platform resources (berth_core.platform) too


@dataclass(frozen=True)
class PlanOutcome:
    plan: Plan
    admission: AdmissionReport
    allocation: Allocation
    desired: DesiredState
    quotas: Mapping[str, ResolvedQuota]


def resolve_quotas(
    manifests: Sequence[LocatedManifest], site: Site, locate_site: Locate = _field_only
) -> dict[str, ResolvedQuota]:
    """Every tenant's complete quota; all problems of all tenants (and the site's classes) in one raise."""
    site_problems = check_quota_classes(site, locate_site)
    if site_problems:
        raise ManifestInvalid(site_problems)
    quotas: dict[str, ResolvedQuota] = {}
    problems: list[Problem] = []
    for loaded in manifests:
        try:
            quotas[loaded.manifest.slug] = resolve_quota(
                loaded.manifest.spec.quota, site, locate=loaded.locate, locate_site=locate_site
            )
        except ManifestInvalid as invalid:
            problems.extend(invalid.problems)
    if problems:
        raise ManifestInvalid(problems)
    return quotas


def commitments_from_state(observed: ObservedState) -> list[Commitment]:
    """Quota already promised, as the cloud holds it: quota/<slug> values with their project's agency."""
    out: list[Commitment] = []
    for key, res in observed.resources.items():
        if not key.startswith("quota/"):
            continue
        project = observed.resources.get(f"project/{res.tenant}")
        agency = str(project.attrs.get("agency", "")) if project is not None else ""
        values = res.attrs.get("values", {})
        out.append(Commitment(res.tenant, agency or "?", {k: int(v) for k, v in dict(values).items()}))
    return out


def assess(inputs: PlanInputs, quotas: Mapping[str, ResolvedQuota] | None = None) -> AdmissionReport:
    """Admission of the manifests' quotas against the site's (or a live) capacity."""
    if quotas is None:
        quotas = resolve_quotas(inputs.manifests, inputs.site, inputs.locate_site)
    planned = [
        Commitment(m.manifest.slug, m.manifest.metadata.agency, quotas[m.manifest.slug].as_dict())
        for m in inputs.manifests
    ]
    before = commitments_from_state(inputs.observed)
    snapshot = inputs.snapshot or snapshot_from_site(inputs.site)
    return admit(
        snapshot,
        inputs.site.spec.capacity,
        before,
        merge(before, planned),
        override_reason=inputs.override_reason,
    )


def capacity_status(inputs: PlanInputs, quotas: Mapping[str, ResolvedQuota]) -> AdmissionReport:
    """Where the site stands with these manifests committed: a report, not a change, so nothing is refused
    (a total past its limit shows as "over")."""
    planned = [
        Commitment(m.manifest.slug, m.manifest.metadata.agency, quotas[m.manifest.slug].as_dict())
        for m in inputs.manifests
    ]
    committed = merge(commitments_from_state(inputs.observed), planned)
    snapshot = inputs.snapshot or snapshot_from_site(inputs.site)
    return admit(snapshot, inputs.site.spec.capacity, committed, committed)


def network_requests(manifests: Sequence[LocatedManifest]) -> list[NetworkRequest]:
    out: list[NetworkRequest] = []
    for loaded in manifests:
        m = loaded.manifest
        for i, net in enumerate(m.spec.networks):
            where = "cidr" if net.cidr is not None else "prefixLength"
            out.append(
                NetworkRequest(
                    m.slug,
                    net.name,
                    net.prefix_length,
                    net.cidr,
                    loaded.locate(f"spec.networks[{i}].{where}"),
                )
            )
    return out


def _observed_subnets(observed: ObservedState) -> dict[tuple[str, str], IPv4Network]:
    out: dict[tuple[str, str], IPv4Network] = {}
    for key, res in observed.resources.items():
        if key.startswith("subnet/") and isinstance(res.attrs.get("cidr"), str):
            parts = parse_key(key)
            out[(parts.owner, parts.name)] = IPv4Network(res.attrs["cidr"])
    return out


def allocate_addresses(inputs: PlanInputs) -> Allocation:
    """IPAM with the ledger, corrected by what the cloud really holds (observed subnets win)."""
    requests = network_requests(inputs.manifests)
    ledger = Ledger({**inputs.ledger.entries, **_observed_subnets(inputs.observed)})
    ext = inputs.site.spec.external_network
    return allocate(
        inputs.site.spec.address_pools,
        requests,
        ledger,
        external={ext.name: ext.cidr},
        present_tenants=[m.manifest.slug for m in inputs.manifests],
        site=inputs.site.name,
    )


def plan_tenants(inputs: PlanInputs) -> PlanOutcome:
    """Resolve, allocate, admit and diff. Raises ManifestInvalid for quota or address problems.

    A capacity refusal does not raise: the outcome carries the report, and the caller shows it
    before failing (exit 4), so the operator sees why.
    """
    quotas = resolve_quotas(inputs.manifests, inputs.site, inputs.locate_site)
    allocation = allocate_addresses(inputs)
    if allocation.problems:
        raise ManifestInvalid(list(allocation.problems))
    report = assess(inputs, quotas)
    tenants = [
        TenantInput(
            m.manifest,
            quotas[m.manifest.slug],
            {
                net.name: allocation.allocations[(m.manifest.slug, net.name)]
                for net in m.manifest.spec.networks
            },
        )
        for m in inputs.manifests
    ]
    desired = build_desired(inputs.site, tenants)
    if inputs.include_platform:
        platform = build_platform(inputs.site)
        desired = DesiredState.of(
            [*desired.resources.values(), *platform.resources.values()],
            [*desired.tenants, *platform.tenants],
        )
    plan = make_plan(inputs.site.name, desired, inputs.observed, ipam=allocation.ledger, admission=report)
    refused = [replacement_problem(change, inputs) for change in forbidden_replacements(plan.changes)]
    if refused:  # before anything is written, whichever engine would run
        raise ManifestInvalid(refused)
    return PlanOutcome(plan, report, allocation, desired, quotas)


def replacement_problem(change: Change, inputs: PlanInputs) -> Problem:
    """A forbidden replacement, located at the field of cloud.yml or of the manifest that asked for it."""
    attrs = sorted(set(change.changed) & rule(change.kind).replaced_by)
    params = {"key": change.key, "fields": ", ".join(attrs)}
    if change.kind == "project" and "domain" in attrs:
        return domain_move_problem(change, inputs)
    for attr in attrs:
        if (change.kind, attr) in SITE_FIELDS:
            return Problem(
                inputs.locate_site(SITE_FIELDS[(change.kind, attr)]), "plan.replace_forbidden", params
            )
        if (change.kind, attr) in MANIFEST_FIELDS:
            loaded = next((m for m in inputs.manifests if m.manifest.slug == change.tenant), None)
            if loaded is not None:
                where = loaded.locate(MANIFEST_FIELDS[(change.kind, attr)])
                return Problem(where, "plan.replace_forbidden", params)
    return Problem(Location(field=change.key), "plan.replace_forbidden", params)


def domain_move_problem(change: Change, inputs: PlanInputs) -> Problem:
    """A tenant whose agency was given (or lost) its own domain: keystone cannot move a project between
    domains, and re-creating it would destroy its servers and volumes. Located at the agency's entry."""
    before = str((change.before or {}).get("domain"))
    after = str((change.after or {}).get("domain"))
    agency = str((change.after or {}).get("agency"))
    identity = inputs.site.spec.identity
    field = (
        f"spec.identity.agencyDomains.{agency}.domain"
        if agency in identity.agency_domains
        else "spec.identity.domain"
    )
    params = {"tenant": change.tenant, "agency": agency, "before": before, "after": after}
    return Problem(inputs.locate_site(field), "plan.domain_move_refused", params)
