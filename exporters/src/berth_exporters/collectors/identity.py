"""Identity: every project in one list call, with berth's tenant tags, agency and display name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berth_cloud.mapping import AGENCY_ATTR, DISPLAY_NAME_ATTR
from berth_core.ownership import agency_from_tags
from berth_exporters.connection import Reader
from berth_exporters.observations import IdentityObservation, Observation, Project


def project_record(raw: Mapping[str, Any]) -> Project:
    """Agency and display name: the keystone extra attributes berth_cloud sets, else tags, else the description."""
    tags = [str(t) for t in raw.get("tags") or []]
    agency = str(raw.get(AGENCY_ATTR) or raw.get("agency") or agency_from_tags(tags) or "")
    display = (
        raw.get(DISPLAY_NAME_ATTR)
        or raw.get("display_name")
        or raw.get("displayName")
        or raw.get("description")
        or raw.get("name", "")
    )
    return Project(
        id=str(raw["id"]),
        name=str(raw.get("name", "")),
        domain_id=str(raw.get("domain_id", "")),
        enabled=bool(raw.get("enabled", True)),
        tags=tags,
        agency=agency,
        display_name=str(display),
    )


def observe(cloud: Reader, previous: Mapping[str, Observation | None]) -> IdentityObservation:
    body = cloud.get("identity", "/projects")
    if body.get("truncated"):
        # keystone has no pagination for projects: a capped list would silently drop tenants and
        # understate committed quota, so fail (the previous list is served, marked stale)
        raise RuntimeError("keystone truncated the project list: raise or unset [DEFAULT] list_limit")
    return IdentityObservation(projects=[project_record(p) for p in body.get("projects", [])])
