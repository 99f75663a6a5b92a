"""All families from the latest observation of every collector: pure, so unit tests call it directly.

A family is rendered only from the observations it needs; a missing one (a collector that never
succeeded, or whose data outlived the staleness limit) drops just the families built on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from prometheus_client.core import Metric

from berth_core.site import ResourceClass, Site
from berth_exporters.families import Families
from berth_exporters.observations import (
    BlockStorageObservation,
    ComputeObservation,
    Observation,
    PlacementObservation,
)
from berth_exporters.render_capacity import (
    cloud_families,
    flavor_families,
    flavor_models,
    host_families,
    service_families,
    snapshot_from_observations,
    zone_families,
)
from berth_exporters.render_tenants import (
    commitments,
    pool_families,
    tenant_families,
    tenants_of,
    unknown_quota_families,
)

COLLECTORS: tuple[str, ...] = ("identity", "placement", "compute", "network", "blockstorage")


def cached_note(interval: float) -> str:
    return f"(cached: refreshed every {interval:g}s in the background; see berth_exporter_collector_last_success_timestamp_seconds)"


def render(observations: Mapping[str, Observation | None], site: Site, note: str) -> list[Metric]:
    out = Families(note)
    identity = observations.get("identity")
    # the refresher stores every observation as a plain mapping; each collector's has its own shape
    placement = cast("PlacementObservation | None", observations.get("placement"))
    compute = cast("ComputeObservation | None", observations.get("compute"))
    storage = cast("BlockStorageObservation | None", observations.get("blockstorage"))
    tenants = tenants_of(identity["projects"]) if identity else []
    if identity is not None:
        tenant_families(out, tenants, observations)
        unknown_quota_families(out, tenants, observations)
    if placement is not None:
        snapshot = snapshot_from_observations(placement, compute, storage, site)
        host_families(out, snapshot)
        zone_families(out, snapshot)
        observed: set[ResourceClass] = {rc for h in snapshot.hosts for rc in h.inventories}
        known: set[ResourceClass] = set()
        if storage is not None:
            observed.add("VOLUME_GB")
        if identity is not None and compute is not None:
            known |= {"VCPU", "MEMORY_MB"}
        if identity is not None and storage is not None:
            known.add("VOLUME_GB")
        cloud_families(
            out,
            snapshot,
            site,
            commitments(tenants, observations),
            observed=frozenset(observed),
            quotas_known=frozenset(known),
        )
        if compute is not None:
            flavor_families(out, snapshot, flavor_models(compute["flavors"]))
    if compute is not None:
        service_families(out, compute, placement)
    pool_families(out, site, observations.get("network"))
    return out.metrics()
