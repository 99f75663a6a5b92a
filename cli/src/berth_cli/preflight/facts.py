"""`berth hosts facts`: measured compute capacity vs. the site's declared hosts, saved as a snapshot.

The snapshot (.berth/<site>/facts.json) lists measured hosts in cloud.yml's `spec.hosts` shape, so the
capacity planner can use it before placement exists, and says where the declaration is wrong.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from berth_cli.preflight.runner import FACTS_DISK_PATH, HostReport
from berth_core.preflight import Measured, compare_capacity
from berth_core.site import Site


def load_site(cloud_yml: Path) -> Site:
    """The site model, through berth_core's loader (safe YAML, located problems, exit 3 when invalid)."""
    from berth_core.loader import load_site as load

    return load(cloud_yml)


def measured(reports: list[HostReport]) -> dict[str, Measured]:
    out: dict[str, Measured] = {}
    for report in reports:
        f = report.facts
        if f is None or f.cpus is None or f.ram_mib is None:
            continue
        disk = f.disks.get(FACTS_DISK_PATH)
        out[report.host.name] = Measured(f.cpus, f.ram_mib, int(disk.size_gib) if disk else 0)
    return out


def snapshot(site: Site, reports: list[HostReport], taken_at: datetime | None = None) -> dict[str, Any]:
    found = measured(reports)
    doc = compare_capacity(site.spec.hosts, found)
    unreachable = sorted(r.host.name for r in reports if r.host.name not in found)
    zones = {h.name: h.zone for h in site.spec.hosts}
    return {
        "site": site.name,
        "takenAt": (taken_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "source": "berth hosts facts",
        # cloud.yml spec.hosts shape: what the planner can use before placement exists
        "measuredHosts": [
            {"name": n, "zone": zones.get(n), "vcpus": m.vcpus, "ramMiB": m.ram_mib, "diskGiB": m.disk_gib}
            for n, m in sorted(found.items())
        ],
        "unmeasured": unreachable,
        **doc,
    }


def write_snapshot(state_dir: Path, doc: dict[str, Any]) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "facts.json"
    tmp = path.with_name(f".facts.json.tmp{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
