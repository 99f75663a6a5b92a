"""The tenant manifest an agency submits (apiVersion berth/v1, kind Tenant).

Models only: structure and per-manifest rules. Loading (safe YAML, limits, line numbers) lives in
berth_core.loader; cross-file and cross-site rules (slug uniqueness, pool membership, quota classes,
flavor existence) live in berth_core.loader / berth_core.validate, where all files and the site are known.

Rule violations raise PydanticCustomError whose type is a catalogue code (berth_core.i18n) and whose
context holds the message parameters; `at` (a field path suffix) points below the model that raised,
and the code `berth.issues` carries several (suffix, code, params) at once.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from berth_core.fields import Address, AnyNetwork, Network, Ports, port_range
from berth_core.model_base import Model
from berth_core.naming import check_display_name, check_email, check_slug
from berth_core.quota_fields import out_of_bounds

API_VERSION = "berth/v1"

# Named so berth_core.model_errors can turn a pattern mismatch into a message an agency understands.
AGENCY_CODE_PATTERN = r"^[A-Z][A-Z0-9-]{1,15}$"
RESOURCE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
PRINCIPAL_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
FLAVOR_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

Slug = Annotated[str, AfterValidator(check_slug)]
DisplayName = Annotated[str, AfterValidator(check_display_name)]
AgencyCode = Annotated[str, Field(pattern=AGENCY_CODE_PATTERN)]
ResourceName = Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
FlavorName = Annotated[str, Field(pattern=FLAVOR_NAME_PATTERN)]
QuotaInt = Annotated[int, Field(ge=-1, strict=True)]
Issue = tuple[tuple[str | int, ...], str, dict[str, Any]]  # (field path below the model, code, params)


class Contact(Model):
    name: DisplayName
    email: Annotated[str, AfterValidator(check_email)]


RESERVED_SLUGS = frozenset({"platform"})  # the site's own resources are planned as the "platform" tenant


def _not_reserved(value: str) -> str:
    if value in RESERVED_SLUGS:
        raise PydanticCustomError("slug.reserved", "the slug {value} is reserved", {"value": value})
    return value


class Metadata(Model):
    name: Annotated[Slug, AfterValidator(_not_reserved)]
    display_name: DisplayName
    agency: AgencyCode
    contact: Contact
    ticket: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=1024)


class QuotaValues(Model):
    """Any subset of berth's quota fields (berth_core.quota_fields); -1 means unlimited."""

    cores: QuotaInt | None = None
    ram_gib: QuotaInt | None = Field(default=None, alias="ramGiB")
    instances: QuotaInt | None = None
    key_pairs: QuotaInt | None = None
    server_groups: QuotaInt | None = None
    server_group_members: QuotaInt | None = None
    metadata_items: QuotaInt | None = None
    networks: QuotaInt | None = None
    subnets: QuotaInt | None = None
    ports: QuotaInt | None = None
    routers: QuotaInt | None = None
    floating_ips: QuotaInt | None = None
    security_groups: QuotaInt | None = None
    security_group_rules: QuotaInt | None = None
    volumes: QuotaInt | None = None
    volume_gib: QuotaInt | None = Field(default=None, alias="volumeGiB")
    snapshots: QuotaInt | None = None
    backups: QuotaInt | None = None
    backup_gib: QuotaInt | None = Field(default=None, alias="backupGiB")

    def as_dict(self) -> dict[str, int]:
        """The fields that are set, keyed by berth's camelCase names."""
        return {k: v for k, v in self.model_dump(by_alias=True).items() if v is not None}

    @model_validator(mode="after")
    def _within_service_limits(self) -> QuotaValues:
        # a value nova, neutron or cinder would refuse fails here, not half-way through an apply
        values = self.as_dict()
        issues: list[Issue] = [
            ((name,), "quota.above_service_max", {"field": name, "got": values[name], "limit": limit})
            for name, limit in out_of_bounds(values)
        ]
        if issues:
            raise PydanticCustomError(
                "berth.issues", "{count} problems", {"issues": issues, "count": len(issues)}
            )
        return self


class QuotaRequest(Model):
    class_name: str = Field(alias="class", pattern=RESOURCE_NAME_PATTERN)
    overrides: QuotaValues = QuotaValues()


class NetworkSpec(Model):
    """A tenant network with one IPv4 subnet: a prefix length from the site pool, or an explicit CIDR."""

    name: ResourceName
    prefix_length: StrictInt | None = Field(default=None, ge=16, le=29)
    cidr: Network | None = None
    dns_nameservers: tuple[Address, ...] = ()
    description: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _one_of(self) -> NetworkSpec:
        if (self.prefix_length is None) == (self.cidr is None):
            raise PydanticCustomError("network.one_of", "give exactly one of prefixLength or cidr")
        return self


class RouterSpec(Model):
    external: StrictBool = True  # gateway on the site's external network (SNAT to the outside)


