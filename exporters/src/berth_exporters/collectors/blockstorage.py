"""Block storage: pools and all volumes in bulk; quotas per project (cinder has no all-project quota call)."""

from __future__ import annotations

from collections.abc import Mapping

from berth_cloud.capacity import read_volume_pools
from berth_exporters.collectors import by_project, one, per_project, tenant_projects
from berth_exporters.connection import Reader
from berth_exporters.observations import BlockStorageObservation, Observation, StoragePool

# what berth_core.capacity.volume_inventory reads of a pool
POOL_FIELDS = (
    "total_capacity_gb",
    "reserved_percentage",
    "thin_provisioning_support",
    "max_over_subscription_ratio",
    "allocated_capacity_gb",
    "provisioned_capacity_gb",
)


def observe(
    cloud: Reader, previous: Mapping[str, Observation | None], concurrency: int = 8
) -> BlockStorageObservation:
    pools = [
        StoragePool(name=p["name"], capabilities={k: p.get("capabilities", {}).get(k) for k in POOL_FIELDS})
        for p in read_volume_pools(cloud.get)
    ]
    volumes = cloud.paged("block_storage", "/volumes/detail", "volumes", params={"all_tenants": 1})
    usage = by_project(
        volumes,
        lambda v: str(v.get("os-vol-tenant-attr:tenant_id", "")),
        {"volumes": one, "volume_gib": lambda v: int(v.get("size", 0))},
    )

    def quota(pid: str) -> dict[str, int]:
        q = cloud.get("block_storage", f"/os-quota-sets/{pid}")["quota_set"]
        return {"volumes": int(q["volumes"]), "volume_gib": int(q["gigabytes"])}

    quotas, failed = per_project(quota, (p["id"] for p in tenant_projects(previous)), concurrency)
    return BlockStorageObservation(usage=usage, quotas=quotas, pools=pools, project_errors=failed)
