"""A review's result (pure): per tenant its status, reasons, warnings and before → after tables, and the
review as a whole (capacity verdict, the plan of what the merge would apply), serialisable as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from berth_core.admission import AdmissionReport
from berth_core.errors import Problem
from berth_core.manifest import TenantManifest
from berth_core.plan import Plan
from berth_core.quota_fields import QUOTA_FIELD_NAMES
from berth_core.review import Reason, Status, TenantSide

Row = tuple[str, str, str]  # (what, before, after); "" for a side that does not exist


@dataclass(frozen=True)
class TenantReview:
    slug: str
    agency: str
    status: Status
    before: TenantSide | None
    after: TenantSide | None
    reasons: tuple[Reason, ...]
    warnings: tuple[Problem, ...] = ()

    @property
    def needs_approval(self) -> bool:
        return any(r.blocking for r in self.reasons)

    @property
    def files(self) -> tuple[str, ...]:
        names = [side.file for side in (self.before, self.after) if side is not None]
        return tuple(dict.fromkeys(names))

    def quota_rows(self) -> list[Row]:
        """The class and every quota field whose value differs between the sides."""
        old = self.before.quota if self.before is not None else None
        new = self.after.quota if self.after is not None else None
        rows: list[Row] = []
        old_class = "" if self.before is None else self.before.manifest.spec.quota.class_name
        new_class = "" if self.after is None else self.after.manifest.spec.quota.class_name
        if old_class != new_class:
            rows.append(("class", old_class, new_class))
        only = self.after or self.before
        if (self.before is None or self.after is None) and only is not None:
            # one side: its class says the rest; list only what the manifest writes over it
            written = only.manifest.spec.quota.overrides.as_dict()
            return [
                *rows,
                *(
                    (n, "" if self.before is None else str(v), str(v) if self.before is None else "")
                    for n, v in written.items()
                ),
            ]
        for name in QUOTA_FIELD_NAMES:
            a = "" if old is None else str(old.get(name, ""))
            b = "" if new is None else str(new.get(name, ""))
            if a != b:
                rows.append((name, a, b))
        return rows

    def list_rows(self) -> list[Row]:
        """Networks and members that differ, one row each."""
        rows: list[Row] = []
        old = _listed(None if self.before is None else self.before.manifest)
        new = _listed(None if self.after is None else self.after.manifest)
        for what in ("networks", "members"):
            for key in sorted(set(old[what]) | set(new[what])):
                a, b = old[what].get(key, ""), new[what].get(key, "")
                if a != b:
                    rows.append((what, a, b))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "agency": self.agency,
            "status": self.status,
            "files": list(self.files),
            "needsApproval": self.needs_approval,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": [
                {"field": w.location.prefix(), "code": w.code, "params": w.params} for w in self.warnings
            ],
            "quota": [{"field": f, "before": a, "after": b} for f, a, b in self.quota_rows()],
            "changes": [{"what": w, "before": a, "after": b} for w, a, b in self.list_rows()],
        }


def _listed(manifest: TenantManifest | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"networks": {}, "members": {}}
    if manifest is None:
        return out
    for net in manifest.spec.networks:
        out["networks"][net.name] = (
            f"{net.name} {net.cidr}" if net.cidr else f"{net.name} /{net.prefix_length}"
        )
    for member in manifest.spec.members:
        kind, name = member.principal
        out["members"][f"{kind}:{name}"] = f"{kind} {name} ({member.role})"
    return out


@dataclass(frozen=True)
class Review:
    site: str
    base: str
    offline: bool
    tenants: tuple[TenantReview, ...]
    admission: AdmissionReport
    plan: Plan
    approvers: tuple[str, ...] = ()

    @property
    def needs_approval(self) -> bool:
        return any(t.needs_approval for t in self.tenants)

    @property
    def refused(self) -> bool:
        return self.admission.refused

    def reviewed_changes(self) -> list[Any]:
        """The plan's changes to the reviewed tenants (what the merge would apply for them)."""
        slugs = {t.slug for t in self.tenants}
        return [c for c in self.plan.changes if c.action != "no-op" and c.tenant in slugs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "base": self.base,
            "offline": self.offline,
            "needsApproval": self.needs_approval,
            "refused": self.refused,
            "approvers": list(self.approvers),
            "tenants": [t.to_dict() for t in self.tenants],
            "admission": self.admission.to_dict(),
            "plan": {"sha256": self.plan.sha256, "changes": [c.to_dict() for c in self.reviewed_changes()]},
        }
