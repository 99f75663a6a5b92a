"""The site's review policy (`spec.review` in cloud.yml): what `berth review` may pass without a person.

Pre-approved quota classes per agency, how many size steps a class change may jump, a cool-down between
quota changes, the capacity headroom below which any growth needs approval, the roles a new member may get
without approval, who approves (for the record), and how seriously each quota sanity check is taken
(berth_core.sanity). Every reference to a quota class is checked against the site (`policy_issues`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictFloat, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from berth_core.manifest import PRINCIPAL_PATTERN, AgencyCode, MemberRole
from berth_core.model_base import Model

Severity = Literal["error", "warning", "off"]
ClassName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Issue = tuple[tuple[str | int, ...], str, dict[str, Any]]  # (path below spec, code, params)


class Approver(Model):
    """A person or a keystone group who may approve what the policy does not pass (recorded, not enforced)."""

    user: str | None = Field(default=None, pattern=PRINCIPAL_PATTERN)
    group: str | None = Field(default=None, pattern=PRINCIPAL_PATTERN)

    @model_validator(mode="after")
    def _one_of(self) -> Approver:
        if (self.user is None) == (self.group is None):
            raise PydanticCustomError("review.approver_one_of", "give exactly one of user or group")
        return self

    @property
    def label(self) -> str:
        return f"user {self.user}" if self.user is not None else f"group {self.group}"


class RamPerCore(Model):
    """The band of GiB of RAM per core a tenant's quota should stay in (berth_core.sanity)."""

    min_gib: StrictFloat = Field(default=1.0, gt=0, alias="minGiB")
    max_gib: StrictFloat = Field(default=8.0, gt=0, alias="maxGiB")

    @model_validator(mode="after")
    def _ordered(self) -> RamPerCore:
        if self.min_gib > self.max_gib:
            raise PydanticCustomError(
                "review.ram_band_order",
                "minGiB above maxGiB",
                {"at": ("minGiB",), "min": f"{self.min_gib:g}", "max": f"{self.max_gib:g}"},
            )
        return self


class SanityChecks(Model):
    """Each quota sanity check as an error (the manifest is refused, exit 3), a warning, or off."""

    instances_within_cores: Severity = "warning"
    ram_per_core: Severity = "warning"
    floating_ips_need_router: Severity = "warning"
    networks_within_quota: Severity = "error"
    subnets_within_quota: Severity = "error"
    routers_within_quota: Severity = "error"
    security_groups_within_quota: Severity = "error"
    security_group_rules_within_quota: Severity = "error"


class ReviewPolicy(Model):
    # classes any agency may have without approval, and more per agency
    pre_approved_classes: tuple[ClassName, ...] = ()
    agency_pre_approved_classes: dict[AgencyCode, tuple[ClassName, ...]] = Field(default_factory=dict)
    # class sizes in order, smallest first; default: their order under spec.quotaClasses
    class_order: tuple[ClassName, ...] = ()
    max_class_steps: StrictInt = Field(default=1, ge=0)
    cool_down_days: StrictInt = Field(default=30, ge=0)
    min_headroom_percent: StrictFloat = Field(default=10.0, ge=0, le=100)
    auto_approved_roles: tuple[MemberRole, ...] = ("reader",)
    approvers: tuple[Approver, ...] = ()
    ram_per_core: RamPerCore = RamPerCore()
    checks: SanityChecks = SanityChecks()

    def pre_approved(self, agency: str) -> frozenset[str]:
        return frozenset((*self.pre_approved_classes, *self.agency_pre_approved_classes.get(agency, ())))

    def order(self, classes: tuple[str, ...]) -> tuple[str, ...]:
        """The classes smallest first: class_order when given, else as cloud.yml lists them."""
        return self.class_order or classes


def policy_issues(policy: ReviewPolicy, classes: tuple[str, ...]) -> list[Issue]:
    """Every reference of the policy to a quota class the site lacks, and a class order that is not a
    complete order of the site's classes; paths are under `spec` (the site's model reports them)."""
    known = set(classes)
    listed = ", ".join(classes)
    issues: list[Issue] = []

    def unknown(path: tuple[str | int, ...], name: str) -> None:
        issues.append((("review", *path), "review.class_unknown", {"name": name, "classes": listed}))

    for i, name in enumerate(policy.pre_approved_classes):
        if name not in known:
            unknown(("preApprovedClasses", i), name)
    for agency, names in policy.agency_pre_approved_classes.items():
        for i, name in enumerate(names):
            if name not in known:
                unknown(("agencyPreApprovedClasses", agency, i), name)
    if policy.class_order:
        seen: set[str] = set()
        for i, name in enumerate(policy.class_order):
            if name not in known:
                unknown(("classOrder", i), name)
            elif name in seen:
                issues.append((("review", "classOrder", i), "review.order_duplicate", {"name": name}))
            seen.add(name)
        missing = [c for c in classes if c not in seen]
        if missing:
            issues.append(
                (("review", "classOrder"), "review.order_incomplete", {"missing": ", ".join(missing)})
            )
    return issues
