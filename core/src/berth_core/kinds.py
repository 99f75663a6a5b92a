"""The attributes of every kind of resource, typed once.

Desired state is built with these types (mypy checks every key where a resource is made), berth_cloud
maps what OpenStack returns onto the same names, and the Pulumi components read them; `ATTRIBUTES` is
the same vocabulary as data, for the tests that hold observe and the stacks to it. References to other
resources are their keys (`project/so-y-te`), never OpenStack ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class ProjectAttrs(TypedDict):
    name: str
    domain: str
    displayName: str
    description: str
    agency: str
    enabled: bool
    tags: list[str]


class QuotaAttrs(TypedDict):
    project: str
    values: dict[str, int]


class NetworkAttrs(TypedDict):
    name: str
    project: str
    description: str
    tags: list[str]


class SubnetAttrs(TypedDict):
    name: str
    network: str
    project: str
    ipVersion: int
    cidr: str
    gatewayIp: str
    enableDhcp: bool
    allocationPools: list[dict[str, str]]
    dnsNameservers: list[str]
    subnetPool: str | None
    tags: list[str]


class RouterAttrs(TypedDict):
    name: str
    project: str
    externalNetwork: str | None
    enableSnat: bool
    tags: list[str]


class RouterInterfaceAttrs(TypedDict):
    router: str
    subnet: str


class SecgroupAttrs(TypedDict):
    name: str
    project: str
    description: str
    tags: list[str]


class RuleIdentity(TypedDict):
    """What makes a rule what it is (Neutron rules are immutable: a changed rule is a new one)."""

    direction: str
    ethertype: str
    protocol: str | None
    portRangeMin: int | None
    portRangeMax: int | None
    remoteIpPrefix: str | None
    remoteGroup: str | None
    secgroup: str


class SecgroupRuleAttrs(RuleIdentity):
    project: str
    description: str


class RoleAssignmentAttrs(TypedDict):
    project: str
    principalType: str
    principal: str
    role: str


class FlavorAccessAttrs(TypedDict):
    project: str
    flavor: str


class ExternalNetworkAttrs(TypedDict):
    name: str
    external: bool
    shared: bool
    physicalNetwork: str | None
    tags: list[str]


class ExternalSubnetAttrs(TypedDict):
    name: str
    network: str
    ipVersion: int
    cidr: str
    gatewayIp: str
    enableDhcp: bool
    tags: list[str]


class SubnetPoolAttrs(TypedDict):
    name: str
    prefixes: list[str]
    defaultPrefixLength: int
    minPrefixLength: int
    maxPrefixLength: int
    ipVersion: int
    shared: bool
    tags: list[str]


class FlavorAttrs(TypedDict):
    name: str
    vcpus: int
    ramMiB: int
    diskGiB: int
    public: bool


class QuotaClassAttrs(TypedDict):
    name: str
    values: dict[str, int]


class DomainAttrs(TypedDict):
    """An agency's own keystone domain (cloud.yml spec.identity.agencyDomains)."""

    name: str
    description: str
    agency: str
    enabled: bool
    tags: list[str]


class DomainGrantAttrs(TypedDict):
    """A role on a domain (the domain-manager persona) for a user or group of that domain."""

    domain: str  # the domain's key, `domain/<name>`
    principalType: str
    principal: str
    role: str


_TYPES: Mapping[str, type] = {
    "project": ProjectAttrs,
    "quota": QuotaAttrs,
    "network": NetworkAttrs,
    "subnet": SubnetAttrs,
    "router": RouterAttrs,
    "router-interface": RouterInterfaceAttrs,
    "secgroup": SecgroupAttrs,
    "secgroup-rule": SecgroupRuleAttrs,
    "role-assignment": RoleAssignmentAttrs,
    "flavor-access": FlavorAccessAttrs,
    "external-network": ExternalNetworkAttrs,
    "external-subnet": ExternalSubnetAttrs,
    "subnet-pool": SubnetPoolAttrs,
    "flavor": FlavorAttrs,
    "quota-class": QuotaClassAttrs,
    "domain": DomainAttrs,
    "domain-grant": DomainGrantAttrs,
}
# kind -> the attribute names berth states for it (desired state has exactly these)
ATTRIBUTES: Mapping[str, frozenset[str]] = {
    kind: frozenset(typed.__required_keys__ | typed.__optional_keys__)  # type: ignore[attr-defined]
    for kind, typed in _TYPES.items()
}
