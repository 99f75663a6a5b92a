"""`berth report sample` and `berth report usage --samples` against the real devcloud.

A tenant of this test's own (a unique name, removed afterwards) is sampled twice through the `berth`
console script, with its cores quota changed in between; the samples file holds the exporter's names
and base units, and the report of the current month reads them back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT
from tests.integration.test_exporter_devcloud import QUOTA, VOLUME_QUOTA, create_tenant

pytestmark = pytest.mark.openstack
BERTH = str(Path(sys.executable).with_name("berth"))


def berth(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BERTH_ROOT": str(ROOT), "BERTH_STATE_DIR": str(state), "COLUMNS": "200"}
    env.pop("BERTH_PROMETHEUS", None)
    return subprocess.run(
        [BERTH, "--site", "aio", "--cloud", "aio-admin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_samples_of_the_devcloud_make_the_months_report(
    clouds_yaml: Path, conn: Any, unique: str, cleanup: list[Any], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    (state / "aio").mkdir(parents=True)
    (state / "aio" / "clouds.yaml").symlink_to(clouds_yaml)  # the devcloud's, not copied
    tenant = create_tenant(conn, unique, cleanup)
    first = berth(state, "--output", "json", "report", "sample")
    assert first.returncode == 0, first.stderr
    taken = json.loads(first.stdout)
    assert taken["tenants"] >= 1 and taken["samples"] >= 6
    conn.compute.put(f"/os-quota-sets/{tenant.id}", json={"quota_set": {"cores": 10}}).raise_for_status()
    second = berth(state, "report", "sample")
    assert second.returncode == 0, second.stderr
    assert "sampled" in second.stdout

    lines = (state / "aio" / "showback-samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    mine = [
        {
            (s["metric"], s["resource"]): s["value"]
            for s in json.loads(line)["samples"]
            if s["projectId"] == tenant.id
        }
        for line in lines
    ]
    assert mine[0][("berth_tenant_quota", "cores")] == QUOTA["cores"]
    assert mine[1][("berth_tenant_quota", "cores")] == 10
    assert mine[1][("berth_tenant_quota_bytes", "ram")] == QUOTA["ram"] * 2**20
    assert mine[1][("berth_tenant_quota_bytes", "volume")] == VOLUME_QUOTA["gigabytes"] * 2**30
    assert mine[1][("berth_tenant_usage", "cores")] == 0

    month = datetime.now(UTC).strftime("%Y-%m")
    report = berth(state, "--output", "json", "report", "usage", "--month", month, "--samples")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["source"] == "samples" and data["samples"] == 2
    row = next(t for t in data["tenants"] if t["tenant"] == unique)
    cores = row["resources"]["cores"]
    assert cores["committedEnd"] == 10 and cores["usedPeak"] == 0
    assert QUOTA["cores"] <= cores["committedAvg"] <= 10
    assert row["observedHours"] in (1, 2) and row["partial"] is True  # seconds of a month so far
    assert row["resources"]["volumeGiB"]["committedEnd"] == VOLUME_QUOTA["gigabytes"]
    text = berth(state, "report", "usage", "--month", month, "--samples")
    assert text.returncode == 0 and "2 sample(s) by berth" in text.stdout and unique in text.stdout
