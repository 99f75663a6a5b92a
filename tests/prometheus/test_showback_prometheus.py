"""`berth report usage` against a real Prometheus holding a backfilled month of the exporter's series.

A month (November 2026) of samples every 10 minutes, in the exporter's metric names and base units, is
written as OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, and
served by Debian's prometheus on a loopback port. The report, run through the `berth` console script,
must match figures computed here straight from the input points, by another route than berth's hourly
buckets (the grid is uniform, so a time-weighted average is the plain mean of the points)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prometheus import server

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.slow,  # promtool writes a block per 2 h of the month: about 100 s on 2 shared cores
    pytest.mark.skipif(
        not server.available() or shutil.which("promtool") is None,
        reason="Debian's prometheus and promtool are not installed",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
BERTH = str(Path(sys.executable).with_name("berth"))
GIB = 1024**3
START = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
EVERY = 600  # seconds between samples: 6 per hour
HOURS = 720
PRICES = {"cores": 150000, "ramGiB": 40000, "volumeGiB": 2000}
# the exporter's families (docs/exporter.md), spelled as a scrape shows them
METRIC = {
    ("quota", "cores"): ("berth_tenant_quota", "cores"),
    ("usage", "cores"): ("berth_tenant_usage", "cores"),
    ("quota", "ramGiB"): ("berth_tenant_quota_bytes", "ram"),
    ("usage", "ramGiB"): ("berth_tenant_usage_bytes", "ram"),
    ("quota", "volumeGiB"): ("berth_tenant_quota_bytes", "volume"),
    ("usage", "volumeGiB"): ("berth_tenant_usage_bytes", "volume"),
}
Value = Callable[[int], float]  # sample index (10-minute step since the month began) -> value
TENANTS: dict[tuple[str, str, str], dict[tuple[str, str], Value]] = {
    ("so-y-te", "SYT", "p-syt"): {
        ("quota", "cores"): lambda i: 16 if i < 14 * 144 else 32,  # grows on 15 November
        ("usage", "cores"): lambda i: 40 if i == 19 * 144 + 79 else ((i // 6) % 24) % 8 + i % 3,
        ("quota", "ramGiB"): lambda i: 64 * GIB,
        ("usage", "ramGiB"): lambda i: (8 + i % 6) * GIB,
        ("quota", "volumeGiB"): lambda i: 500 * GIB,
        ("usage", "volumeGiB"): lambda i: 100 * GIB,
    },
    ("syt-his", "SYT", "p-his"): {  # created on 10 November at noon; unlimited volume quota
        ("quota", "cores"): lambda i: 8,
        ("usage", "cores"): lambda i: 2 + i % 2,
        ("quota", "ramGiB"): lambda i: 16 * GIB,
        ("usage", "ramGiB"): lambda i: 4 * GIB,
        ("quota", "volumeGiB"): lambda i: math.inf,
        ("usage", "volumeGiB"): lambda i: 10 * GIB,
    },
    ("ttdl-kho", "TTDL", "p-kho"): {  # the exporter missed 25 November
        ("quota", "cores"): lambda i: 64,
        ("usage", "cores"): lambda i: 48,
        ("quota", "ramGiB"): lambda i: 256 * GIB,
        ("usage", "ramGiB"): lambda i: 200 * GIB,
        ("quota", "volumeGiB"): lambda i: 2000 * GIB,
        ("usage", "volumeGiB"): lambda i: 1500 * GIB,
    },
}


def present(tenant: str, i: int) -> bool:
    if tenant == "syt-his":
        return i >= 9 * 144 + 72
    if tenant == "ttdl-kho":
        return not 24 * 144 <= i < 25 * 144
    return True


def points(tenant: tuple[str, str, str], key: tuple[str, str]) -> list[tuple[float, float]]:
    """The series' samples in the month (those outside it are written too, and must be ignored)."""
    value = TENANTS[tenant][key]
    return [(START + i * EVERY, value(i)) for i in range(HOURS * 6) if present(tenant[0], i)]


