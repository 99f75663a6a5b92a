"""Run preflight over many hosts: a bounded thread pool, a per-host deadline, and a watchdog.

Hosts with `ansible_connection: local` run the probe here with /bin/sh (no SSH); every other host
goes through berth_cli.preflight.ssh. The whole run takes about as long as the slowest host.
Measuring a host (`measure_host`: reach it, run the probe) is apart from judging what it measured against
its requirements, and is a parameter of the run, so tests judge given facts instead of this machine's.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from berth_cli.preflight import probe
from berth_cli.preflight.inventory import Inventory, InventoryHost
from berth_cli.preflight.ssh import Cancel, probe_over_ssh
from berth_core import preflight as pf
from berth_core.errors import BerthError
from berth_core.preflight import CheckResult, Facts

FACTS_DISK_PATH = "/var/lib/nova"  # where a compute host keeps instance disks: its capacity for `hosts facts`
WATCHDOG_GRACE = 2.0  # seconds past a host's own deadline before the runner cuts it loose


@dataclass
class HostReport:
    host: InventoryHost
    results: list[CheckResult] = field(default_factory=list)
    facts: Facts | None = None
    seconds: float = 0.0

    @property
    def status(self) -> pf.Status:
        return pf.worst(self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host.name,
            "groups": list(self.host.groups),
            "address": self.host.address,
            "connection": self.host.connection,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "results": [r.to_json() for r in self.results],
        }


def _probe_locally(script: str, timeout: float) -> tuple[list[CheckResult], str | None]:
    try:
        done = subprocess.run(
            ["/bin/sh", "-s"], input=script, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return [
            CheckResult(
                "local",
                "fail",
                "local.timeout",
                f"local probe took more than {timeout:g}s",
                "Something on this machine is hung (a stuck NFS mount makes df hang).",
            )
        ], None
    return [
        CheckResult("local", "pass", "local.ok", "ansible_connection: local, checked without SSH")
    ], done.stdout


@dataclass(frozen=True)
class Measurement:
    """What reaching a host found: the connection's own checks, and its facts if the probe ran to its end."""

    results: list[CheckResult]
    facts: Facts | None = None


# (inventory, host, site, timeout, cancel) -> what the host offers; `measure_host` is the real one
Measure = Callable[[Inventory, InventoryHost, str, float, Cancel], Measurement]


def check_host(
    inv: Inventory,
    host: InventoryHost,
    site: str,
    timeout: float,
    cancel: Cancel,
    *,
    measure: Measure | None = None,
    debug: bool = False,
) -> HostReport:
    started = time.monotonic()
    report = HostReport(host)
    try:
        measurement = (measure or measure_host)(inv, host, site, timeout, cancel)
        report.results, report.facts = judge(inv, host, measurement), measurement.facts
    except BerthError:
        raise
    except Exception as exc:  # one host's surprise (a key format paramiko rejects, ...) must not sink the run
        if debug:
            raise
        report.results.append(
            CheckResult(
                "probe",
                "fail",
                "probe.error",
                f"{type(exc).__name__}: {exc}",
                "Re-run with --limit on this host and --debug to see the traceback.",
            )
        )
    finally:
        report.seconds = time.monotonic() - started
    return report


def judge(inv: Inventory, host: InventoryHost, measurement: Measurement) -> list[CheckResult]:
    """The host's checks: how it was reached, then its facts against its requirements (none if unmeasured)."""
    if measurement.facts is None:
        return list(measurement.results)
    req = inv.requirements(host)
    others = inv.others(host) if req.resolve_others else {}
    return [*measurement.results, *pf.evaluate(measurement.facts, req, others)]


def measure_host(
    inv: Inventory, host: InventoryHost, site: str, timeout: float, cancel: Cancel
) -> Measurement:
    """Reach the host (here for a local one, else over SSH) and run the probe on it."""
    req = inv.requirements(host)
    others = inv.others(host) if req.resolve_others else {}
    paths = set(req.disks) | ({FACTS_DISK_PATH} if "computes" in host.groups else set())
    script = probe.script(paths, others)
    output: str | None = None
    if host.connection == "local":
        results, output = _probe_locally(script, timeout)
    elif host.connection in ("ssh", "paramiko", "smart"):
        results, output = probe_over_ssh(
            host, known_hosts=inv.known_hosts, site=site, script=script, timeout=timeout, cancel=cancel
        )
    else:
        results = [
            CheckResult(
                "connection",
                "fail",
                "connection.unsupported",
                f"ansible_connection {host.connection} is not checked by preflight",
                "Use ssh (or local for this machine) for OpenStack hosts.",
            )
        ]
    if output is None:
        return Measurement(results)
    if not probe.complete(output):
        incomplete = CheckResult(
            "probe",
            "fail",
            "probe.incomplete",
            "the probe did not finish",
            "Run `sh -s` by hand on the host to see why; it needs a POSIX sh.",
        )
        return Measurement([*results, incomplete])
    return Measurement(results, probe.parse(output))


def run_checks(
    inv: Inventory,
    hosts: list[InventoryHost],
    site: str,
    *,
    timeout: float,
    parallel: int,
    on_done: Callable[[HostReport], None] | None = None,
    measure: Measure | None = None,
    debug: bool = False,
) -> list[HostReport]:
    """Check `hosts` with at most `parallel` at a time; reports come back in inventory order."""
    if not hosts:
        return []
    cancels = {h.name: Cancel() for h in hosts}
    reports: dict[str, HostReport] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallel, len(hosts))), thread_name_prefix="preflight")
    futures: dict[Future[HostReport], InventoryHost] = {
        pool.submit(check_host, inv, h, site, timeout, cancels[h.name], measure=measure, debug=debug): h
        for h in hosts
    }
    started: dict[str, float] = {}
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                report = fut.result()
                reports[report.host.name] = report
                if on_done:
                    on_done(report)
            now = time.monotonic()
            for fut in list(pending):
                name = futures[fut].name
                if fut.running():
                    started.setdefault(name, now)
                    if now - started[name] > timeout + WATCHDOG_GRACE:  # a step ignored its timeout
                        cancels[name].cancel()
                        pending.discard(fut)
                        report = HostReport(
                            futures[fut],
                            [pf.ssh_timeout(futures[fut].address, futures[fut].port, "answer", timeout)],
                            None,
                            now - started[name],
                        )
                        reports[name] = report
                        if on_done:
                            on_done(report)
    finally:
        for fut, host in futures.items():
            if not fut.done():
                cancels[host.name].cancel()
        pool.shutdown(wait=False, cancel_futures=True)
    return [reports[h.name] for h in hosts]
