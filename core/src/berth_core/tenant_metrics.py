"""The exporter's per-tenant metric names and resources: one place, for the exporter that publishes them
and for the showback report that reads them back (from Prometheus, or from berth's own samples).

`berth_tenant_quota{tenant, agency, project_id, resource}` and `berth_tenant_usage{…}` are counted
resources; the byte-valued ones carry the `_bytes` suffix (one unit per metric, base units).
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024**2
GIB = 1024**3

QUOTA = "quota"
USAGE = "usage"
KINDS = (QUOTA, USAGE)
TENANT_LABELS = ("tenant", "agency", "project_id")
TENANT_INFO = "berth_tenant_info"


@dataclass(frozen=True)
class TenantResource:
    label: str  # the metric's `resource` label
    collector: str  # which exporter collector observes it
    key: str  # its key in that collector's observation
    scale: int  # observation unit -> base unit
    in_bytes: bool  # published in a `_bytes` metric
    quota_field: str | None = None  # the manifest's quota field, for what showback prices

    def metric(self, kind: str) -> str:
        """`berth_tenant_quota`, `berth_tenant_usage_bytes`, …"""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        return f"berth_tenant_{kind}{'_bytes' if self.in_bytes else ''}"

    def to_field_unit(self, value: float) -> float:
        """A base-unit value (bytes, counts) in the quota field's unit (GiB for ramGiB and volumeGiB)."""
        return value / GIB if self.in_bytes else value


TENANT_RESOURCES: tuple[TenantResource, ...] = (
    TenantResource("instances", "compute", "instances", 1, False, "instances"),
    TenantResource("cores", "compute", "cores", 1, False, "cores"),
    TenantResource("ram", "compute", "ram_mib", MIB, True, "ramGiB"),
    TenantResource("volumes", "blockstorage", "volumes", 1, False, "volumes"),
    TenantResource("volume", "blockstorage", "volume_gib", GIB, True, "volumeGiB"),
    TenantResource("networks", "network", "networks", 1, False, "networks"),
    TenantResource("ports", "network", "ports", 1, False, "ports"),
    TenantResource("routers", "network", "routers", 1, False, "routers"),
    TenantResource("floating_ips", "network", "floating_ips", 1, False, "floatingIps"),
    TenantResource("security_groups", "network", "security_groups", 1, False, "securityGroups"),
)

# what showback reports and may price: the physical resources an agency reserves
SHOWBACK_FIELDS: tuple[str, ...] = ("cores", "ramGiB", "volumeGiB")


def by_field(field: str) -> TenantResource:
    return next(r for r in TENANT_RESOURCES if r.quota_field == field)


def by_metric(name: str, resource: str) -> tuple[TenantResource, str] | None:
    """The resource and kind (quota or usage) of one published sample, or None when it is not a tenant's."""
    for r in TENANT_RESOURCES:
        if r.label == resource:
            for kind in KINDS:
                if r.metric(kind) == name:
                    return r, kind
    return None