def openmetrics() -> str:
    lines: list[str] = []
    for name in sorted({m for m, _ in METRIC.values()}):
        lines.append(f"# TYPE {name} gauge")
        for tenant in TENANTS:
            for key, (metric, resource) in METRIC.items():
                if metric != name:
                    continue
                slug, agency, pid = tenant
                labels = f'{{tenant="{slug}",agency="{agency}",project_id="{pid}",resource="{resource}"}}'
                series = points(tenant, key)
                if slug == "so-y-te":  # just before and from the first instant after the month: not November
                    series = [(START - EVERY, 1e6 * GIB), *series, (END, 1e6 * GIB), (END + EVERY, 1e6)]
                for t, v in series:
                    shown = "+Inf" if math.isinf(v) else repr(float(v))
                    lines.append(f"{name}{labels} {shown} {t:.0f}")
    return "\n".join([*lines, "# EOF", ""])


def expected(series: dict[tuple[str, str], list[tuple[float, float]]], field: str) -> dict[str, Any]:
    """From the points alone: uniform 10-minute grid, so an hour observed holds 6 points."""
    scale = 1 / GIB if field != "cores" else 1
    quota = [v * scale for _, v in series[("quota", field)]]
    used = [v * scale for _, v in series[("usage", field)]]
    unlimited = any(math.isinf(v) for v in quota)
    return {
        "committedAvg": None if unlimited else sum(quota) / len(quota),
        "committedEnd": None if unlimited else quota[-1],
        "unlimited": unlimited,
        "usedPeak": max(used),
        "usedAvg": sum(used) / len(used),
        "observedHours": len(quota) // 6,
        "cost": None if unlimited else PRICES[field] * (sum(quota) / 6) / HOURS,
    }


