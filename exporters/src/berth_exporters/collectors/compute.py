"""Compute: services (with their zones), flavors and all servers in bulk; quotas per project (nova has no
all-project quota call)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berth_core.capacity import compute_zones
from berth_exporters.collectors import by_project, one, per_project, tenant_projects
from berth_exporters.connection import Reader
from berth_exporters.observations import ComputeObservation, ComputeService, FlavorRecord, Observation

MICROVERSION = "2.47"  # servers embed their flavor's vcpus and ram: usage without a flavor lookup


def observe(
    cloud: Reader, previous: Mapping[str, Observation | None], concurrency: int = 8
) -> ComputeObservation:
    raw_services = cloud.get("compute", "/os-services", params={"binary": "nova-compute"})["services"]
    services = [
        ComputeService(
            host=s["host"],
            zone=s.get("zone", ""),
            up=s.get("state") == "up",
            enabled=s.get("status") == "enabled",
        )
        for s in raw_services
    ]
    flavors = [
        FlavorRecord(
            name=f["name"],
            vcpus=int(f["vcpus"]),
            ram_mib=int(f["ram"]),
            disk_gib=int(f.get("disk", 0)),
            public=bool(f.get("os-flavor-access:is_public", True)),
        )
        for f in cloud.paged("compute", "/flavors/detail", "flavors", params={"is_public": "None"})
    ]
    servers = cloud.paged(
        "compute", "/servers/detail", "servers", microversion=MICROVERSION, params={"all_tenants": 1}
    )
    usage = by_project(
        servers,
        lambda s: str(s["tenant_id"]),
        {
            "instances": one,
            "cores": lambda s: int(_flavor(s).get("vcpus", 0)),
            "ram_mib": lambda s: int(_flavor(s).get("ram", 0)),
        },
    )

    def quota(pid: str) -> dict[str, int]:
        q = cloud.get("compute", f"/os-quota-sets/{pid}")["quota_set"]
        return {"instances": int(q["instances"]), "cores": int(q["cores"]), "ram_mib": int(q["ram"])}

    quotas, failed = per_project(quota, (p["id"] for p in tenant_projects(previous)), concurrency)
    return ComputeObservation(
        host_zones=compute_zones(raw_services),
        services=services,
        flavors=flavors,
        usage=usage,
        quotas=quotas,
        project_errors=failed,
    )


def _flavor(server: dict[str, Any]) -> dict[str, Any]:
    flavor = server.get("flavor")
    return flavor if isinstance(flavor, dict) else {}
