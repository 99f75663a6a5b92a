"""berth_cloud: everything that talks to OpenStack (see docs/engine.md).

    cloud = connect(cloud_name, state_dir / "clouds.yaml")
    observed = observe(cloud, site, slugs)            # bulk reads -> ObservedState
    snapshot = live_capacity(cloud, site)             # placement + cinder -> CapacitySnapshot
    result = apply(cloud, plan, desired, observed, progress=callback)

openstacksdk and keystoneauth are imported when first used (connect, a call), not on import; the
CLI still imports berth_cloud inside command bodies only.
"""

from berth_cloud.capacity import live_capacity
from berth_cloud.connection import Cloud, RequestCounter, connect, site_clouds_yaml
from berth_cloud.destroy import DestroyPreview, PurgeResult, purge_tenant, stage_destroy
from berth_cloud.engine import (
    ApplyFailed,
    ApplyResult,
    ProgressEvent,
    apply,
    desired_from_plan,
    pending_changes,
)
from berth_cloud.observe import observe, pool_allocations
from berth_cloud.principals import ensure_principals, principals_of

__all__ = [
    "ApplyFailed",
    "ApplyResult",
    "Cloud",
    "DestroyPreview",
    "ProgressEvent",
    "PurgeResult",
    "RequestCounter",
    "apply",
    "connect",
    "desired_from_plan",
    "ensure_principals",
    "live_capacity",
    "observe",
    "pending_changes",
    "pool_allocations",
    "principals_of",
    "purge_tenant",
    "site_clouds_yaml",
    "stage_destroy",
]