def agency_series(agency: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """The agency's tenants summed at each sample time (they share the grid)."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for key in METRIC:
        summed: dict[float, float] = {}
        for tenant in (t for t in TENANTS if t[1] == agency):
            for t, v in points(tenant, key):
                summed[t] = summed.get(t, 0.0) + v
        out[key] = sorted(summed.items())
    return out


def hourly_peak_of_sum(agency: str, field: str) -> float:
    """An agency's peak: the largest sum of its tenants' hourly peaks."""
    peaks: dict[int, float] = {}
    for tenant in (t for t in TENANTS if t[1] == agency):
        per_hour: dict[int, float] = {}
        for t, v in points(tenant, ("usage", field)):
            hour = int((t - START) // 3600)
            per_hour[hour] = max(per_hour.get(hour, -math.inf), v)
        for hour, v in per_hour.items():
            peaks[hour] = peaks.get(hour, 0.0) + v
    return max(peaks.values()) / (GIB if field != "cores" else 1)


def assert_close(got: dict[str, Any], want: dict[str, Any], what: object) -> None:
    """Same keys; numbers equal to 1e-9 relative, None and booleans exactly."""
    assert sorted(got) == sorted(want), what
    for key, value in want.items():
        if value is None or isinstance(value, bool):
            assert got[key] is value, (what, key, got[key], value)
        else:
            assert got[key] is not None and math.isclose(got[key], value, rel_tol=1e-9), (
                what,
                key,
                got[key],
                value,
            )


def figures(row: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in row["resources"][field].items() if k != "field"}


@pytest.fixture(scope="module")
def month_in_prometheus(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("showback")
    source = tmp / "november.om"
    source.write_text(openmetrics(), encoding="utf-8")
    data = tmp / "data"
    began = time.monotonic()
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    backfill = time.monotonic() - began
    # retention counts back from the newest block: keep the whole backfilled month
    with server.running_prometheus(
        tmp, [], storage=data, extra_args=("--storage.tsdb.retention.time=3650d",)
    ) as prom:
        yield prom, tmp, backfill


def berth(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `berth` console script, on a site whose cloud.yml sets prices."""
    site = yaml.safe_load((ROOT / "inventory" / "aio" / "cloud.yml").read_text(encoding="utf-8"))
    site["spec"]["showback"] = {"currency": "VND", "monthly": PRICES}
    folder = tmp / "root" / "inventory" / "aio"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cloud.yml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "BERTH_ROOT": str(tmp / "root"),
        "BERTH_STATE_DIR": str(tmp / "state"),
        "COLUMNS": "200",
    }
    env.pop("BERTH_PROMETHEUS", None)
    return subprocess.run([BERTH, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_the_month_from_prometheus_matches_the_input(month_in_prometheus) -> None:
    prom, tmp, backfill = month_in_prometheus
    began = time.monotonic()
    run = berth(tmp, "--output", "json", "report", "usage", "--month", "2026-11", "--prometheus", prom.base)
    took = time.monotonic() - began
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["source"] == "prometheus" and report["hours"] == HOURS and report["currency"] == "VND"
    tenants = {t["tenant"]: t for t in report["tenants"]}
    assert sorted(tenants) == ["so-y-te", "syt-his", "ttdl-kho"]
    for tenant in TENANTS:
        row = tenants[tenant[0]]
        series = {key: points(tenant, key) for key in METRIC}
        for field in PRICES:
            assert_close(figures(row, field), expected(series, field), (tenant, field))
    assert tenants["so-y-te"]["partial"] is False and tenants["so-y-te"]["observedHours"] == HOURS
    assert tenants["so-y-te"]["resources"]["cores"]["usedPeak"] == 40  # the one 10-minute spike
    assert tenants["so-y-te"]["resources"]["cores"]["committedEnd"] == 32
    # 16 cores for 14 days, then 32: charged hour by hour on what was committed
    assert tenants["so-y-te"]["resources"]["cores"]["cost"] == pytest.approx(
        150000 * (16 * 336 + 32 * 384) / 720
    )
    assert tenants["syt-his"]["observedHours"] == HOURS - 9 * 24 - 12 and tenants["syt-his"]["partial"]
    assert tenants["ttdl-kho"]["observedHours"] == HOURS - 24
    agencies = {a["agency"]: a for a in report["agencies"]}
    for agency in ("SYT", "TTDL"):
        for field in PRICES:
            want = expected(agency_series(agency), field)
            want["usedPeak"] = hourly_peak_of_sum(agency, field)
            if want["unlimited"]:  # the agency pays for its tenants that can be priced
                want["cost"] = sum(
                    t["resources"][field]["cost"] or 0 for t in report["tenants"] if t["agency"] == agency
                )
            assert_close(figures(agencies[agency], field), want, (agency, field))
        members = [t for t in report["tenants"] if t["agency"] == agency]
        assert agencies[agency]["cost"] == pytest.approx(sum(t["cost"] for t in members), rel=1e-9)
    assert agencies["SYT"]["resources"]["volumeGiB"]["unlimited"] is True  # one tenant is unlimited
    print(f"\npromtool backfill {backfill:.1f}s; berth report usage (12 query_range) {took:.1f}s")


def test_text_and_csv(month_in_prometheus) -> None:
    prom, tmp, _ = month_in_prometheus
    text = berth(tmp, "report", "usage", "--month", "2026-11", "--prometheus", prom.base)
    assert text.returncode == 0, text.stderr
    for needle in ("showback 2026-11 (720 h)", "agencies", "tenants", "so-y-te", "(partial)", "unlimited"):
        assert needle in text.stdout
    csv = berth(tmp, "--output", "csv", "report", "usage", "--month", "2026-11", "--prometheus", prom.base)
    assert csv.returncode == 0, csv.stderr
    header, *rows = csv.stdout.splitlines()
    assert header.startswith("month,agency,tenant,observed_hours,hours,observed_fraction,cores_committed_avg")
    assert header.endswith("cost_VND") and len(rows) == 2 + 3


def test_prometheus_errors_are_located_with_their_exit_code(month_in_prometheus) -> None:
    prom, tmp, _ = month_in_prometheus
    closed = f"http://127.0.0.1:{server.free_port()}"
    refused = berth(tmp, "report", "usage", "--month", "2026-11", "--prometheus", closed)
    assert refused.returncode == 11
    assert refused.stderr.startswith(f"Error: --prometheus: Prometheus at {closed}: cannot be reached")
    assert "Traceback" not in refused.stderr
    wrong = berth(tmp, "report", "usage", "--month", "2026-11", "--prometheus", f"{prom.base}/nothing-here")
    assert wrong.returncode == 11 and "HTTP 404" in wrong.stderr and "Traceback" not in wrong.stderr
    secret = berth(
        tmp, "report", "usage", "--month", "2026-11", "--prometheus", "http://u:s3cret@127.0.0.1:1"
    )
    assert secret.returncode == 11 and "s3cret" not in secret.stderr + secret.stdout
    future = berth(tmp, "report", "usage", "--month", "2099-01", "--prometheus", prom.base)
    assert future.returncode == 2 and "has not begun" in future.stderr
