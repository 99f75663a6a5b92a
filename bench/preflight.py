"""Preflight over 10 real sshd hosts, one of them slow: wall time should be about the slowest host, not the sum.

Run as root (network namespaces): `uv run python bench/preflight.py [--hosts 10] [--slow 3]`.
The slow host's sshd is SIGSTOPped and resumed after --slow seconds, so it answers late but passes.
Prints figures side by side (bounded pool vs. one at a time); asserts nothing about time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from berth_cli.preflight.inventory import load_inventory
from berth_cli.preflight.runner import run_checks
from tests.support.netns_sshd import SshLab, missing_requirements


def one_run(
    lab: SshLab, site_dir: Path, slow: str, delay: float, parallel: int
) -> tuple[float, dict[str, float]]:
    inv = load_inventory(site_dir, site_dir.parent.parent)
    lab.hosts[slow].stop()
    timer = threading.Timer(delay, lab.hosts[slow].resume)
    started = time.monotonic()
    timer.start()
    try:
        reports = run_checks(inv, list(inv.hosts.values()), "bench", timeout=delay + 10, parallel=parallel)
    finally:
        timer.cancel()
        if lab.hosts[slow].stopped:
            lab.hosts[slow].resume()
    wall = time.monotonic() - started
    failed = [(r.host.name, r.status) for r in reports if r.status == "fail"]
    if failed:
        print(f"  unexpected failures: {failed}")
    return wall, {r.host.name: r.seconds for r in reports}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--slow", type=float, default=3.0, help="seconds the slow host stays silent")
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    reason = missing_requirements()
    if reason:
        print(f"skipped: {reason}")
        return 0
    names = [f"h{i:02d}" for i in range(args.hosts)]
    slow = names[0]  # first, so the one-at-a-time run meets it while it is still silent
    with SshLab(names) as lab, tempfile.TemporaryDirectory() as tmp:
        site_dir = Path(tmp) / "inventory" / "bench"
        (site_dir / "group_vars" / "all").mkdir(parents=True)
        (site_dir / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": lab.inventory_hosts()}}))
        (site_dir / "group_vars" / "all" / "preflight.yml").write_text(
            yaml.safe_dump(
                {"berth_preflight": {"minCpus": 1, "minRamMiB": 256, "disks": {"/": 1}, "timeSync": "warn"}}
            )
        )
        (site_dir / "known_hosts").write_text(lab.known_hosts.read_text())
        print(f"preflight of {args.hosts} sshd hosts in network namespaces; {slow} silent for {args.slow:g}s")
        for label, parallel in ((f"bounded pool ({args.parallel})", args.parallel), ("one at a time", 1)):
            wall, per_host = one_run(lab, site_dir, slow, args.slow, parallel)
            fast = [s for n, s in per_host.items() if n != slow]
            total = sum(per_host.values())
            print(
                f"{label:>20}: wall {wall:6.2f}s | slowest host {max(per_host.values()):5.2f}s | "
                f"sum of hosts {total:6.2f}s | median fast host {statistics.median(fast):4.2f}s | "
                f"wall/slowest {wall / max(per_host.values()):4.2f} | wall/sum {wall / total:4.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
