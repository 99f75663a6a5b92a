"""One preflight run for a site: load its inventory, validate requirements up front, check the hosts."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from berth_cli.preflight.inventory import Inventory, load_inventory
from berth_cli.preflight.runner import HostReport, Measure, run_checks

DEFAULT_TIMEOUT = 15.0  # seconds per host, connection to last byte of the probe
DEFAULT_PARALLEL = 16


def run_site(
    site: str,
    site_dir: Path,
    root: Path,
    limit: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    parallel: int = DEFAULT_PARALLEL,
    console: Console | None = None,
    measure: Measure | None = None,
    debug: bool = False,
) -> tuple[Inventory, list[HostReport]]:
    """Check the selected hosts of the site; `measure` replaces reaching and probing them (default: real)."""
    inv = load_inventory(site_dir, root)
    hosts = inv.select(limit)
    for host in hosts:  # a typo in a preflight.yml is refused before any host is contacted
        inv.requirements(host)
    if console is None:
        return inv, run_checks(
            inv, hosts, site, timeout=timeout, parallel=parallel, measure=measure, debug=debug
        )
    done = 0
    with console.status(f"checking {len(hosts)} host(s) of {site}") as status:

        def progress(report: HostReport) -> None:
            nonlocal done
            done += 1
            status.update(f"checked {done}/{len(hosts)} host(s) of {site} (last: {report.host.name})")

        reports = run_checks(
            inv,
            hosts,
            site,
            timeout=timeout,
            parallel=parallel,
            on_done=progress,
            measure=measure,
            debug=debug,
        )
    return inv, reports
