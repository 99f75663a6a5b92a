"""Capacity admission: may the cloud promise this much quota?

Committed quota (the sum of tenants' quotas) is compared per resource class with allocatable capacity
times the site's overbooking factor, and per agency with the site's agency caps. A change that would
push a total past its limit is refused; an operator may override with a reason, which the report keeps
(it goes to the audit log). A total already past its limit that this change does not grow is reported
but not refused, so unrelated changes are never blocked. An unlimited (-1) quota is unbounded: adding one
is always a refusal unless overridden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from berth_core.capacity import CapacitySnapshot
from berth_core.quota_fields import UNLIMITED
from berth_core.site import RESOURCE_CLASSES, CapacityPolicy, ResourceClass

# ok: within its limit; over: past it, but this change does not grow it (reported, not refused);
# refused: this change grows it past its limit; overridden: refused, but the operator accepted it with a reason;
# not-governed: no quota commits this class (DISK_GB).
Verdict = Literal["ok", "over", "refused", "overridden", "not-governed"]

# Which quota field commits which resource class, and the factor to its unit. DISK_GB has no quota in
# nova (root disks are not quota'd), so it is shown but never admitted against.
CLASS_QUOTA: dict[ResourceClass, tuple[str, int] | None] = {
    "VCPU": ("cores", 1),
    "MEMORY_MB": ("ramGiB", 1024),
    "DISK_GB": None,
    "VOLUME_GB": ("volumeGiB", 1),
}
AGENCY_FIELDS: tuple[str, ...] = ("cores", "ramGiB", "volumeGiB")


@dataclass(frozen=True)
class Commitment:
    """One tenant's promised quota (complete, berth's field names) and the agency it belongs to."""

    slug: str
    agency: str
    quota: Mapping[str, int]


@dataclass(frozen=True)
class Total:
    """A sum of quotas: the bounded part and the tenants whose quota is unlimited."""

    amount: int
    unbounded: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"amount": self.amount, "unbounded": list(self.unbounded)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Total:
        return cls(int(data["amount"]), tuple(str(s) for s in data.get("unbounded") or ()))


def _optional_total(data: Mapping[str, Any] | None) -> Total | None:
    return None if data is None else Total.from_dict(data)


def _total(commitments: Sequence[Commitment], field: str, scale: int) -> Total:
    amount = 0
    unbounded: list[str] = []
    for c in commitments:
        value = c.quota.get(field, 0)
        if value == UNLIMITED:
            unbounded.append(c.slug)
        else:
            amount += value * scale
    return Total(amount, tuple(sorted(unbounded)))


def _judge(before: Total, after: Total, limit: int, override: bool) -> Verdict:
    if after.amount <= limit and not after.unbounded:
        return "ok"
    grows = bool(set(after.unbounded) - set(before.unbounded)) or after.amount > before.amount
    if not grows:
        return "over"
    return "overridden" if override else "refused"


@dataclass(frozen=True)
class ClassLine:
    resource_class: ResourceClass
    allocatable: int
    overbooking: float
    limit: int | None  # floor(allocatable * overbooking); None when no quota governs the class
    before: Total | None
    after: Total | None
    usage: int
    free: int  # allocatable - usage: room for instances, whatever the quotas say
    verdict: Verdict

    @property
    def headroom(self) -> int | None:
        """Quota that can still be promised after this change (negative: over-committed)."""
        if self.limit is None or self.after is None or self.after.unbounded:
            return None
        return self.limit - self.after.amount

    def to_dict(self) -> dict[str, object]:
        return {
            "resourceClass": self.resource_class,
            "allocatable": self.allocatable,
            "overbooking": self.overbooking,
            "limit": self.limit,
            "committedBefore": None if self.before is None else self.before.to_dict(),
            "committedAfter": None if self.after is None else self.after.to_dict(),
            "usage": self.usage,
            "free": self.free,
            "headroom": self.headroom,
            "verdict": self.verdict,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassLine:
        return cls(
            resource_class=data["resourceClass"],
            allocatable=int(data["allocatable"]),
            overbooking=float(data["overbooking"]),
            limit=None if data["limit"] is None else int(data["limit"]),
            before=_optional_total(data["committedBefore"]),
            after=_optional_total(data["committedAfter"]),
            usage=int(data["usage"]),
            free=int(data["free"]),
            verdict=data["verdict"],
        )


@dataclass(frozen=True)
class AgencyLine:
    agency: str
    field: str  # berth quota field name
    cap: int | None  # None: no cap for this agency and field
    before: Total
    after: Total
    verdict: Verdict

    def to_dict(self) -> dict[str, object]:
        return {
            "agency": self.agency,
            "field": self.field,
            "cap": self.cap,
            "committedBefore": self.before.to_dict(),
            "committedAfter": self.after.to_dict(),
            "verdict": self.verdict,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgencyLine:
        return cls(
            agency=str(data["agency"]),
            field=str(data["field"]),
            cap=None if data["cap"] is None else int(data["cap"]),
            before=Total.from_dict(data["committedBefore"]),
            after=Total.from_dict(data["committedAfter"]),
            verdict=data["verdict"],
        )


@dataclass(frozen=True)
class AdmissionReport:
    source: str  # where capacity came from: "site" (cloud.yml) or "placement"
    classes: tuple[ClassLine, ...]
    agencies: tuple[AgencyLine, ...]
    override_reason: str | None

    @property
    def refused(self) -> bool:
        return self._any("refused")

    @property
    def overridden(self) -> bool:
        return self._any("overridden")

    def _any(self, verdict: Verdict) -> bool:
        return any(c.verdict == verdict for c in self.classes) or any(
            a.verdict == verdict for a in self.agencies
        )

    def refusals(self) -> list[str]:
        """One line per refused (or overridden) total, naming what would exceed what."""
        out: list[str] = []
        for c in self.classes:
            if c.verdict in ("refused", "overridden") and c.after is not None:
                out.append(_explain(c.resource_class, c.after, c.limit))
        for a in self.agencies:
            if a.verdict in ("refused", "overridden"):
                out.append(_explain(f"agency {a.agency} {a.field}", a.after, a.cap))
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "refused": self.refused,
            "overrideReason": self.override_reason,
            "classes": [c.to_dict() for c in self.classes],
            "agencies": [a.to_dict() for a in self.agencies],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdmissionReport:
        """The report as a saved plan holds it (its `refused` is derived again from the lines)."""
        reason = data.get("overrideReason")
        return cls(
            source=str(data["source"]),
            classes=tuple(ClassLine.from_dict(c) for c in data["classes"]),
            agencies=tuple(AgencyLine.from_dict(a) for a in data["agencies"]),
            override_reason=None if reason is None else str(reason),
        )


def _explain(what: str, after: Total, limit: int | None) -> str:
    if after.unbounded:
        return f"{what}: unlimited (-1) quota for {', '.join(after.unbounded)}"
    return f"{what}: committed {after.amount} would exceed the limit {limit}"


def merge(before: Sequence[Commitment], planned: Sequence[Commitment]) -> list[Commitment]:
    """Committed quota after a change: planned tenants replace their previous quota, others stay."""
    replaced = {c.slug for c in planned}
    return sorted([c for c in before if c.slug not in replaced] + list(planned), key=lambda c: c.slug)


def admit(
    snapshot: CapacitySnapshot,
    policy: CapacityPolicy,
    before: Sequence[Commitment],
    after: Sequence[Commitment],
    *,
    override_reason: str | None = None,
) -> AdmissionReport:
    override = bool(override_reason and override_reason.strip())
    classes: list[ClassLine] = []
    for rc in RESOURCE_CLASSES:
        allocatable = snapshot.allocatable(rc)
        usage = snapshot.used(rc)
        overbooking = policy.overbooking.get(rc, 1.0)
        governed = CLASS_QUOTA[rc]
        if governed is None:
            classes.append(
                ClassLine(
                    rc,
                    allocatable,
                    overbooking,
                    None,
                    None,
                    None,
                    usage,
                    max(0, allocatable - usage),
                    "not-governed",
                )
            )
            continue
        field, scale = governed
        limit = int(allocatable * overbooking)
        t_before, t_after = _total(before, field, scale), _total(after, field, scale)
        verdict = _judge(t_before, t_after, limit, override)
        classes.append(
            ClassLine(
                rc,
                allocatable,
                overbooking,
                limit,
                t_before,
                t_after,
                usage,
                max(0, allocatable - usage),
                verdict,
            )
        )
    return AdmissionReport(
        snapshot.source,
        tuple(classes),
        tuple(_agency_lines(policy, before, after, override)),
        override_reason.strip() if override and override_reason else None,
    )


def _agency_lines(
    policy: CapacityPolicy, before: Sequence[Commitment], after: Sequence[Commitment], override: bool
) -> list[AgencyLine]:
    lines: list[AgencyLine] = []
    agencies = sorted({c.agency for c in (*before, *after)} | set(policy.agency_caps))
    for agency in agencies:
        caps = policy.agency_caps[agency].as_dict() if agency in policy.agency_caps else {}
        fields = [*AGENCY_FIELDS, *sorted(f for f in caps if f not in AGENCY_FIELDS)]
        mine_before = [c for c in before if c.agency == agency]
        mine_after = [c for c in after if c.agency == agency]
        for field in fields:
            cap = caps.get(field)
            limit = None if cap is None or cap == UNLIMITED else cap
            t_before, t_after = _total(mine_before, field, 1), _total(mine_after, field, 1)
            verdict: Verdict = "ok" if limit is None else _judge(t_before, t_after, limit, override)
            lines.append(AgencyLine(agency, field, limit, t_before, t_after, verdict))
    return lines