class SecurityGroupRule(Model):
    """One Neutron rule. Its source is always explicit: Neutron reads "no remote" as every source."""

    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "any"] = "tcp"
    ports: Ports | None = None  # "443" or "8000-8080"; tcp/udp only, and required there ("1-65535": all)
    remote: AnyNetwork | None = None  # a CIDR; the whole Internet is written 0.0.0.0/0 or ::/0
    remote_group: ResourceName | None = None  # another security group of the same tenant
    description: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _coherent(self) -> SecurityGroupRule:
        issues: list[Issue] = []
        if self.remote is not None and self.remote_group is not None:
            issues.append((("remoteGroup",), "rule.remote_one_of", {}))
        if self.remote is None and self.remote_group is None:
            issues.append(((), "rule.source_missing", {"direction": self.direction}))
        if self.ports is not None and self.protocol not in ("tcp", "udp"):
            issues.append((("ports",), "rule.ports_protocol", {"protocol": self.protocol}))
        if self.ports is None and self.protocol in ("tcp", "udp"):
            issues.append((("ports",), "rule.ports_missing", {"protocol": self.protocol}))
        if issues:
            raise PydanticCustomError(
                "berth.issues", "{count} problems", {"issues": issues, "count": len(issues)}
            )
        return self

    @property
    def port_range(self) -> tuple[int, int]:
        """(low, high) of `ports`; (0, 0) when the rule has none (not tcp/udp)."""
        return (0, 0) if self.ports is None else port_range(self.ports)

    @property
    def ethertype(self) -> Literal["IPv4", "IPv6"]:
        return "IPv6" if isinstance(self.remote, ipaddress.IPv6Network) else "IPv4"


def _not_default_group(value: str) -> str:
    # Neutron gives every project a group named "default"; a second one by that name is refused or ambiguous.
    if value == "default":
        raise PydanticCustomError("secgroup.default_reserved", "the name 'default' is Neutron's own group")
    return value


class SecurityGroupSpec(Model):
    name: Annotated[ResourceName, AfterValidator(_not_default_group)]
    description: str | None = Field(default=None, max_length=255)
    rules: tuple[SecurityGroupRule, ...] = ()


MemberRole = Literal["member", "reader"]  # never admin: an agency cannot grant itself more


class Member(Model):
    user: str | None = Field(default=None, pattern=PRINCIPAL_PATTERN)
    group: str | None = Field(default=None, pattern=PRINCIPAL_PATTERN)
    role: MemberRole

    @model_validator(mode="after")
    def _one_of(self) -> Member:
        if (self.user is None) == (self.group is None):
            raise PydanticCustomError("member.one_of", "give exactly one of user or group")
        return self

    @property
    def principal(self) -> tuple[str, str]:
        return ("user", self.user) if self.user is not None else ("group", self.group or "")


def _duplicates(what: str, names: list[str], field: str | None = "name") -> list[Issue]:
    """Each repeated name, reported where it is repeated (`field` of the item, or the item itself)."""
    first: dict[str, int] = {}
    issues: list[Issue] = []
    for index, name in enumerate(names):
        if name in first:
            path = (what, index, field) if field else (what, index)
            issues.append((path, "spec.duplicate_name", {"name": name, "first": first[name]}))
        else:
            first[name] = index
    return issues


class TenantSpec(Model):
    quota: QuotaRequest
    networks: tuple[NetworkSpec, ...] = ()
    router: RouterSpec | None = None
    security_groups: tuple[SecurityGroupSpec, ...] = ()
    members: tuple[Member, ...] = ()
    flavors: tuple[FlavorName, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> TenantSpec:
        # every cross-item problem at once, each at its own path
        issues = [
            *_duplicates("networks", [n.name for n in self.networks]),
            *_duplicates("securityGroups", [g.name for g in self.security_groups]),
            *_duplicates("flavors", list(self.flavors), None),
            *_duplicates("members", [":".join(m.principal) for m in self.members], None),
        ]
        groups = {g.name for g in self.security_groups}
        for i, sg in enumerate(self.security_groups):
            for j, rule in enumerate(sg.rules):
                if rule.remote_group is not None and rule.remote_group not in groups:
                    issues.append(
                        (
                            ("securityGroups", i, "rules", j, "remoteGroup"),
                            "spec.remote_group_undefined",
                            {"name": rule.remote_group, "defined": ", ".join(sorted(groups))},
                        )
                    )
        if issues:
            raise PydanticCustomError(
                "berth.issues", "{count} problems", {"issues": issues, "count": len(issues)}
            )
        return self


class TenantManifest(Model):
    api_version: Literal["berth/v1"]
    kind: Literal["Tenant"]
    metadata: Metadata
    spec: TenantSpec

    @property
    def slug(self) -> str:
        return self.metadata.name
