"""Render a PNG preview of the dashboard's main panels from a real Prometheus scraping the exporter.

No Grafana needed: starts the exporter against the devcloud and Debian's prometheus on loopback (both
stopped by PID at the end), lets it scrape for a few minutes, then plots the panels' own PromQL:

    uv run --with matplotlib python monitoring/grafana/render_preview.py [--minutes 3] [--out docs/exporter-dashboard.png]

matplotlib is not a project dependency: `uv run --with` brings it for this one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PANELS = (
    (
        "vCPUs: allocatable, commit limit, committed, used",
        [
            ("berth_cloud_allocatable_vcpus", "allocatable"),
            ("berth_cloud_commit_limit_vcpus", "commit limit"),
            ("berth_cloud_committed_vcpus", "committed quota"),
            ("berth_cloud_used_vcpus", "used"),
        ],
    ),
    (
        "Memory GiB: allocatable, commit limit, committed, used",
        [
            ('berth_cloud_allocatable_bytes{resource="memory"} / 2^30', "allocatable"),
            ('berth_cloud_commit_limit_bytes{resource="memory"} / 2^30', "commit limit"),
            ('berth_cloud_committed_bytes{resource="memory"} / 2^30', "committed quota"),
            ('berth_cloud_used_bytes{resource="memory"} / 2^30', "used"),
        ],
    ),
    ("More instances that fit, per flavor", [("sum by (flavor) (berth_flavor_fit_instances)", "{flavor}")]),
    (
        "Exporter: data age per collector (s)",
        [("time() - berth_exporter_collector_last_success_timestamp_seconds", "{collector}")],
    ),
)


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from berth_core.loader import load_site
    from berth_exporters.app import ExporterConfig, start_in_background
    from tests.prometheus.server import free_port, running_prometheus

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "exporter-dashboard.png")
    p.add_argument("--cloud", default="aio-admin")
    args = p.parse_args()
    site = load_site(ROOT / "inventory" / "aio" / "cloud.yml")
    port = free_port()
    exporter = start_in_background(
        ExporterConfig(
            site=site,
            clouds_yaml=ROOT / ".berth" / "aio" / "clouds.yaml",
            cloud=args.cloud,
            listen=f"127.0.0.1:{port}",
            interval=10,
        )
    )
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_prometheus(Path(tmp), [f"127.0.0.1:{port}"]) as prom,
        ):
            started = time.time()
            time.sleep(args.minutes * 60)
            fig, axes = plt.subplots(2, 2, figsize=(14, 8))
            for ax, (title, queries) in zip(axes.flat, PANELS, strict=True):
                for expr, legend in queries:
                    data = prom.api(
                        "query_range", query=expr, start=str(started), end=str(time.time()), step="5"
                    )
                    for series in data["result"]:
                        xs = [float(t) - started for t, _ in series["values"]]
                        ys = [float(v) for _, v in series["values"]]
                        ax.plot(xs, ys, label=legend.format(**series["metric"]))
                ax.set_title(title)
                ax.set_xlabel("seconds")
                ax.legend(fontsize=7)
            fig.suptitle("berth: cloud capacity (devcloud; panels of monitoring/grafana/berth-capacity.json)")
            fig.tight_layout()
            fig.savefig(args.out, dpi=80)
    finally:
        exporter.stop()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
