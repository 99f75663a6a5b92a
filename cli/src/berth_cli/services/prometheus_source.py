"""Showback's Prometheus source: the exporter's tenant series for one month, one bucket per hour.

Through Prometheus's HTTP API (`/api/v1/query_range`, step 1 h, so a month is at most 744 points per
series): for each tenant metric, `max_over_time`, `avg_over_time` and `last_over_time` over the hour that
ends at each step. Those are exact per hour whatever the scrape interval. Steps sit 1 ms before each hour
ends, so an hour is [h, h + 1 h) on Prometheus 2 (closed ranges) and 3 (left-open) alike, for samples
stamped to the millisecond. Series are grouped by tenant, agency and resource (several scrape jobs, or a
project re-created under the same slug, collapse to the largest).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from berth_core.errors import Location, PrometheusError
from berth_core.showback import STEP_SECONDS, Bucket, Month, SeriesKey
from berth_core.tenant_metrics import QUOTA, SHOWBACK_FIELDS, USAGE, TenantResource, by_field

TIMEOUT = 60.0
_EDGE = 0.001  # seconds before each hour ends
_FUNCTIONS = ("max_over_time", "avg_over_time", "last_over_time")


def shown_url(url: str) -> str:
    """The URL without user:password (never printed)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def expression(function: str, resources: list[TenantResource], kind: str) -> str:
    names = "|".join(r.label for r in resources)
    selector = f'{resources[0].metric(kind)}{{resource=~"{names}"}}'
    return f"max by (tenant, agency, resource) ({function}({selector}[1h]))"


class PrometheusSource:
    def __init__(self, url: str, where: Location, timeout: float = TIMEOUT) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):  # never file: or others
            raise ValueError(f"not an http(s) URL: {shown_url(url)}")
        self.url = url.rstrip("/")
        self.where = where  # --prometheus, or spec.showback.prometheus in cloud.yml
        self.timeout = timeout
        self.queries = 0

    def _fail(self, text: str, hint: str = "") -> PrometheusError:
        return PrometheusError(
            f"Prometheus at {shown_url(self.url)}: {text}",
            location=self.where,
            hint=hint
            or "check that it runs and answers /api/v1/query_range, or pass --samples to use berth's "
            "own samples (berth report sample)",
        )

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode(
            {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(STEP_SECONDS)}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in __init__
            f"{self.url}/api/v1/query_range",
            data=params,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.queries += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s)
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise self._fail(f"HTTP {error.code}: {_error_text(error.read())}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise self._fail(f"cannot be reached ({reason})") from None
        try:
            body = json.loads(raw)
        except ValueError:
            raise self._fail("did not answer with JSON (is this Prometheus's address?)") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            raise self._fail(f"query failed: {_error_text(raw)}")
        data = body.get("data") or {}
        if data.get("resultType") != "matrix":
            raise self._fail(f"expected a matrix, got {data.get('resultType')!r}")
        return list(data.get("result") or [])

    def series(self, month: Month, now: float) -> dict[SeriesKey, dict[int, Bucket]]:
        """Every tenant's committed and used series of the month (until now), bucketed per hour."""
        start = month.start + STEP_SECONDS - _EDGE
        end = min(month.end, now) - _EDGE
        if end < start:
            return {}
        resources = [by_field(f) for f in SHOWBACK_FIELDS]
        groups: dict[str, list[TenantResource]] = {}  # one query per metric name and function
        for r in resources:
            groups.setdefault(r.metric(QUOTA), []).append(r)
        parts: dict[tuple[SeriesKey, int], dict[str, float]] = {}
        for kind in (QUOTA, USAGE):
            for same_metric in groups.values():
                fields = {r.label: r.quota_field for r in same_metric}
                for function in _FUNCTIONS:
                    for result in self.query_range(expression(function, same_metric, kind), start, end):
                        labels: Mapping[str, str] = result.get("metric", {})
                        field = fields.get(labels.get("resource", ""))
                        if field is None:
                            continue
                        key = (labels.get("tenant", ""), labels.get("agency", ""), field, kind)
                        for t, v in result.get("values", []):
                            hour = round((float(t) + _EDGE - month.start) / STEP_SECONDS) - 1
                            parts.setdefault((key, hour), {})[function] = float(v)
        out: dict[SeriesKey, dict[int, Bucket]] = {}
        for (key, hour), values in parts.items():
            if len(values) == len(_FUNCTIONS) and not any(math.isnan(v) for v in values.values()):
                out.setdefault(key, {})[hour] = Bucket(
                    values["max_over_time"], values["avg_over_time"], values["last_over_time"]
                )
        return out


def _error_text(raw: bytes) -> str:
    try:
        body = json.loads(raw)
        return f"{body.get('errorType', 'error')}: {body.get('error', '')}"[:500]
    except (ValueError, AttributeError):
        return raw[:200].decode("utf-8", "replace")
