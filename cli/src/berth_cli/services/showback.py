"""`berth report usage|sample` as services: a month's showback from Prometheus or berth's own samples,
and one sample of every tenant's committed quota and usage.

A sample is read exactly as the exporter reads and publishes it: its collectors (identity, compute,
block storage) through its Reader, rendered by its tenant families, so the names, units and the tenants
counted are the exporter's (berth_core.tenant_metrics), one reader per OpenStack fact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_cli.state.samples import Sample
    from berth_core.showback import Bucket, Month, SeriesKey, Showback


@dataclass(frozen=True)
class SampleTaken:
    site: str
    time: float
    tenants: int
    samples: int
    tenant_errors: int  # tenants whose quota read failed: missing from this sample
    path: str


def take_sample(ctx: SiteContext, concurrency: int = 8) -> SampleTaken:
    """Read every tenant's quota and usage once, as the exporter does, and append it to the site's samples."""
    from berth_cli.state.samples import Sample, SampleLog
    from berth_core.tenant_metrics import by_metric
    from berth_exporters.collectors import blockstorage, compute, identity
    from berth_exporters.connection import connect
    from berth_exporters.families import Families
    from berth_exporters.observations import Observation
    from berth_exporters.render_tenants import tenant_families, tenants_of

    reader = connect(ctx.clouds_yaml, ctx.cloud)
    observations: dict[str, Observation | None] = {}
    seen = identity.observe(reader, observations)
    observations["identity"] = seen
    nova = compute.observe(reader, observations, concurrency=concurrency)
    observations["compute"] = nova
    cinder = blockstorage.observe(reader, observations, concurrency=concurrency)
    observations["blockstorage"] = cinder
    tenants = tenants_of(seen["projects"])
    families = Families("")
    tenant_families(families, tenants, observations)
    samples: list[Sample] = []
    for metric in families.metrics():
        for s in metric.samples:
            if by_metric(s.name, s.labels.get("resource", "")) is None:
                continue
            labels = s.labels
            samples.append(
                Sample(
                    s.name,
                    labels["resource"],
                    labels["tenant"],
                    labels["agency"],
                    labels["project_id"],
                    s.value,
                )
            )
    errors = nova["project_errors"] + cinder["project_errors"]
    now = time.time()
    log = SampleLog(ctx.state_dir)
    log.append(now, ctx.site, samples, errors)
    return SampleTaken(ctx.site, now, len(tenants), len(samples), errors, str(log.path))


def sampled_series(
    ctx: SiteContext, month: Month, now: float
) -> tuple[dict[SeriesKey, dict[int, Bucket]], int, str]:
    """The month's series from berth's samples (the latest ones before it carry into its first hours),
    how many samples were taken in the month, and the file."""
    from berth_cli.state.samples import SampleLog
    from berth_core.showback import HOLD_SECONDS, buckets_from_points
    from berth_core.tenant_metrics import by_metric

    log = SampleLog(ctx.state_dir)
    rounds = list(log.rounds(month.start - HOLD_SECONDS, month.end))
    points: dict[SeriesKey, dict[float, float]] = {}
    for r in rounds:
        for s in r.samples:
            found = by_metric(s.metric, s.resource)
            if found is None or found[0].quota_field is None:
                continue
            key = (s.tenant, s.agency, found[0].quota_field, found[1])
            row = points.setdefault(key, {})
            row[r.time] = row.get(r.time, 0.0) + s.value  # a slug's projects in one round add up
    series = {k: buckets_from_points(v.items(), month, until=now) for k, v in points.items()}
    inside = sum(1 for r in rounds if r.time >= month.start)
    return {k: v for k, v in series.items() if v}, inside, str(log.path)


def usage_report(
    ctx: SiteContext, month_text: str, *, prometheus: str | None, samples_only: bool, now: float | None = None
) -> Showback:
    """The month's showback: from `prometheus` (else spec.showback.prometheus) unless `samples_only` or
    neither is set, then from berth's own samples."""
    from berth_cli.services.inputs import load_site_only
    from berth_cli.services.prometheus_source import PrometheusSource, shown_url
    from berth_core.errors import Location, UsageError
    from berth_core.showback import parse_month, showback

    clock = time.time() if now is None else now
    month = parse_month(month_text, clock)
    site, locate = load_site_only(ctx)
    policy = site.spec.showback
    if samples_only and prometheus:
        raise UsageError("--samples and --prometheus exclude each other")
    url, where = prometheus, Location(field="--prometheus")
    if url is None and policy.prometheus is not None and not samples_only:
        url, where = policy.prometheus, locate("spec.showback.prometheus")
    prices = policy.monthly.by_field()
    if url is not None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--prometheus must be an http:// or https:// URL, not {url!r}")
        source = PrometheusSource(url, where)
        series = source.series(month, clock)
        return showback(
            series, month, prices, currency=policy.currency, source="prometheus", where=shown_url(url)
        )
    series, count, path = sampled_series(ctx, month, clock)
    return showback(
        series, month, prices, currency=policy.currency, source="samples", where=path, samples=count
    )
