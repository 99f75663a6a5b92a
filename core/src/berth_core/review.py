"""Reviewing an agency's change (pure): each tenant before and after, classified auto or needs approval.

The before side is the manifest at the base revision, the after side the one in the working tree (either
may be absent: added, deleted). Every reason is a catalogue code with parameters, so the same review reads
in Vietnamese or English; a reason is `blocking` when the site's review policy (berth_core.review_policy)
does not pass it. Times are given by the caller: core reads no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from berth_core.admission import CLASS_QUOTA, AdmissionReport
from berth_core.audit import AuditRecord
from berth_core.desired import rule_identity
from berth_core.manifest import TenantManifest
from berth_core.quota_fields import QUOTA_FIELD_NAMES, UNLIMITED
from berth_core.review_policy import ReviewPolicy
from berth_core.rule_text import is_world_open

Status = Literal["added", "changed", "deleted", "unchanged"]
AUDIT_TIME = "%Y-%m-%dT%H:%M:%SZ"  # berth_cli.state.audit_log writes times so


@dataclass(frozen=True)
class TenantSide:
    """One version of a tenant: its manifest, its resolved quota (None: it does not resolve) and file."""

    manifest: TenantManifest
    quota: Mapping[str, int] | None
    file: str


@dataclass(frozen=True)
class Reason:
    code: str  # a catalogue message (review.reason.*)
    params: Mapping[str, Any] = field(default_factory=dict)
    blocking: bool = False  # needs approval

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "needsApproval": self.blocking}


@dataclass(frozen=True)
class ReviewRules:
    """What classification needs besides the two sides: the policy, the site's classes (their values, in
    cloud.yml's order), the capacity verdict after the change, and when each tenant's quota last changed."""

    policy: ReviewPolicy
    class_values: Mapping[str, Mapping[str, int]]
    admission: AdmissionReport | None
    last_quota_change: Mapping[str, datetime]
    now: datetime


def _grows(before: int, after: int) -> bool:
    if after == UNLIMITED:
        return before != UNLIMITED
    return before != UNLIMITED and after > before


def _quota_reasons(
    slug: str, agency: str, before: TenantSide | None, after: TenantSide, rules: ReviewRules
) -> list[Reason]:
    new_class = after.manifest.spec.quota.class_name
    old_class = None if before is None else before.manifest.spec.quota.class_name
    reasons: list[Reason] = []
    if new_class != old_class:
        reasons += _class_reasons(agency, old_class, new_class, rules)
    new_quota = after.quota or {}
    base = (before.quota if before is not None else None) or rules.class_values.get(new_class, {})
    class_quota = rules.class_values.get(new_class, {})
    overrides = after.manifest.spec.quota.overrides.as_dict()
    grown = [f for f in QUOTA_FIELD_NAMES if _grows(base.get(f, 0), new_quota.get(f, 0))]
    for name in grown:
        if new_quota[name] == UNLIMITED:
            reasons.append(Reason("review.reason.unlimited", {"field": name}, blocking=True))
        elif name in overrides and _grows(class_quota.get(name, 0), new_quota[name]):
            params = {"field": name, "before": base.get(name, 0), "after": new_quota[name], "cls": new_class}
            reasons.append(Reason("review.reason.override_growth", params, blocking=True))
    if grown and before is not None:
        reasons += _cool_down(slug, rules)
    committed_before = (before.quota if before is not None else None) or {}  # a new tenant commits from 0
    reasons += _headroom(committed_before, new_quota, rules)
    return reasons


def _class_reasons(agency: str, old: str | None, new: str, rules: ReviewRules) -> list[Reason]:
    policy = rules.policy
    reasons: list[Reason] = []
    if new not in policy.pre_approved(agency):
        reasons.append(Reason("review.reason.class_not_pre_approved", {"cls": new, "agency": agency}, True))
    else:
        reasons.append(Reason("review.reason.class_pre_approved", {"cls": new, "agency": agency}))
    if old is None:
        return reasons
    order = policy.order(tuple(rules.class_values))
    if old not in order or new not in order:  # a class the site no longer has: no size to compare
        reasons.append(
            Reason(
                "review.reason.class_jump",
                {"before": old, "after": new, "steps": "?", "limit": policy.max_class_steps},
                True,
            )
        )
        return reasons
    steps = order.index(new) - order.index(old)
    params = {"before": old, "after": new, "steps": abs(steps), "limit": policy.max_class_steps}
    if steps > policy.max_class_steps:
        reasons.append(Reason("review.reason.class_jump", params, blocking=True))
    elif steps > 0:
        reasons.append(Reason("review.reason.class_step", params))
    else:
        reasons.append(Reason("review.reason.class_down", params))
    return reasons


def _cool_down(slug: str, rules: ReviewRules) -> list[Reason]:
    last = rules.last_quota_change.get(slug)
    days = rules.policy.cool_down_days
    if last is None or days == 0:
        return []
    ago = (rules.now - last).total_seconds() / 86400
    if ago >= days:
        return []
    params = {"days": int(ago), "when": last.strftime("%Y-%m-%d"), "limit": days}
    return [Reason("review.reason.cool_down", params, blocking=True)]


def _headroom(before: Mapping[str, int], after: Mapping[str, int], rules: ReviewRules) -> list[Reason]:
    """Growth of a quota that commits capacity, when what is left to promise falls below the policy's floor."""
    if rules.admission is None:
        return []
    reasons: list[Reason] = []
    for line in rules.admission.classes:
        governed = CLASS_QUOTA[line.resource_class]
        if governed is None or line.limit is None or line.headroom is None:
            continue
        name = governed[0]
        old, new = before.get(name, 0), after.get(name, 0)
        if new == UNLIMITED or not _grows(old, new):
            continue
        percent = 0.0 if line.limit <= 0 else 100 * line.headroom / line.limit
        if percent < rules.policy.min_headroom_percent:
            params = {
                "field": name,
                "delta": new - old,
                "rc": line.resource_class,
                "percent": f"{max(percent, 0):.0f}",
                "floor": f"{rules.policy.min_headroom_percent:g}",
            }
            reasons.append(Reason("review.reason.headroom", params, blocking=True))
    return reasons


