"""`berth review`: the tenants a change touches, before (the base revision) and after (the working tree),
validated, sanity-checked, planned as the merge would apply them, and classified by the site's policy.

The plan is made of every manifest of the working tree, as `berth apply` would make it after the merge
(live: against the cloud; offline: against cloud.yml's capacity), so the capacity verdict counts every
tenant; the review shows the changes of the tenants the change touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from berth_core.review import Reason, Status, TenantSide

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_cli.services.git_changes import FileChange
    from berth_cli.services.planning import Planned
    from berth_core.loader import LoadedManifest
    from berth_core.review import ReviewRules
    from berth_core.review_report import Review, TenantReview
    from berth_core.sanity import Finding
    from berth_core.site import Site


@dataclass(frozen=True)
class _BaseFile:
    """One file at the base revision: its tenants, or how many problems keep it from being read."""

    path: str
    sides: list[TenantSide]
    problems: int


def review_site(ctx: SiteContext, base: str, *, offline: bool, now: datetime) -> Review:
    """The review of what changed since `base`; git is asked first, so a wrong base fails before any login."""
    from berth_cli.services.git_changes import changed_manifests, repository_top, verify_base
    from berth_cli.services.planning import open_cloud, plan_site
    from berth_cli.state.audit_log import AuditLog
    from berth_core.review import ReviewRules, quota_change_times
    from berth_core.review_report import Review

    repo = repository_top(ctx.manifests_dir if ctx.manifests_dir.is_dir() else ctx.root)
    commit = verify_base(repo, base)
    changes = changed_manifests(repo, commit, ctx.manifests_dir)
    cloud = None if offline else open_cloud(ctx)
    planned = plan_site(ctx, None, offline=offline, override_reason=None, cloud=cloud)
    site = planned.site
    after = _after_sides(repo, changes, planned)
    before = [_base_file(repo, commit, base, c.old, site) for c in changes if c.old is not None]
    findings = _sanity(site, after, planned)
    rules = ReviewRules(
        policy=site.spec.review,
        class_values=_class_values(site),
        admission=planned.outcome.admission,
        last_quota_change=quota_change_times(AuditLog(ctx.state_dir).records()),
        now=now,
    )
    tenants = _pair(before, after, planned, findings, rules)
    return Review(
        site=site.name,
        base=base,
        offline=offline,
        tenants=tuple(tenants),
        admission=planned.outcome.admission,
        plan=planned.outcome.plan,
        approvers=tuple(a.label for a in site.spec.review.approvers),
    )


def _after_sides(repo: Path, changes: list[FileChange], planned: Planned) -> dict[str, LoadedManifest]:
    """The working tree's tenants in the changed files, by slug (validated with every manifest already)."""
    wanted = {(repo / c.new).resolve() for c in changes if c.new is not None}
    return {m.manifest.slug: m for m in planned.loaded if Path(m.file).resolve() in wanted}


def _base_file(repo: Path, commit: str, base: str, path: str, site: Site) -> _BaseFile:
    from berth_cli.services.git_changes import base_content
    from berth_core.errors import ManifestInvalid
    from berth_core.loader import manifests_from_bytes
    from berth_core.quota import resolve_quota

    loaded, problems = manifests_from_bytes(base_content(repo, commit, path), f"{base}:{path}")
    sides = []
    for one in loaded:
        try:
            quota: dict[str, int] | None = resolve_quota(one.manifest.spec.quota, site).as_dict()
        except ManifestInvalid:  # e.g. a class the site no longer has: no before values to compare
            quota = None
        sides.append(TenantSide(one.manifest, quota, one.file))
    return _BaseFile(path, sides, len(problems))


def _sanity(site: Site, after: dict[str, LoadedManifest], planned: Planned) -> dict[str, list[Finding]]:
    """Warnings per tenant; every error of every tenant refused at once (exit 3, located)."""
    from berth_core.errors import ManifestInvalid
    from berth_core.sanity import sanity_findings

    quotas = planned.outcome.quotas
    found = {
        slug: sanity_findings(one.manifest, quotas[slug].values, site.spec.review, one.locate)
        for slug, one in after.items()
    }
    errors = [f.problem for fs in found.values() for f in fs if f.severity == "error"]
    if errors:
        raise ManifestInvalid(errors)
    return found


def _class_values(site: Site) -> dict[str, dict[str, int]]:
    from berth_core.errors import ManifestInvalid
    from berth_core.manifest import QuotaRequest
    from berth_core.quota import resolve_quota

    values: dict[str, dict[str, int]] = {}
    for name in site.spec.quota_classes:
        try:
            values[name] = resolve_quota(QuotaRequest.model_validate({"class": name}), site).as_dict()
        except ManifestInvalid:  # load_inputs refused a broken class already; keep the order complete
            values[name] = {}
    return values


def _pair(
    before_files: list[_BaseFile],
    after: dict[str, LoadedManifest],
    planned: Planned,
    findings: dict[str, list[Finding]],
    rules: ReviewRules,
) -> list[TenantReview]:
    """Each tenant of either side, matched by slug (a tenant may move between files), classified."""
    from berth_core.review import classify
    from berth_core.review_report import TenantReview

    quotas = planned.outcome.quotas
    before = {side.manifest.slug: side for f in before_files for side in f.sides}
    reviews: list[TenantReview] = []
    for slug in sorted(set(before) | set(after)):
        old = before.get(slug)
        loaded = after.get(slug)
        new = None if loaded is None else TenantSide(loaded.manifest, quotas[slug].as_dict(), loaded.file)
        status: Status = "added" if old is None else "deleted" if new is None else "changed"
        if old is not None and new is not None and old.manifest == new.manifest:
            status = "unchanged"  # moved to another file, or only comments changed
        reasons = classify(old, new, rules) if status != "unchanged" else (Reason("review.reason.unchanged"),)
        side = new or old
        agency = side.manifest.metadata.agency if side is not None else "?"
        warnings = tuple(f.problem for f in findings.get(slug, ()) if f.severity == "warning")
        reviews.append(TenantReview(slug, agency, status, old, new, reasons, warnings))
    for file in before_files:  # the base version could not be read: a person must look at what it was
        if file.problems:
            reason = Reason("review.reason.base_invalid", {"file": file.path, "count": file.problems}, True)
            reviews.append(TenantReview(file.path, "?", "changed", None, None, (reason,)))
    return reviews
