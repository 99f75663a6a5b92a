"""Showback for one month: per tenant and per agency, committed quota, peak and average usage, the share
of the month observed, and a cost when the site sets prices (`spec.showback`, berth_core.showback_policy).

Input is the exporter's own series (berth_core.tenant_metrics), in base units, aggregated per hour of the
month (`Bucket`): Prometheus answers that directly (max/avg/last_over_time per hour); berth's own samples
are bucketed here (`buckets_from_points`). Hour `i` is [start + i h, start + (i + 1) h).

What a price is charged on: **committed quota** (what the agency reserved, as Limes bills commitments),
per unit per month, prorated by the hours observed: cost = price × Σ(hourly committed) / hours in the
month. A government showback charges capacity the city set aside for an agency whether or not it was
used; usage is shown next to it so an agency sees what it could give back. Hours with no data are not
charged: berth cannot tell a tenant that did not exist yet from a gap in monitoring, and would rather
under-charge and say so (the observed share) than invent data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from berth_core.errors import UsageError
from berth_core.tenant_metrics import QUOTA, SHOWBACK_FIELDS, USAGE, by_field

STEP_SECONDS = 3600  # one bucket per hour: at most 744 points per series and month
HOLD_SECONDS = 25 * 3600  # a berth sample stands for the time until the next one, at most this long
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> float:
        return datetime(self.year, self.month, 1, tzinfo=UTC).timestamp()

    @property
    def end(self) -> float:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=UTC).timestamp()

    @property
    def hours(self) -> int:
        return int((self.end - self.start) // STEP_SECONDS)

    def hour_of(self, timestamp: float) -> int | None:
        """The bucket of a timestamp, or None outside the month."""
        if not self.start <= timestamp < self.end:
            return None
        return int((timestamp - self.start) // STEP_SECONDS)


def parse_month(text: str, now: float) -> Month:
    """`YYYY-MM` (UTC); a malformed month, or one that has not begun, is a usage error (exit 2)."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise UsageError(f"--month must be YYYY-MM (e.g. 2026-11), not {text!r}")
    month = Month(int(match.group(1)), int(match.group(2)))
    if month.start > now:
        current = datetime.fromtimestamp(now, UTC).strftime("%Y-%m")
        raise UsageError(
            f"--month {month.label} has not begun (it is {current} now, UTC)",
            hint="a report covers a past month, or the current one so far",
        )
    return month


@dataclass(frozen=True)
class Bucket:
    """One hour of one series: its largest, mean and last value (base units; +Inf when unlimited)."""

    peak: float
    mean: float
    last: float


Buckets = Mapping[int, Bucket]
# (tenant, agency, quota field, QUOTA or USAGE) -> hourly buckets
SeriesKey = tuple[str, str, str, str]


def buckets_from_points(
    points: Iterable[tuple[float, float]], month: Month, until: float | None = None
) -> dict[int, Bucket]:
    """Bucket berth's own samples: an hour holding samples gets their max, mean and last; an hour without
    takes the latest earlier sample when it is at most HOLD_SECONDS old (a daily cron job covers the
    month), else stays unobserved. Samples before the month only carry into its first hours; nothing is
    carried into hours that begin after `until` (now, for the current month)."""
    ordered = sorted(points)
    inside: dict[int, list[float]] = {}
    for t, v in ordered:
        hour = month.hour_of(t)
        if hour is not None:
            inside.setdefault(hour, []).append(v)
    out: dict[int, Bucket] = {}
    index = 0
    latest: tuple[float, float] | None = None
    for hour in range(month.hours):
        begin = month.start + hour * STEP_SECONDS
        if until is not None and begin > until:
            break
        while index < len(ordered) and ordered[index][0] < begin:
            latest = ordered[index]
            index += 1
        values = inside.get(hour)
        if values:
            out[hour] = Bucket(max(values), math.fsum(values) / len(values), values[-1])
        elif latest is not None and begin - latest[0] <= HOLD_SECONDS:
            out[hour] = Bucket(latest[1], latest[1], latest[1])
    return out


@dataclass(frozen=True)
class ResourceFigures:
    """One resource of a tenant or agency for the month, in the quota field's unit (cores, GiB)."""

    field: str
    committed_avg: float | None  # time-weighted over the observed hours; inf = unlimited
    committed_end: float | None  # at the last observed hour
    used_peak: float | None
    used_avg: float | None
    observed_hours: int  # hours with a committed-quota value
    cost: float | None  # None: not priced, not observed, or unlimited (an agency: its tenants' sum)

    def to_dict(self) -> dict[str, Any]:
        unlimited = self.committed_avg is not None and math.isinf(self.committed_avg)
        return {
            "field": self.field,
            "committedAvg": None if unlimited else self.committed_avg,
            "committedEnd": None if unlimited else self.committed_end,
            "unlimited": unlimited,
            "usedPeak": self.used_peak,
            "usedAvg": self.used_avg,
            "observedHours": self.observed_hours,
            "cost": self.cost,
        }


