"""The quota fields berth manages, their OpenStack service and their native name.

Every field is written explicitly on apply (the OpenStack quota resources of Terraform/Pulumi zero-fill
what is left out), so this table is the single list of what "every quota field" means.
`-1` means unlimited everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Service = Literal["compute", "network", "volume"]

# What the services accept for one quota limit, in their own units: nova and cinder validate against
# db.MAX_INT (0x7FFFFFFF), neutron against neutron_lib's DB_INTEGER_MAX_VALUE (2**31 - 1); their
# columns are 32-bit signed. A larger value would pass berth and fail mid-apply, after the project exists.
SERVICE_MAX = 2**31 - 1


@dataclass(frozen=True)
class QuotaField:
    name: str  # berth's camelCase name, as written in manifests and cloud.yml
    service: Service
    native: str  # the OpenStack API's name for it
    scale: int = 1  # native value = berth value * scale (ramGiB -> MiB)
    native_max: int = SERVICE_MAX

    @property
    def maximum(self) -> int:
        """The largest value in berth's units whose native value the service still accepts."""
        return self.native_max // self.scale


QUOTA_FIELDS: tuple[QuotaField, ...] = (
    QuotaField("cores", "compute", "cores"),
    QuotaField("ramGiB", "compute", "ram", 1024),
    QuotaField("instances", "compute", "instances"),
    QuotaField("keyPairs", "compute", "key_pairs"),
    QuotaField("serverGroups", "compute", "server_groups"),
    QuotaField("serverGroupMembers", "compute", "server_group_members"),
    QuotaField("metadataItems", "compute", "metadata_items"),
    QuotaField("networks", "network", "network"),
    QuotaField("subnets", "network", "subnet"),
    QuotaField("ports", "network", "port"),
    QuotaField("routers", "network", "router"),
    QuotaField("floatingIps", "network", "floatingip"),
    QuotaField("securityGroups", "network", "security_group"),
    QuotaField("securityGroupRules", "network", "security_group_rule"),
    QuotaField("volumes", "volume", "volumes"),
    QuotaField("volumeGiB", "volume", "gigabytes"),
    QuotaField("snapshots", "volume", "snapshots"),
    QuotaField("backups", "volume", "backups"),
    QuotaField("backupGiB", "volume", "backup_gigabytes"),
)

QUOTA_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in QUOTA_FIELDS)
QUOTA_FIELD_BY_NAME: dict[str, QuotaField] = {f.name: f for f in QUOTA_FIELDS}
UNLIMITED = -1


def out_of_bounds(values: Mapping[str, int]) -> list[tuple[str, int]]:
    """(field, maximum) for each value the service would refuse (unknown names are not ours to judge)."""
    out: list[tuple[str, int]] = []
    for name, value in values.items():
        spec = QUOTA_FIELD_BY_NAME.get(name)
        if spec is not None and value > spec.maximum:
            out.append((name, spec.maximum))
    return out
