"""Metric family builders: berth_ names, base units, and HELP text that says the data is cached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from berth_core.tenant_metrics import GIB, MIB

# Placement resource classes as berth names them in metrics, with the factor to the base unit.
# VCPUs are counted (no unit); memory and disk are bytes, whatever MiB/GiB OpenStack reports.
CLASS_RESOURCE: dict[str, tuple[str, int]] = {
    "VCPU": ("vcpu", 1),
    "MEMORY_MB": ("memory", MIB),
    "DISK_GB": ("disk", GIB),
    "VOLUME_GB": ("volume", GIB),
}


def unit_suffix(resource_class: str) -> str:
    """`_vcpus` for counted CPUs, `_bytes` for everything measured in bytes (one unit per metric)."""
    return "_vcpus" if resource_class == "VCPU" else "_bytes"


class Families:
    """Collects samples by metric name, so each family is emitted once with all its samples."""

    def __init__(self, cached_note: str) -> None:
        self._note = cached_note
        self._gauges: dict[str, GaugeMetricFamily] = {}
        self._labels: dict[str, tuple[str, ...]] = {}

    def gauge(
        self, name: str, help_text: str, labels: Sequence[str], values: Sequence[str], value: float
    ) -> None:
        family = self._gauges.get(name)
        if family is None:
            family = GaugeMetricFamily(name, f"{help_text} {self._note}", labels=list(labels))
            self._gauges[name] = family
            self._labels[name] = tuple(labels)
        elif self._labels[name] != tuple(labels):
            raise ValueError(f"{name}: labels {tuple(labels)} differ from {self._labels[name]}")
        family.add_metric(list(values), float(value))

    def declare(self, name: str, help_text: str, labels: Sequence[str]) -> None:
        """An always-present family, even with no samples yet (dashboards and alerts can rely on it)."""
        if name not in self._gauges:
            self._gauges[name] = GaugeMetricFamily(name, f"{help_text} {self._note}", labels=list(labels))
            self._labels[name] = tuple(labels)

    def metrics(self) -> list[Metric]:
        return [self._gauges[name] for name in sorted(self._gauges)]


def counter(
    name: str, help_text: str, labels: Sequence[str], rows: Iterable[tuple[Sequence[str], float]]
) -> Metric:
    """A counter family; `name` is given without `_total` (prometheus_client adds it to the sample)."""
    family = CounterMetricFamily(name, help_text, labels=list(labels))
    for values, value in rows:
        family.add_metric(list(values), value)
    return family
