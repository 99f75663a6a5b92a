"""Benchmark: the exporter's refresh cost and scrape latency at 100 and 1,000 extra projects, side by
side with a naive collector that reads every service once per project on each scrape (the peer design).

Needs the devcloud (`berth cloud deploy --site aio`). Creates the extra projects (tagged berth:managed,
with nova, cinder and neutron quotas) and deletes them afterwards, even when interrupted. Prints a table;
asserts nothing (compare figures of one run side by side):

    uv run python bench/exporter.py [--sizes 100,1000] [--scrapers 4] [--scrapes 50] [--cloud aio-admin]

Targets (issue Exporter): scrape p99 <= 50 ms at 1,000 projects; a refresh needs at most 2 requests per
project plus a constant.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def connect(cloud: str) -> Any:
    from berth_cloud.connection import connect as cloud_connect

    return cloud_connect(cloud, ROOT / ".berth" / "aio" / "clouds.yaml")


def create_projects(cloud: Any, prefix: str, count: int, start: int) -> list[str]:
    conn = cloud.conn

    def one(i: int) -> str:
        slug = f"{prefix}-{i:04d}"
        body = {
            "project": {
                "name": slug,
                "domain_id": "default",
                "tags": ["berth:managed", f"berth:tenant={slug}"],
                "berth_agency": "BENCH",
                "berth_display_name": f"Đơn vị thử {i}",
            }
        }
        pid = conn.identity.post("/projects", json=body).json()["project"]["id"]
        conn.compute.put(
            f"/os-quota-sets/{pid}", json={"quota_set": {"cores": 4, "ram": 8192, "instances": 4}}
        )
        conn.block_storage.put(f"/os-quota-sets/{pid}", json={"quota_set": {"volumes": 4, "gigabytes": 50}})
        conn.network.put(f"/quotas/{pid}", json={"quota": {"network": 2, "port": 20}})
        return str(pid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(start, start + count)))


def delete_projects(cloud: Any, ids: list[str]) -> None:
    conn = cloud.conn

    def one(pid: str) -> None:
        conn.identity.delete(f"/projects/{pid}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, ids))


def berth_refresh(refresher: Any, reader: Any) -> tuple[float, int]:
    before = reader.requests_made()
    started = time.perf_counter()
    refresher.refresh_once()
    return time.perf_counter() - started, reader.requests_made() - before


def naive_scrape(cloud: Any) -> tuple[float, int]:
    """The peer's way: authenticate, then for every project read each service's quota and usage,
    plus placement per host, all within the scrape."""
    conn = cloud.conn
    before = cloud.counter.total
    started = time.perf_counter()
    conn.session.invalidate()
    conn.authorize()
    for rp in conn.placement.get("/resource_providers").json()["resource_providers"]:
        conn.placement.get(f"/resource_providers/{rp['uuid']}/inventories")
        conn.placement.get(f"/resource_providers/{rp['uuid']}/usages")
    for project in conn.identity.get("/projects").json()["projects"]:
        pid = project["id"]
        conn.compute.get(f"/os-quota-sets/{pid}/detail")
        conn.block_storage.get(f"/os-quota-sets/{pid}", params={"usage": "true"})
        conn.network.get(f"/quotas/{pid}/details")
    return time.perf_counter() - started, cloud.counter.total - before


def scrape_latencies(url: str, scrapers: int, scrapes: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def scraper() -> None:
        for _ in range(scrapes):
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=60) as r:
                r.read()
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=scraper) for _ in range(scrapers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(args: argparse.Namespace, extra: int) -> dict[str, Any]:
    from prometheus_client import CollectorRegistry, generate_latest

    from berth_core.loader import load_site
    from berth_exporters.app import ExporterConfig, build, serve
    from tests.prometheus.server import free_port

    site = load_site(ROOT / "inventory" / "aio" / "cloud.yml")
    config = ExporterConfig(
        site=site, clouds_yaml=ROOT / ".berth" / "aio" / "clouds.yaml", cloud=args.cloud, interval=3600
    )
    refresher, reader = build(config)
    berth_refresh(refresher, reader)  # warm-up: version discovery, connection pool
    seconds, requests = berth_refresh(refresher, reader)
    states = {name: st.requests for name, st in refresher.states.items()}
    registry = CollectorRegistry(auto_describe=False)
    registry.register(refresher)
    size = len(generate_latest(registry))
    port = free_port()
    http = serve(refresher, f"127.0.0.1:{port}")
    try:
        refresher.start()  # scrapes must stay fast while a refresh runs in the background
        lat = scrape_latencies(f"http://127.0.0.1:{port}/metrics", args.scrapers, args.scrapes)
    finally:
        refresher.stop()
        http.shutdown()
    naive_cloud = connect(args.cloud)
    naive = [naive_scrape(naive_cloud) for _ in range(args.naive_scrapes)]
    projects = len(refresher.states["identity"].observation["projects"])
    return {
        "extra": extra,
        "projects": projects,
        "tenants": len(refresher.states["compute"].observation["quotas"]),
        "refresh_s": seconds,
        "refresh_requests": requests,
        "per_collector": states,
        "p50_ms": pct(lat, 0.50) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "scrape_bytes": size,
        "naive_s": statistics.median(s for s, _ in naive),
        "naive_requests": naive[-1][1],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100,1000", help="extra projects, cumulative (default 100,1000)")
    p.add_argument("--scrapers", type=int, default=4)
    p.add_argument("--scrapes", type=int, default=50, help="scrapes per scraper")
    p.add_argument("--naive-scrapes", type=int, default=2)
    p.add_argument("--cloud", default="aio-admin")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cloud = connect(args.cloud)
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    created: list[str] = []
    rows = []
    try:
        rows.append(measure(args, 0))
        for size in sizes:
            print(f"creating projects up to {size} extra ...", file=sys.stderr, flush=True)
            created += create_projects(cloud, prefix, size - len(created), len(created))
            rows.append(measure(args, size))
    finally:
        print(f"deleting {len(created)} bench projects ...", file=sys.stderr, flush=True)
        delete_projects(cloud, created)
    head = (
        f"{'extra':>6} {'projects':>8} {'tenants':>7} | {'berth refresh s':>15} {'requests':>8} "
        f"{'req/tenant':>10} | {'scrape p50 ms':>13} {'p99 ms':>7} {'KiB':>6} | {'naive scrape s':>14} {'requests':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        per = (r["per_collector"]["compute"] + r["per_collector"]["blockstorage"]) / max(1, r["tenants"])
        print(
            f"{r['extra']:>6} {r['projects']:>8} {r['tenants']:>7} | {r['refresh_s']:>15.2f} {r['refresh_requests']:>8} "
            f"{per:>10.2f} | {r['p50_ms']:>13.2f} {r['p99_ms']:>7.2f} {r['scrape_bytes'] / 1024:>6.0f} | "
            f"{r['naive_s']:>14.2f} {r['naive_requests']:>8}"
        )
    print("\nrequests per collector (berth refresh):")
    for r in rows:
        print(f"  {r['extra']:>5} extra: {r['per_collector']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
