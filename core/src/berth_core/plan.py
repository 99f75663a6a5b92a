"""The Plan: the changes to apply, as canonical JSON with a sha256 of its content.

A saved plan also records the sha256 of the observed state it was computed from, so `berth apply
plan.json` can refuse a plan whose cloud has changed since (stale), like `terraform apply planfile`.
It carries what apply needs beyond the changes: the IPAM ledger to persist and the admission summary
(with any override reason) for the audit log, and the manifest paths it was planned from (so a stale
plan's hint re-makes that very plan). `simulate` applies a plan to an observed state without a
cloud; property tests use it to prove that applying a plan yields the desired state.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from berth_core.admission import AdmissionReport
from berth_core.diff import ACTIONS, Action, Change, diff
from berth_core.errors import UsageError
from berth_core.ipam import Ledger
from berth_core.state import Json, ObservedState, Resource, State, sha256_of

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Plan:
    site: str
    tenants: tuple[str, ...]
    changes: tuple[Change, ...]
    observed_sha256: str
    ipam: Ledger = field(default_factory=Ledger)  # every allocation of the site: the ledger after apply
    admission: AdmissionReport | None = None  # the capacity verdict it was admitted with (None: not admitted)
    manifests: tuple[str, ...] = ()  # the paths `berth plan` was given (none: the site's manifests/)

    def content(self) -> dict[str, Json]:
        content: dict[str, Json] = {
            "formatVersion": FORMAT_VERSION,
            "site": self.site,
            "tenants": list(self.tenants),
            "observedSha256": self.observed_sha256,
            "ipam": self.ipam.to_dict(),
            "admission": None if self.admission is None else self.admission.to_dict(),
            "changes": [c.to_dict() for c in self.changes],
        }
        if self.manifests:  # absent when none were given, so plans saved before the field keep their sha
            content["manifests"] = list(self.manifests)
        return content

    @property
    def sha256(self) -> str:
        return sha256_of(self.content())

    def counts(self) -> dict[Action, int]:
        counted = Counter(c.action for c in self.changes)
        return {a: counted.get(a, 0) for a in ACTIONS}

    @property
    def has_changes(self) -> bool:
        return any(c.action != "no-op" for c in self.changes)

    def to_json(self) -> str:
        content = self.content()
        document = {**content, "sha256": sha256_of(content)}
        return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "plan") -> Plan:
        """Parse a saved plan; a wrong format or a content that does not match its sha256 is refused."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            version = data.get("formatVersion")
            if version != FORMAT_VERSION:
                raise UsageError(
                    f"{source}: plan format version {version!r} is not {FORMAT_VERSION}",
                    hint="re-run `berth plan --out` with this version of berth",
                )
            plan = cls(
                site=str(data["site"]),
                tenants=tuple(data["tenants"]),
                changes=tuple(Change.from_dict(c) for c in data["changes"]),
                observed_sha256=str(data["observedSha256"]),
                ipam=Ledger.from_dict(data.get("ipam") or {}),
                admission=None
                if data.get("admission") is None
                else AdmissionReport.from_dict(data["admission"]),
                manifests=tuple(str(m) for m in data.get("manifests") or ()),
            )
        except UsageError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as bad:
            raise UsageError(f"{source}: not a berth plan ({type(bad).__name__}: {bad})") from None
        if data.get("sha256") != plan.sha256:
            raise UsageError(
                f"{source}: the plan's content does not match its sha256 (edited or damaged)",
                hint="make a fresh plan with `berth plan --out`",
            )
        return plan


def make_plan(
    site: str,
    desired: State,
    observed: ObservedState,
    *,
    ipam: Ledger | None = None,
    admission: AdmissionReport | None = None,
) -> Plan:
    return Plan(
        site=site,
        tenants=desired.tenants,
        changes=tuple(diff(desired, observed)),
        observed_sha256=observed.sha256(),
        ipam=ipam or Ledger(),
        admission=admission,
    )


def simulate(plan: Plan, observed: ObservedState) -> ObservedState:
    """What the cloud would hold after a faithful apply of the plan (pure; no cloud involved)."""
    resources = dict(observed.resources)
    for change in plan.changes:
        if change.action == "delete":
            resources.pop(change.key, None)
        elif change.action in ("create", "update") and change.after is not None:
            kept = {} if change.action == "create" or change.replace else dict(resources[change.key].attrs)
            resources[change.key] = Resource(
                change.key, change.tenant, {**kept, **change.after}, change.depends_on, managed=True
            )
    tenants = set(observed.tenants) | set(plan.tenants)
    return ObservedState.of(resources.values(), tenants)
