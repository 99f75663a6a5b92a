"""The quota fields berth manages, their OpenStack service and their native name.

Every field is written explicitly on apply (the OpenStack quota resources of Terraform/Pulumi zero-fill
what is left out), so this table is the single list of what "every quota field" means.
`-1` means unlimited everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Service = Literal["compute", "network", "volume"]


@dataclass(frozen=True)
class QuotaField:
    name: str  # berth's camelCase name, as written in manifests and cloud.yml
    service: Service
    native: str  # the OpenStack API's name for it
    scale: int = 1  # native value = berth value * scale (ramGiB -> MiB)


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
