"""The tenant manifest an agency submits (apiVersion berth/v1, kind Tenant).

Models only: structure and per-field rules. Loading (safe YAML, limits, line numbers) lives in
berth_core.loader; cross-file and cross-site rules (slug uniqueness, pool membership, quota classes,
flavor existence) live where the site is known.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from berth_core.model_base import Model
from berth_core.naming import check_display_name, check_slug

API_VERSION = "berth/v1"

Slug = Annotated[str, AfterValidator(check_slug)]
DisplayName = Annotated[str, AfterValidator(check_display_name)]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,15}$")]
ResourceName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
QuotaInt = Annotated[int, Field(ge=-1, strict=True)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


class Contact(Model):
    name: DisplayName
    email: Annotated[str, AfterValidator(_check_email)]


class Metadata(Model):
    name: Slug
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


class QuotaRequest(Model):
    class_name: str = Field(alias="class", pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    overrides: QuotaValues = QuotaValues()


class NetworkSpec(Model):
    """A tenant network with one IPv4 subnet: a prefix length from the site pool, or an explicit CIDR."""

    name: ResourceName
    prefix_length: int | None = Field(default=None, ge=16, le=29)
    cidr: ipaddress.IPv4Network | None = None
    dns_nameservers: tuple[ipaddress.IPv4Address, ...] = ()
    description: str | None = Field(default=None, max_length=255)

    @model_validator(mode="before")
    @classmethod
    def _strict_cidr(cls, data: object) -> object:
        # ip_network("10.0.0.1/24") would raise a vague error; say it is not a network address.
        if isinstance(data, dict) and isinstance(data.get("cidr"), str):
            try:
                ipaddress.IPv4Network(data["cidr"], strict=False)
            except ValueError:
                return data
            if ipaddress.IPv4Network(data["cidr"], strict=False).with_prefixlen != data["cidr"]:
                raise ValueError(f"cidr {data['cidr']} has host bits set")
        return data

    @model_validator(mode="after")
    def _one_of(self) -> NetworkSpec:
        if (self.prefix_length is None) == (self.cidr is None):
            raise ValueError("give exactly one of prefixLength or cidr")
        return self


class RouterSpec(Model):
    external: bool = True  # gateway on the site's external network (SNAT to the outside)


class SecurityGroupRule(Model):
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "any"] = "tcp"
    ports: str | None = None  # "443" or "8000-8080"; tcp/udp only
    remote: ipaddress.IPv4Network | None = None  # a CIDR
    remote_group: ResourceName | None = None  # another security group of the same tenant
    description: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _coherent(self) -> SecurityGroupRule:
        if self.remote is not None and self.remote_group is not None:
            raise ValueError("give at most one of remote or remoteGroup")
        if self.ports is not None:
            if self.protocol not in ("tcp", "udp"):
                raise ValueError("ports apply to tcp and udp only")
            low, high = self.port_range
            if not (1 <= low <= high <= 65535):
                raise ValueError(f"ports {self.ports!r} must be N or N-M within 1..65535, N <= M")
        return self

    @property
    def port_range(self) -> tuple[int, int]:
        if self.ports is None:
            return (0, 0)
        match = _PORTS.match(self.ports)
        if not match:
            return (0, -1)
        low = int(match.group(1))
        return (low, int(match.group(2) or low))


class SecurityGroupSpec(Model):
    name: ResourceName
    description: str | None = Field(default=None, max_length=255)
    rules: tuple[SecurityGroupRule, ...] = ()


MemberRole = Literal["member", "reader"]  # never admin: an agency cannot grant itself more


class Member(Model):
    user: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    group: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    role: MemberRole

    @model_validator(mode="after")
    def _one_of(self) -> Member:
        if (self.user is None) == (self.group is None):
            raise ValueError("give exactly one of user or group")
        return self

    @property
    def principal(self) -> tuple[str, str]:
        return ("user", self.user) if self.user is not None else ("group", self.group or "")


class TenantSpec(Model):
    quota: QuotaRequest
    networks: tuple[NetworkSpec, ...] = ()
    router: RouterSpec | None = None
    security_groups: tuple[SecurityGroupSpec, ...] = ()
    members: tuple[Member, ...] = ()
    flavors: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")], ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> TenantSpec:
        for what, names in (
            ("networks", [n.name for n in self.networks]),
            ("securityGroups", [g.name for g in self.security_groups]),
            ("flavors", list(self.flavors)),
            ("members", [f"{m.principal[0]}:{m.principal[1]}" for m in self.members]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what}: duplicate name(s) {', '.join(dupes)}")
        groups = {g.name for g in self.security_groups}
        for sg in self.security_groups:
            for rule in sg.rules:
                if rule.remote_group is not None and rule.remote_group not in groups:
                    raise ValueError(f"securityGroups {sg.name}: remoteGroup {rule.remote_group} is not defined")
        return self


class TenantManifest(Model):
    api_version: Literal["berth/v1"]
    kind: Literal["Tenant"]
    metadata: Metadata
    spec: TenantSpec

    @property
    def slug(self) -> str:
        return self.metadata.name
