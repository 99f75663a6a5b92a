"""What the apply benchmark measures, shared by its contenders: wall time, HTTP requests, busy CPU."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOUDS_YAML = ROOT / ".berth" / "aio" / "clouds.yaml"


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (every process: the contender, OpenStack, MariaDB...).

    The devcloud runs on this machine, so the difference over a phase is the CPU work that phase cost the
    cloud and the client together; with `os.cpu_count()` cores, no client can finish that work faster than
    cpu / cores seconds (the bound the table prints).
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Stopwatch:
    """Wall and machine-wide busy CPU seconds between start and stop."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = busy_cpu_seconds()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, busy_cpu_seconds() - self.cpu


@dataclass
class Figure:
    who: str
    phase: str
    tenants: int
    seconds: float
    requests: int | None
    cpu: float
    processes: int | None = None

    def row(self) -> str:
        per_t = f"{self.seconds / self.tenants:8.3f}"
        reqs = "       ?" if self.requests is None else f"{self.requests / self.tenants:8.1f}"
        cpu = f"{self.cpu / self.tenants:8.3f}"
        procs = "" if self.processes is None else f"{self.processes}"
        return (
            f"{self.who:<10} {self.phase:<7} {self.tenants:>3} {self.seconds:9.2f} {per_t} {reqs} {cpu}"
            f" {procs:>6}"
        )


def watch_split(watch: Stopwatch, requests: int) -> tuple[float, int, float]:
    seconds, cpu = watch.stop()
    return seconds, requests, cpu
