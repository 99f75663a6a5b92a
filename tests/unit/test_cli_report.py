"""`berth report usage --samples` from a samples file written by berth's own SampleLog (the devcloud test
takes real samples; here the file is made directly), the file's format, and the CLI's usage errors."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from berth_cli.main import main
from berth_cli.state.samples import Sample, SampleLog

ROOT = Path(__file__).resolve().parents[2]
NOV = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
GIB = 1024**3


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = yaml.safe_load((ROOT / "inventory" / "aio" / "cloud.yml").read_text(encoding="utf-8"))
    site["spec"]["showback"] = {"currency": "VND", "monthly": {"cores": 720, "volumeGiB": 1}}
    (tmp_path / "inventory" / "aio").mkdir(parents=True)
    (tmp_path / "inventory" / "aio" / "cloud.yml").write_text(yaml.safe_dump(site), encoding="utf-8")
    for name, value in (("BERTH_ROOT", tmp_path), ("BERTH_STATE_DIR", tmp_path / "state")):
        monkeypatch.setenv(name, str(value))
    for name in ("BERTH_SITE", "BERTH_OUTPUT", "BERTH_PROMETHEUS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def samples(tenant: str, cores: float, volume_gib: float) -> list[Sample]:
    return [
        Sample("berth_tenant_quota", "cores", tenant, "SYT", "p1", cores),
        Sample("berth_tenant_usage", "cores", tenant, "SYT", "p1", cores / 2),
        Sample("berth_tenant_quota_bytes", "volume", tenant, "SYT", "p1", volume_gib * GIB),
        Sample("berth_tenant_quota", "instances", tenant, "SYT", "p1", 3),  # not shown
    ]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_daily_sample_covers_the_month(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = SampleLog(root / "state" / "aio")
    log.append(NOV - 3600, "aio", samples("so-y-te", 99, 1), 0)  # before November: carried into it
    for day in range(30):  # daily at 02:00
        log.append(NOV + day * 86400 + 7200, "aio", samples("so-y-te", 10 if day < 15 else 20, math.inf), 0)
    log.append(NOV + 30 * 86400, "aio", samples("so-y-te", 500, 1), 0)  # 1 December
    code, out, err = run(capsys, "--output", "json", "report", "usage", "--month", "2026-11")
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "samples" and data["samples"] == 30
    cores = data["tenants"][0]["resources"]["cores"]
    # 00:00-02:00 on 1 November hold October's last sample (99); 10 from then, 20 from 16 November 02:00
    assert cores["committedEnd"] == 20 and cores["observedHours"] == 720
    assert cores["committedAvg"] == pytest.approx((99 * 2 + 10 * 360 + 20 * 358) / 720)
    assert cores["cost"] == pytest.approx(720 * cores["committedAvg"])
    assert data["tenants"][0]["resources"]["volumeGiB"]["unlimited"] is True
    assert data["tenants"][0]["partial"] is False


def test_the_samples_file_round_trips_and_a_bad_line_is_located(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = SampleLog(root / "state" / "aio")
    log.append(NOV + 10, "aio", samples("so-y-te", 4, math.inf), 2)
    line = log.path.read_text(encoding="utf-8")
    assert '"value": "+Inf"' in line and "Infinity" not in line
    (first,) = log.rounds(NOV, NOV + 86400)
    assert first.tenant_errors == 2 and first.samples[2].value == math.inf
    assert log.path.stat().st_mode & 0o777 == 0o600
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"time": 1793491200, "samples": [{"metric": "x"}]}\n')
    code, _, err = run(capsys, "report", "usage", "--month", "2026-11")
    assert code == 1 and f"{log.path}:2: not a showback sample" in err


def test_usage_errors(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "usage", "--month", "Nov")
    assert code == 2 and "--month must be YYYY-MM" in err
    code, _, err = run(capsys, "report", "usage", "--month", "2999-01")
    assert code == 2 and "has not begun" in err
    code, _, err = run(capsys, "report", "usage", "--month", "2026-11", "--prometheus", "file:///etc/passwd")
    assert code == 2 and "http:// or https://" in err
    code, _, err = run(capsys, "--output", "csv", "capacity", "--offline")
    assert code == 2 and "--output csv is only for berth report usage" in err
    code, out, _ = run(capsys, "report", "usage", "--month", "2026-11")
    assert code == 0 and "no tenant data in this month" in out