@dataclass(frozen=True)
class Row:
    """A tenant (with its slug) or an agency's total (tenant None)."""

    agency: str
    tenant: str | None
    hours: int
    observed_hours: int  # hours in which any of its committed quota was observed
    resources: tuple[ResourceFigures, ...]

    @property
    def observed_fraction(self) -> float:
        return self.observed_hours / self.hours if self.hours else 0.0

    @property
    def cost(self) -> float | None:
        costs = [r.cost for r in self.resources if r.cost is not None]
        return math.fsum(costs) if costs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            **({"tenant": self.tenant} if self.tenant is not None else {}),
            "observedHours": self.observed_hours,
            "observedFraction": round(self.observed_fraction, 6),
            "partial": self.observed_hours < self.hours,
            "cost": self.cost,
            "resources": {r.field: r.to_dict() for r in self.resources},
        }


def _mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    return math.inf if any(math.isinf(v) for v in values) else math.fsum(values) / len(values)


def resource_figures(
    field: str, committed: Buckets, used: Buckets, hours: int, price: float | None
) -> ResourceFigures:
    scale = by_field(field).to_field_unit
    quota = [scale(committed[h].mean) for h in sorted(committed)]
    end = scale(committed[max(committed)].last) if committed else None
    cost = None
    if price is not None and quota and not any(math.isinf(v) for v in quota):
        cost = price * math.fsum(quota) / hours
    return ResourceFigures(
        field=field,
        committed_avg=_mean(quota),
        committed_end=end,
        used_peak=max((scale(b.peak) for b in used.values()), default=None),
        used_avg=_mean([scale(b.mean) for b in used.values()]),
        observed_hours=len(committed),
        cost=cost,
    )


def _row(
    agency: str,
    tenant: str | None,
    series: Mapping[tuple[str, str], Buckets],
    month: Month,
    prices: Mapping[str, float],
) -> Row:
    resources = tuple(
        resource_figures(
            f, series.get((f, QUOTA), {}), series.get((f, USAGE), {}), month.hours, prices.get(f)
        )
        for f in SHOWBACK_FIELDS
    )
    observed = set().union(*(series.get((f, QUOTA), {}).keys() for f in SHOWBACK_FIELDS))
    return Row(agency, tenant, month.hours, len(observed), resources)


def _sum_or_none(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return math.fsum(known) if known else None


def _summed(parts: Iterable[Buckets]) -> dict[int, Bucket]:
    """An agency's hour: the sum of its tenants' observed in that hour (the peak is the sum of their
    hourly peaks: exact at hourly resolution, an upper bound within the hour)."""
    out: dict[int, Bucket] = {}
    for buckets in parts:
        for hour, b in buckets.items():
            o = out.get(hour)
            out[hour] = b if o is None else Bucket(o.peak + b.peak, o.mean + b.mean, o.last + b.last)
    return out


@dataclass(frozen=True)
class Showback:
    month: Month
    source: str  # "prometheus" or "samples"
    where: str  # the Prometheus URL, or the samples file
    samples: int | None  # berth's samples used (None for Prometheus)
    currency: str
    prices: Mapping[str, float]
    tenants: tuple[Row, ...]
    agencies: tuple[Row, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.label,
            "hours": self.month.hours,
            "source": self.source,
            "where": self.where,
            **({"samples": self.samples} if self.samples is not None else {}),
            "currency": self.currency,
            "monthlyPrices": dict(self.prices),
            "agencies": [r.to_dict() for r in self.agencies],
            "tenants": [r.to_dict() for r in self.tenants],
        }


def showback(
    series: Mapping[SeriesKey, Buckets],
    month: Month,
    prices: Mapping[str, float],
    *,
    currency: str,
    source: str,
    where: str,
    samples: int | None = None,
) -> Showback:
    """Every tenant that has any series in the month, and every agency's total, sorted by name."""
    by_tenant: dict[tuple[str, str], dict[tuple[str, str], Buckets]] = {}
    for (tenant, agency, field, kind), buckets in series.items():
        if buckets and field in SHOWBACK_FIELDS:
            by_tenant.setdefault((agency, tenant), {})[(field, kind)] = buckets
    tenants = tuple(_row(a, t, s, month, prices) for (a, t), s in sorted(by_tenant.items()))
    agencies: list[Row] = []
    for agency in sorted({a for a, _ in by_tenant}):
        members = [s for (a, _), s in by_tenant.items() if a == agency]
        keys = {k for s in members for k in s}
        summed = {k: _summed(s.get(k, {}) for s in members) for k in keys}
        total = _row(agency, None, summed, month, prices)
        # an agency pays what its tenants pay: an unlimited tenant (not priceable) leaves the others' costs
        rows = [t for t in tenants if t.agency == agency]
        costed = tuple(
            replace(r, cost=_sum_or_none(t.resources[i].cost for t in rows))
            for i, r in enumerate(total.resources)
        )
        agencies.append(replace(total, resources=costed))
    return Showback(month, source, where, samples, currency, dict(prices), tenants, tuple(agencies))
