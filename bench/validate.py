"""Benchmark: validate and offline-plan 1,000 generated manifests; `berth --help` start-up time.

Prints figures, asserts nothing (these machines are noisy; compare runs side by side):

    uv run python bench/validate.py [--tenants 1000] [--site haiphong] [--help-runs 10]

Targets (issue Foundation): <= 1 ms per manifest to validate, <= 2 s to offline-plan 1,000 tenants,
`berth --help` <= 150 ms median.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGENCIES = ("SYT", "SGDDT", "STC", "STNMT", "STTTT", "SKHDT", "SXD", "SNV", "STP", "SCT", "VPUBND", "TTDL")
SG_RULES = (
    '{direction: ingress, protocol: tcp, ports: "443", remote: 0.0.0.0/0}',
    '{direction: ingress, protocol: tcp, ports: "8000-8080", remote: 10.64.0.0/12}',
    "{direction: ingress, protocol: icmp}",
    '{direction: egress, protocol: udp, ports: "53", remote: 10.0.0.0/8}',
)


def manifest_text(i: int, rng: random.Random, classes: list[str], private_flavors: list[str]) -> str:
    """One varied manifest: class and overrides, 1-3 networks, 0-3 security groups, members, flavors."""
    slug = f"don-vi-{i:04d}"
    overrides = rng.choice(
        ["", "    overrides: {cores: 12}\n", "    overrides: {instances: 20, floatingIps: 4}\n"]
    )
    nets = "".join(
        f"    - {{name: net{n}, prefixLength: {rng.choice((24, 25, 26))}}}\n"
        for n in range(rng.randint(1, 3))
    )
    groups = ""
    for g in range(rng.randint(0, 3)):
        rules = ", ".join(rng.sample(SG_RULES, rng.randint(1, 3)))
        groups += f"    - name: sg{g}\n      rules: [{rules}]\n"
    members = "".join(
        f"    - {{user: can.bo.{i}.{m}, role: {rng.choice(('member', 'reader'))}}}\n"
        for m in range(rng.randint(1, 3))
    )
    flavors = rng.sample(private_flavors, rng.randint(0, min(2, len(private_flavors))))
    return (
        "apiVersion: berth/v1\nkind: Tenant\nmetadata:\n"
        f"  name: {slug}\n  displayName: Đơn vị số {i} thành phố Hải Phòng\n"
        f"  agency: {rng.choice(AGENCIES)}\n"
        f"  contact: {{name: Nguyễn Văn {i}, email: it{i}@haiphong.gov.vn}}\n"
        f"  ticket: HP-2026-{i:04d}\n"
        "spec:\n"
        f"  quota:\n    class: {rng.choice(classes)}\n{overrides}"
        f"  networks:\n{nets}"
        f"  router: {{external: {rng.choice(('true', 'false'))}}}\n"
        + (f"  securityGroups:\n{groups}" if groups else "")
        + f"  members:\n{members}"
        + (f"  flavors: [{', '.join(flavors)}]\n" if flavors else "")
    )


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    """Fastest of `runs` timings (the least disturbed by the machine's noise) and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def timed_runs(runs: int, command: list[str], env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--site", default="haiphong")
    parser.add_argument("--runs", type=int, default=3, help="in-process repetitions (best and median shown)")
    parser.add_argument("--help-runs", type=int, default=10)
    args = parser.parse_args()

    from berth_core.loader import load_manifests, load_site
    from berth_core.planning import PlanInputs, plan_tenants
    from berth_core.validate import check_against_site

    site = load_site(ROOT / "inventory" / args.site / "cloud.yml")
    classes = sorted(site.spec.quota_classes)
    private = [f.name for f in site.spec.flavors if not f.public]
    rng = random.Random(20260042)  # same manifests every run, so runs compare
    tmp = Path(tempfile.mkdtemp(prefix="berth-bench-"))
    try:
        for i in range(args.tenants):
            (tmp / f"don-vi-{i:04d}.yaml").write_text(
                manifest_text(i, rng, classes, private), encoding="utf-8"
            )

        def validate():  # type: ignore[no-untyped-def]
            loaded = load_manifests([tmp])
            problems = check_against_site(loaded, site)
            if problems:
                raise SystemExit(f"generated manifests are invalid: {problems[:3]}")
            return loaded

        v_best, v_median, loaded = best_of(args.runs, validate)
        p_best, p_median, outcome = best_of(args.runs, lambda: plan_tenants(PlanInputs(site, loaded)))
        j_best, j_median, _ = best_of(args.runs, outcome.plan.to_json)
        # end to end, as an operator runs it: a checkout with this site and the generated manifests
        root = tmp / "root"
        (root / "inventory" / args.site).mkdir(parents=True)
        shutil.copy(
            ROOT / "inventory" / args.site / "cloud.yml", root / "inventory" / args.site / "cloud.yml"
        )
        (root / "manifests").mkdir()
        for path in tmp.glob("*.yaml"):
            path.rename(root / "manifests" / path.name)
        cli = [
            str(Path(sys.executable).with_name("berth")),
            "plan",
            "--site",
            args.site,
            "--offline",
            "-o",
            "json",
        ]
        cli += ["--allow-overbooking", "--reason", "benchmark"] if outcome.admission.refused else []
        cli_times = timed_runs(
            args.runs, cli, {"BERTH_ROOT": str(root), "BERTH_STATE_DIR": str(tmp / "state")}
        )
    finally:
        shutil.rmtree(tmp)

    berth = str(Path(sys.executable).with_name("berth"))
    help_times = timed_runs(args.help_runs, [berth, "--help"])
    # the same without Typer's rich help formatter (typer.rich_utils alone costs ~0.2 s of imports)
    plain_help_times = timed_runs(args.help_runs, [berth, "--help"], {"TYPER_USE_RICH": "0"})
    python_times = timed_runs(args.help_runs, [sys.executable, "-c", "pass"])

    n = args.tenants
    counts = outcome.plan.counts()

    def ms(values: list[float]) -> tuple[str, str]:
        return f"{min(values) * 1000:.0f} ms", f"{statistics.median(values) * 1000:.0f}"

    rows = [
        (
            "validate (load + site checks)",
            f"{v_best / n * 1000:.3f} ms/manifest",
            f"{v_median / n * 1000:.3f}",
            "<= 1 ms",
        ),
        (f"offline plan of {n} tenants (in-process)", f"{p_best:.3f} s", f"{p_median:.3f}", "<= 2 s"),
        ("plan to canonical JSON + sha256", f"{j_best:.3f} s", f"{j_median:.3f}", "-"),
        (
            f"berth plan --offline -o json, {n} manifests",
            f"{min(cli_times):.3f} s",
            f"{statistics.median(cli_times):.3f}",
            "-",
        ),
        ("berth --help (subprocess)", *ms(help_times), "<= 150 ms median"),
        ("berth --help, TYPER_USE_RICH=0", *ms(plain_help_times), "-"),
        ("python -c pass (baseline)", *ms(python_times), "-"),
    ]
    print(
        f"berth bench/validate.py: {n} generated manifests against site {args.site}, python {sys.version.split()[0]}"
    )
    print(
        f"plan: {len(outcome.plan.changes)} resources ({counts['create']} to create), "
        f"capacity {'REFUSED' if outcome.admission.refused else 'accepted'}"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'best':>20}  {'median':>10}  target")
    for name, best, median, target in rows:
        print(f"{name:<{width}}  {best:>20}  {median:>10}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
