"""One collector per OpenStack service: observe(cloud, previous observations) -> observation.

Bulk list calls everywhere OpenStack has one; per project only nova's and cinder's quota reads, which
have no all-project form. Those run with bounded concurrency, and one project's failure (deleted between
listing and reading, say) skips that project only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from berth_exporters.connection import Reader
from berth_exporters.observations import Observation, Project, tenant_slug

PerProject = Callable[[str], dict[str, int]]


def tenant_projects(previous: Mapping[str, Observation | None], all_projects: bool = False) -> list[Project]:
    identity = previous.get("identity")
    if identity is None:
        return []
    projects: list[Project] = identity["projects"]
    return [p for p in projects if all_projects or tenant_slug(p) is not None]


def per_project(
    read: PerProject, project_ids: Iterable[str], concurrency: int
) -> tuple[dict[str, dict[str, int]], int]:
    """Read every project with at most `concurrency` requests in flight; failures are counted, not raised."""

    def guarded(pid: str) -> tuple[str, dict[str, int] | None]:
        try:
            return pid, read(pid)
        except Exception:
            return pid, None

    ids = list(project_ids)
    if not ids:
        return {}, 0
    with ThreadPoolExecutor(
        max_workers=max(1, min(concurrency, len(ids))), thread_name_prefix="berth-quota"
    ) as pool:
        results = list(pool.map(guarded, ids))
    good = {pid: values for pid, values in results if values is not None}
    return good, len(ids) - len(good)


def by_project(
    items: Iterable[dict[str, Any]],
    owner: Callable[[dict[str, Any]], str],
    counts: Mapping[str, Callable[[dict[str, Any]], int]],
) -> dict[str, dict[str, int]]:
    """Sum list items per owning project: {project: {name: sum of counts[name](item)}}."""
    out: dict[str, dict[str, int]] = {}
    for item in items:
        row = out.setdefault(owner(item), dict.fromkeys(counts, 0))
        for name, value in counts.items():
            row[name] += value(item)
    return out


def one(_: object) -> int:
    return 1


__all__ = ["Reader", "by_project", "one", "per_project", "tenant_projects"]
