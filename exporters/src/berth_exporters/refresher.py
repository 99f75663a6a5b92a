"""The background refresher and the cached collector every scrape reads.

Each round runs every collector in turn (identity first: the others need its project list), keeps each
one's latest good observation, renders all families from those and swaps the result in at once, so a
scrape only ever copies a reference to a complete snapshot and never waits on OpenStack.

A failing collector: its up goes to 0 and its errors counter grows, while its previous observation is
still served (stale but marked: last_success_timestamp stops moving, and the StaleData alert fires)
until it is older than `max_stale` seconds; then its families are dropped rather than shown forever.
An operator would rather see yesterday's quota marked stale than a hole in every panel and alert.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from berth_core.site import Site
from berth_exporters.families import counter
from berth_exporters.observations import Observation
from berth_exporters.render import cached_note, render

log = logging.getLogger("berth.exporter")

# observe(previous observations) -> this collector's observation; raises on failure
Observe = Callable[[Mapping[str, Observation | None]], Observation]
RequestCount = Callable[[], int]


def exporter_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("berth-exporters")
    except PackageNotFoundError:
        return "0"


class _Fixed:
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> list[Metric]:
        return self.metrics


def _exposition(metrics: list[Metric]) -> tuple[bytes, bytes]:
    import gzip

    from prometheus_client import generate_latest

    text = generate_latest(_Fixed(metrics))
    return text, gzip.compress(text, compresslevel=6)


@dataclass
class CollectorState:
    name: str
    observation: Observation | None = None
    last_success: float = 0.0
    up: bool = False
    duration: float = 0.0
    requests: int = 0
    errors: int = 0
    project_errors: int = 0
    last_error: str = ""


@dataclass(eq=False)  # identity-hashed: the registry keys collectors by object
class Refresher(Collector):
    site: Site
    observers: Mapping[str, Observe]
    interval: float = 60.0
    max_stale: float = 600.0
    requests_made: RequestCount = lambda: 0
    clock: Callable[[], float] = time.time
    version: str = field(default_factory=exporter_version)
    states: dict[str, CollectorState] = field(default_factory=dict)
    rounds: int = 0

    def __post_init__(self) -> None:
        self.states = {name: CollectorState(name) for name in self.observers}
        self._snapshot: list[Metric] = self._self_metrics([])
        self._exposition: tuple[bytes, bytes] | None = None  # (text, gzip) of _snapshot, built lazily
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refreshed = threading.Condition()

    # -- prometheus_client Collector: never touches OpenStack
    def collect(self) -> Iterator[Metric]:
        yield from self._snapshot

    def exposition(self) -> tuple[bytes, bytes]:
        """The served snapshot in Prometheus text format, plain and gzipped (what the HTTP server sends)."""
        with self._lock:
            if self._exposition is None:
                self._exposition = _exposition(self._snapshot)
            return self._exposition

    # -- one round
    def refresh_once(self) -> None:
        for name, observe in self.observers.items():
            self._run_one(self.states[name], observe)
        now = self.clock()
        fresh = {
            name: st.observation
            if st.observation is not None and now - st.last_success <= self.max_stale
            else None
            for name, st in self.states.items()
        }
        families = render(fresh, self.site, cached_note(self.interval))
        snapshot = self._self_metrics(families)
        exposition = _exposition(snapshot)  # rendered here, once, so a scrape only copies bytes
        with self._lock:
            self._snapshot = snapshot
            self._exposition = exposition
        self.rounds += 1
        with self.refreshed:
            self.refreshed.notify_all()

    def _run_one(self, state: CollectorState, observe: Observe) -> None:
        current = {n: st.observation for n, st in self.states.items()}
        started, requests_before = time.monotonic(), self.requests_made()
        try:
            observation = observe(current)
        except Exception as error:  # one collector's failure must never stop the others
            state.up = False
            state.errors += 1
            state.last_error = f"{type(error).__name__}: {error}"[:300]
            log.warning("collector %s failed: %s", state.name, state.last_error)
        else:
            state.observation = observation
            state.up = True
            state.last_success = self.clock()
            state.project_errors += int(observation.get("project_errors", 0))
        state.duration = time.monotonic() - started
        state.requests = self.requests_made() - requests_before

    def _self_metrics(self, families: list[Metric]) -> list[Metric]:
        states = sorted(self.states.values(), key=lambda s: s.name)
        note = cached_note(self.interval)

        def gauge(name: str, text: str, value: Callable[[CollectorState], float]) -> Metric:
            fam = GaugeMetricFamily(name, f"{text} {note}", labels=["collector"])
            for st in states:
                fam.add_metric([st.name], value(st))
            return fam

        info = GaugeMetricFamily(
            "berth_exporter_build_info",
            "berth exporter version and site (value 1).",
            labels=["version", "site"],
        )
        info.add_metric([self.version, self.site.name], 1)
        snapshot = GaugeMetricFamily(
            "berth_exporter_snapshot_timestamp_seconds", "When the served snapshot was rendered (Unix time)."
        )
        snapshot.add_metric([], self.clock() if self.rounds or families else 0)
        return [
            *families,
            info,
            snapshot,
            gauge(
                "berth_exporter_collector_up",
                "1 when the collector's last refresh succeeded, else 0.",
                lambda s: int(s.up),
            ),
            gauge(
                "berth_exporter_collector_last_success_timestamp_seconds",
                "When the collector last refreshed successfully (Unix time; 0 never).",
                lambda s: s.last_success,
            ),
            gauge(
                "berth_exporter_collector_duration_seconds",
                "Wall time of the collector's last refresh.",
                lambda s: s.duration,
            ),
            gauge(
                "berth_exporter_collector_requests",
                "HTTP requests the collector's last refresh made to OpenStack.",
                lambda s: s.requests,
            ),
            counter(
                "berth_exporter_collector_errors",
                "Failed refreshes of the collector.",
                ["collector"],
                [([s.name], s.errors) for s in states],
            ),
            counter(
                "berth_exporter_project_errors",
                "Per-project reads that failed (the project's own series were left out, the rest served).",
                ["collector"],
                [([s.name], s.project_errors) for s in states],
            ),
        ]

    # -- background thread
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="berth-exporter-refresh", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.refresh_once()
            except Exception:  # rendering bug: keep serving the previous snapshot, keep trying
                log.exception("refresh failed; serving the previous snapshot")
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wait_rounds(self, rounds: int, timeout: float) -> bool:
        """Block until at least `rounds` refreshes completed (tests, `serve --once`)."""
        deadline = time.monotonic() + timeout
        with self.refreshed:
            while self.rounds < rounds:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.refreshed.wait(left)
        return True

    def describe(self) -> list[Any]:
        return []  # unchecked collector: the registry must not call collect() at registration
