"""One tenant's quota limits and what it uses, per berth quota field (for `berth tenant show`).

Three reads, one per service, because each service keeps its own usage: nova's quota-set detail, neutron's
quota details and cinder's quota set with usage. The exporter covers every tenant at once with list calls;
this is the single-tenant view an operator asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.http import NOVA_QUOTA_MICROVERSION, call
from berth_core.quota_fields import QUOTA_FIELDS


@dataclass(frozen=True)
class FieldUsage:
    limit: int  # berth units (ramGiB in GiB); -1 unlimited
    in_use: float  # berth units


def _pair(entry: Any, used_key: str) -> tuple[int, int] | None:
    if not isinstance(entry, dict):
        return None
    return int(entry.get("limit", 0)), int(entry.get(used_key, 0))


def tenant_usage(cloud: Cloud, project_id: str) -> dict[str, FieldUsage]:
    conn = cloud.conn
    nova = call(
        conn.compute,
        "GET",
        f"/os-quota-sets/{project_id}/detail",
        what="compute quota usage",
        microversion=NOVA_QUOTA_MICROVERSION,
    )
    neutron = call(conn.network, "GET", f"/quotas/{project_id}/details", what="network quota usage")
    cinder = call(
        conn.block_storage,
        "GET",
        f"/os-quota-sets/{project_id}",
        params={"usage": "true"},
        what="volume quota usage",
    )
    native = {
        "compute": ((nova or {}).get("quota_set") or {}, "in_use"),
        "network": ((neutron or {}).get("quota") or {}, "used"),
        "volume": ((cinder or {}).get("quota_set") or {}, "in_use"),
    }
    out: dict[str, FieldUsage] = {}
    for f in QUOTA_FIELDS:
        body, used_key = native[f.service]
        pair = _pair(body.get(f.native), used_key)
        if pair is None:
            continue
        limit, used = pair
        out[f.name] = FieldUsage(limit if limit < 0 else limit // f.scale, used / f.scale)
    return out
