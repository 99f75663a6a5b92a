"""Benchmark: the HA lab of issue 11, measured in one run and printed side by side (nothing asserted).

    uv run python bench/lab.py [--site lab] [--keep]

As root, with no lab of the site running (it refuses otherwise). It times `berth lab up` (the Debian tree
cached, as after the first run), the cold deploy of the whole site onto the pristine hosts, a no-op
re-deploy (and its changed count), then reads the memory of every host (the proportional set size of
every process in the host's PID namespace, so a page shared between hosts counts once) and averages it
per host type (its inventory groups); last, the controller holding the VIP loses power (PID 1 killed)
under the availability probe of tests/lab/apis.py (keystone, nova, neutron and cinder through the VIP,
four GETs a second each): time to takeover, success ratio and longest gap over 30 s. `lab down` at the
end unless --keep.

Targets (issue 11): failover API success >= 99% across the kill with the longest gap <= 10 s; no-op
re-deploy of the 5-host lab <= 2 min; cold deploy <= 20 min on this machine.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def berth(site: str, *args: str) -> tuple[int, dict[str, Any]]:
    """berth in this process, JSON output parsed."""
    from berth_cli.main import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--site", site, "--output", "json", *args])
    return code, json.loads(out.getvalue() or "{}")


def timed(site: str, *args: str) -> tuple[float, dict[str, Any]]:
    start = time.monotonic()
    code, doc = berth(site, *args)
    if code != 0:
        raise SystemExit(f"berth {' '.join(args)} exited {code}: {json.dumps(doc)[:2000]}")
    return time.monotonic() - start, doc


def pss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue  # the process ended meanwhile
    return total_kib / 1024


def memory_per_type(site: str) -> dict[str, tuple[int, float]]:
    """Host type (its groups) -> how many hosts, mean MiB per host."""
    import yaml

    from berth_cli.lab import host as lab_host
    from berth_cli.lab.plan import plan_lab

    plan = plan_lab(site, yaml.safe_load((ROOT / "inventory" / site / "lab.yml").read_text()))
    found: dict[str, list[float]] = {}
    for host in plan.hosts:
        pids = lab_host.host_pids(host)
        if pids:
            found.setdefault(",".join(host.groups), []).append(pss_mib(pids))
    return {kind: (len(v), sum(v) / len(v)) for kind, v in found.items()}


def failover(site: str) -> dict[str, Any]:
    from tests.lab.apis import ApiProbe, admin_token
    from tests.lab.conftest import Lab
    from tests.lab.vip import power_loss, read_site

    class _Quiet:  # Lab wants pytest's capsys; read_site only reads files through it
        def readouterr(self) -> tuple[str, str]:
            return "", ""

    lab_site = read_site(Lab(site, _Quiet()))  # type: ignore[arg-type]
    token = admin_token(ROOT / ".berth" / site / "clouds.yaml", f"{site}-admin")
    holder, _ = lab_site.wait_holder(30)
    with ApiProbe(token) as probe:
        deadline = time.monotonic() + 60
        while not probe.answering() and time.monotonic() < deadline:
            time.sleep(0.5)
        killed_at, new_holder, takeover_s = power_loss(lab_site, holder, probe.answering, window_s=30)
    figures = probe.figures(killed_at)
    return {"victim": holder, "new_holder": new_holder, "takeover_s": takeover_s, "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="lab")
    parser.add_argument("--keep", action="store_true", help="leave the lab running at the end")
    args = parser.parse_args()
    site = args.site

    _, status = berth(site, "lab", "status")
    if any(h.get("namespaces") for h in status.get("hosts", [])):
        raise SystemExit(f"a lab of site {site} is running: berth lab down --site {site} first")
    rows: list[tuple[str, str, str]] = []
    try:
        up_s, _ = timed(site, "lab", "up")
        rows.append(("lab up (tree cached)", f"{up_s:.1f} s", "-"))
        cold_s, cold = timed(site, "cloud", "deploy", "--timeout", "3600")
        rows.append(("cold deploy of the site", f"{cold_s:.0f} s, changed={cold['changed']}", "<= 20 min"))
        noop_s, noop = timed(site, "cloud", "deploy", "--timeout", "3600")
        rows.append(("no-op re-deploy", f"{noop_s:.0f} s, changed={noop['changed']}", "<= 2 min, changed=0"))
        for kind, (count, mib) in sorted(memory_per_type(site).items()):
            rows.append((f"memory per host: {kind} (x{count})", f"{mib:.0f} MiB", "-"))
        lost = failover(site)
        rows.append(
            (
                f"power loss of {lost['victim']}: VIP on {lost['new_holder']}",
                f"{lost['takeover_s']:.1f} s",
                "-",
            )
        )
        for api, fig in lost["figures"].items():
            rows.append((f"  {api} through the VIP, 30 s from the kill", str(fig), ">= 99%, gap <= 10 s"))
    finally:
        if not args.keep:
            berth(site, "lab", "down")
        width = max(len(r[0]) for r in rows) if rows else 10
        print(f"\nbench/lab.py, site {site}")
        for what, figure, target in rows:
            print(f"{what:<{width}}  {figure:<40}  {target}")


if __name__ == "__main__":
    main()
