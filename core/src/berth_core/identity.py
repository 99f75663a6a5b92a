"""The site's identity: where tenants' projects live, and which agencies run their own keystone domain.

`spec.identity` of cloud.yml. Tenants of an agency listed in `agencyDomains` are projects in that
agency's domain; the agency's `managers` (users or groups of that domain) get the site's
`managerRole` on the domain: keystone's domain-manager persona (keystone 2024.2 and later, default
policies), so the agency's IT staff manage the domain's users, groups and role assignments (member,
reader, manager) themselves. Quotas stay berth's: no persona of an agency can write one.

berth never hands out `admin`: none of the roles named here may be it, and an agency's domain is never
the site's own domain (where the cloud's admin lives).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from berth_core.manifest import PRINCIPAL_PATTERN, AgencyCode
from berth_core.model_base import Model

Issue = tuple[tuple[str | int, ...], str, dict[str, Any]]  # (path below spec, code, params)
DomainName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ADMIN_ROLE = "admin"
RESERVED_DOMAINS = frozenset({"default"})  # keystone's own domain, whatever the site calls its domain


class DomainManager(Model):
    """A user or a group of the agency's own domain who gets the domain-manager role on it."""

    user: str | None = Field(default=None, pattern=PRINCIPAL_PATTERN)
    group: str | None = Field(default=None, pattern=PRINCIPAL_PATTERN)

    @model_validator(mode="after")
    def _one_of(self) -> DomainManager:
        if (self.user is None) == (self.group is None):
            raise PydanticCustomError("member.one_of", "give exactly one of user or group")
        return self

    @property
    def principal(self) -> tuple[str, str]:
        return ("user", self.user) if self.user is not None else ("group", self.group or "")


class AgencyDomain(Model):
    domain: DomainName
    description: str | None = None
    managers: tuple[DomainManager, ...] = ()


class IdentitySpec(Model):
    domain: DomainName = "Default"
    member_role: str = "member"
    reader_role: str = "reader"
    manager_role: str = "manager"  # keystone's domain-manager persona (2024.2+)
    agency_domains: dict[AgencyCode, AgencyDomain] = Field(default_factory=dict)

    def domain_of(self, agency: str) -> str:
        """The keystone domain an agency's projects live in."""
        own = self.agency_domains.get(agency)
        return own.domain if own is not None else self.domain

    def self_service(self, domain: str) -> bool:
        """Whether `domain` is an agency's own domain (its managers grant roles there, not berth alone)."""
        return any(a.domain == domain for a in self.agency_domains.values())


def identity_issues(identity: IdentitySpec) -> list[Issue]:
    """Every problem of `spec.identity` at once, each at its own field."""
    issues: list[Issue] = []
    roles = {
        "memberRole": identity.member_role,
        "readerRole": identity.reader_role,
        "managerRole": identity.manager_role,
    }
    for field, value in roles.items():
        if value.strip().lower() == ADMIN_ROLE:
            issues.append((("identity", field), "identity.admin_refused", {"role": value}))
    site_domain = identity.domain.lower()
    first: dict[str, str] = {}
    for agency, own in identity.agency_domains.items():
        at = ("identity", "agencyDomains", agency, "domain")
        name = own.domain.lower()
        if name == site_domain or name in RESERVED_DOMAINS:
            issues.append((at, "identity.domain_shared", {"agency": agency, "domain": own.domain}))
        elif name in first:
            issues.append(
                (
                    at,
                    "identity.domain_duplicate",
                    {"agency": agency, "domain": own.domain, "other": first[name]},
                )
            )
        else:
            first[name] = agency
        seen: set[tuple[str, str]] = set()
        for i, manager in enumerate(own.managers):
            if manager.principal in seen:
                kind, who = manager.principal
                issues.append(
                    (
                        ("identity", "agencyDomains", agency, "managers", i, kind),
                        "identity.manager_duplicate",
                        {"name": who},
                    )
                )
            seen.add(manager.principal)
    return issues