def _members(manifest: TenantManifest | None) -> set[tuple[str, str, str]]:
    if manifest is None:
        return set()
    return {(*m.principal, m.role) for m in manifest.spec.members}


def _member_reasons(
    agency: str, before: TenantManifest | None, after: TenantManifest, policy: ReviewPolicy
) -> list[Reason]:
    reasons: list[Reason] = []
    old, new = _members(before), _members(after)
    for kind, name, role in sorted(new - old):
        params = {"principal": f"{kind} {name}", "role": role, "agency": agency}
        reasons.append(Reason("review.reason.member_added", params, role not in policy.auto_approved_roles))
    for kind, name, role in sorted(old - new):
        reasons.append(Reason("review.reason.member_removed", {"principal": f"{kind} {name}", "role": role}))
    return reasons


def world_open_rules(manifest: TenantManifest | None) -> set[tuple[str, str]]:
    """(group, "tcp 443") of every ingress rule open to the whole Internet."""
    if manifest is None:
        return set()
    found: set[tuple[str, str]] = set()
    for group in manifest.spec.security_groups:
        for rule in group.rules:
            identity = rule_identity(rule, manifest.slug, group.name)
            if rule.direction == "ingress" and is_world_open(identity):
                found.add((group.name, f"{rule.protocol} {rule.ports}" if rule.ports else rule.protocol))
    return found


def classify(before: TenantSide | None, after: TenantSide | None, rules: ReviewRules) -> tuple[Reason, ...]:
    """Why this tenant's change is auto or needs approval: every reason, blocking ones first."""
    either = after or before
    if either is None:
        return ()
    slug, agency = either.manifest.slug, either.manifest.metadata.agency
    if after is None:
        return (Reason("review.reason.tenant_deleted", {"slug": slug}, blocking=True),)
    reasons: list[Reason] = []
    if before is None:
        reasons.append(Reason("review.reason.tenant_added", {"slug": slug, "agency": agency}))
    elif before.manifest.metadata.agency != agency:
        params = {"before": before.manifest.metadata.agency, "after": agency}
        reasons.append(Reason("review.reason.agency_changed", params, blocking=True))
    reasons += _quota_reasons(slug, agency, before, after, rules)
    reasons += _member_reasons(
        agency, None if before is None else before.manifest, after.manifest, rules.policy
    )
    old_open = world_open_rules(None if before is None else before.manifest)
    for group, what in sorted(world_open_rules(after.manifest) - old_open):
        reasons.append(Reason("review.reason.world_open", {"group": group, "what": what}, blocking=True))
    if not reasons:
        reasons.append(Reason("review.reason.within_policy"))
    return tuple(sorted(reasons, key=lambda r: not r.blocking))


def quota_change_times(records: Sequence[AuditRecord]) -> dict[str, datetime]:
    """When each tenant's quota last changed, by a successful apply. Records that predate `quotaTenants`
    name only the tenants an apply changed: counted as quota changes, so a cool-down errs on the safe side."""
    last: dict[str, datetime] = {}
    for record in records:
        entry = record.entry
        if entry.action != "apply" or entry.result != "ok":
            continue
        tenants = entry.summary.get("quotaTenants", entry.summary.get("tenants", ()))
        try:
            when = datetime.strptime(entry.time, AUDIT_TIME).replace(tzinfo=UTC)
        except ValueError:
            continue
        for slug in tenants if isinstance(tenants, list) else ():
            last[str(slug)] = max(when, last.get(str(slug), when))
    return last
