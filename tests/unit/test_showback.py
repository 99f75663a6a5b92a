"""Showback's pure core: month parsing, bucketing berth's samples, committed/used/cost per tenant and
agency, and spec.showback in cloud.yml located in vi and en. Figures are checked against sums written
out by hand from the inputs."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from berth_core.errors import ExitCode, ManifestInvalid, UsageError
from berth_core.i18n import render_problem
from berth_core.loader import load_site
from berth_core.showback import (
    HOLD_SECONDS,
    Bucket,
    Month,
    buckets_from_points,
    parse_month,
    resource_figures,
    showback,
)
from berth_core.tenant_metrics import GIB, QUOTA, TENANT_RESOURCES, USAGE, by_metric

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC).timestamp()
NOV = Month(2026, 11)


def flat(value: float, hours: range) -> dict[int, Bucket]:
    return {h: Bucket(value, value, value) for h in hours}


def test_month_parsing() -> None:
    assert parse_month("2026-11", NOW) == NOV
    assert NOV.hours == 720 and Month(2026, 12).hours == 744 and Month(2028, 2).hours == 29 * 24
    assert parse_month("2026-12", NOW).label == "2026-12"  # the current month, so far
    for bad in ("2026-13", "2026-1", "11-2026", "2026/11", "", "2026-00", "latest"):
        with pytest.raises(UsageError, match="YYYY-MM") as error:
            parse_month(bad, NOW)
        assert error.value.exit_code == ExitCode.USAGE
    with pytest.raises(UsageError, match="has not begun"):
        parse_month("2027-01", NOW)


def test_hours_are_half_open() -> None:
    assert NOV.hour_of(NOV.start) == 0
    assert NOV.hour_of(NOV.start + 3599.999) == 0
    assert NOV.hour_of(NOV.start + 3600) == 1
    assert NOV.hour_of(NOV.end) is None and NOV.hour_of(NOV.start - 1) is None


def test_samples_fill_hours_until_the_hold_runs_out() -> None:
    day = 86400.0
    points = [
        (NOV.start - 3600, 4.0),
        (NOV.start + 1800, 8.0),
        (NOV.start + 2400, 2.0),
        (NOV.start + day, 6.0),
    ]
    buckets = buckets_from_points(points, NOV)
    assert buckets[0] == Bucket(8.0, 5.0, 2.0)  # two samples in the first hour
    assert buckets[1] == Bucket(2.0, 2.0, 2.0) and buckets[23] == Bucket(2.0, 2.0, 2.0)  # carried
    assert buckets[24] == Bucket(6.0, 6.0, 6.0)
    held = (HOLD_SECONDS // 3600) + 24
    assert held in buckets and held + 1 not in buckets  # the last sample covers at most 25 h
    assert len(buckets) == held + 1
    until = buckets_from_points(points, NOV, until=NOV.start + 5 * 3600)
    assert sorted(until) == [0, 1, 2, 3, 4, 5]  # nothing carried past now (the current month so far)
    only_before = buckets_from_points([(NOV.start - 2 * day, 1.0)], NOV)
    assert only_before == {}  # too old to stand for November


def test_cost_is_charged_on_committed_quota_prorated_by_observed_hours() -> None:
    # 10 cores the first half of the month, 20 the second half; used 2 then 6 (peak 9 in one hour)
    committed = flat(10, range(360)) | flat(20, range(360, 720))
    used = flat(2, range(360)) | flat(6, range(360, 720))
    used[500] = Bucket(9, 6, 6)
    r = resource_figures("cores", committed, used, 720, price=100.0)
    assert r.committed_avg == 15 and r.committed_end == 20
    assert r.used_peak == 9 and r.used_avg == 4
    assert r.cost == pytest.approx(100 * (10 * 360 + 20 * 360) / 720)  # 1500
    half = resource_figures("cores", flat(10, range(360)), {}, 720, price=100.0)
    assert half.committed_avg == 10 and half.observed_hours == 360
    assert half.cost == pytest.approx(500)  # the unobserved half is not charged
    assert half.used_peak is None and half.used_avg is None
    assert resource_figures("cores", committed, used, 720, price=None).cost is None
    unlimited = resource_figures("cores", flat(math.inf, range(720)), used, 720, price=100.0)
    assert unlimited.cost is None and unlimited.to_dict()["unlimited"] is True


def test_bytes_are_reported_in_gib() -> None:
    r = resource_figures("ramGiB", flat(64 * GIB, range(720)), flat(16 * GIB, range(720)), 720, 5.0)
    assert r.committed_avg == 64 and r.used_peak == 16 and r.cost == pytest.approx(320)


def test_agencies_sum_their_tenants_hour_by_hour() -> None:
    series = {
        ("a-one", "SYT", "cores", QUOTA): flat(10, range(720)),
        ("a-one", "SYT", "cores", USAGE): flat(4, range(720)),
        ("a-two", "SYT", "cores", QUOTA): flat(20, range(360, 720)),  # created mid-month
        ("a-two", "SYT", "cores", USAGE): flat(8, range(360, 720)),
        ("b-one", "STC", "volumeGiB", QUOTA): flat(100 * GIB, range(720)),
        ("b-one", "STC", "instances", QUOTA): flat(5, range(720)),  # not a showback resource
    }
    report = showback(series, NOV, {"cores": 100.0}, currency="VND", source="samples", where="f", samples=3)
    tenants = {r.tenant: r for r in report.tenants}
    assert list(tenants) == ["b-one", "a-one", "a-two"]  # by agency, then tenant
    assert tenants["a-two"].observed_hours == 360 and tenants["a-two"].observed_fraction == 0.5
    assert tenants["a-two"].cost == pytest.approx(1000)
    syt = next(a for a in report.agencies if a.agency == "SYT")
    cores = syt.resources[0]
    assert cores.field == "cores"
    assert cores.committed_avg == pytest.approx((10 * 360 + 30 * 360) / 720)
    assert cores.committed_end == 30 and cores.used_peak == 12 and cores.used_avg == pytest.approx(8)
    assert syt.cost == pytest.approx(tenants["a-one"].cost + tenants["a-two"].cost)  # type: ignore[operator]
    # an unlimited tenant cannot be priced; the agency still pays for its other tenants
    mixed = showback(
        {
            ("a-one", "SYT", "cores", QUOTA): flat(10, range(720)),
            ("a-two", "SYT", "cores", QUOTA): flat(math.inf, range(720)),
        },
        NOV,
        {"cores": 100.0},
        currency="VND",
        source="samples",
        where="f",
    )
    assert mixed.agencies[0].resources[0].committed_avg == math.inf
    assert mixed.agencies[0].cost == pytest.approx(1000)
    stc = next(a for a in report.agencies if a.agency == "STC")
    assert stc.cost is None and stc.resources[2].committed_avg == 100
    data = report.to_dict()
    assert data["samples"] == 3 and data["agencies"][1]["partial"] is False
    assert data["tenants"][2]["partial"] is True


def test_the_exporters_names_come_back_to_their_resources() -> None:
    for r in TENANT_RESOURCES:
        assert by_metric(r.metric(QUOTA), r.label) == (r, QUOTA)
        assert by_metric(r.metric(USAGE), r.label) == (r, USAGE)
    assert by_metric("berth_tenant_quota_bytes", "ram") is not None
    assert by_metric("berth_tenant_quota", "ram") is None  # ram is published in bytes only
    assert by_metric("berth_tenant_info", "cores") is None


def site_with(tmp_path: Path, showback_spec: object) -> Path:
    data = yaml.safe_load((ROOT / "inventory" / "aio" / "cloud.yml").read_text(encoding="utf-8"))
    data["spec"]["showback"] = showback_spec
    path = tmp_path / "cloud.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_site_sets_prices(tmp_path: Path) -> None:
    spec = {
        "currency": "VND",
        "monthly": {"cores": 150000, "ramGiB": 40000.5},
        "prometheus": "http://127.0.0.1:9090",
    }
    policy = load_site(site_with(tmp_path, spec)).spec.showback
    assert policy.monthly.by_field() == {"cores": 150000.0, "ramGiB": 40000.5}
    assert policy.prometheus == "http://127.0.0.1:9090"
    assert load_site(ROOT / "inventory" / "haiphong" / "cloud.yml").spec.showback.monthly.by_field()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_bad_showback_spec_is_located(tmp_path: Path, lang: str) -> None:
    spec = {
        "currency": "dong",
        "monthly": {"cores": -1, "ramGib": 2, "volumeGiB": True},
        "prometheus": "localhost:9090",
    }
    path = site_with(tmp_path, spec)
    with pytest.raises(ManifestInvalid) as invalid:
        load_site(path)
    lines = [render_problem(p, lang) for p in invalid.value.problems]
    fields = [p.location.field for p in invalid.value.problems]
    assert fields == [
        "spec.showback.currency",
        "spec.showback.monthly.cores",
        "spec.showback.monthly.ramGib",
        "spec.showback.monthly.volumeGiB",
        "spec.showback.prometheus",
    ]
    assert all(line.startswith(f"{path}:") for line in lines)
    text = "\n".join(lines)
    if lang == "en":
        assert "ISO 4217" in text and "'dong'" in text and "ramGiB" in text and "http://" in text
    else:
        assert "mã ISO 4217" in text and "địa chỉ Prometheus" in text
