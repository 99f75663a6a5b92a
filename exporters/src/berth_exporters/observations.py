"""What each collector observes, as plain JSON-shaped data (recordable, replayable, unit-testable).

Collectors turn OpenStack's API answers into these shapes and nothing else; rendering metrics from them
is pure (berth_exporters.render_*), so unit tests feed recorded observations straight in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from berth_core.ownership import project_tenant


class Project(TypedDict):
    id: str
    name: str
    domain_id: str
    enabled: bool
    tags: list[str]
    agency: str  # "" when the project carries none
    display_name: str


class IdentityObservation(TypedDict):
    projects: list[Project]


class Provider(TypedDict):
    uuid: str
    name: str
    inventories: dict[str, dict[str, float]]  # resource class -> total, reserved, allocation_ratio
    usages: dict[str, int]


class PlacementObservation(TypedDict):
    providers: list[Provider]


class ComputeService(TypedDict):
    host: str
    zone: str
    up: bool
    enabled: bool


class FlavorRecord(TypedDict):
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int
    public: bool


class ComputeObservation(TypedDict):
    host_zones: dict[str, str]
    services: list[ComputeService]
    flavors: list[FlavorRecord]
    usage: dict[str, dict[str, int]]  # project id -> instances, cores, ram_mib (from the all-project list)
    quotas: dict[str, dict[str, int]]  # project id -> instances, cores, ram_mib (-1 unlimited)
    project_errors: int


class NetworkObservation(TypedDict):
    usage: dict[str, dict[str, int]]  # project id -> networks, ports, routers, floating_ips, security_groups
    quotas: dict[str, dict[str, int]]
    subnets: list[dict[str, str]]  # cidr, project_id
    project_errors: int


class StoragePool(TypedDict):
    name: str
    capabilities: dict[str, Any]  # cinder's pool capabilities (sizes may be "infinite"/"unknown")


class BlockStorageObservation(TypedDict):
    usage: dict[str, dict[str, int]]  # project id -> volumes, volume_gib
    quotas: dict[str, dict[str, int]]
    pools: list[StoragePool]
    project_errors: int


Observation = Mapping[str, Any]  # one of the TypedDicts above, as the refresher stores it


def tenant_slug(project: Project) -> str | None:
    """berth's tenant slug (its ownership tag), or None for a project berth does not manage."""
    return project_tenant(project["name"], project["tags"])
