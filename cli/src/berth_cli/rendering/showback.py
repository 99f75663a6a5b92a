"""`berth report usage`: the month's showback as tables (agencies, then tenants), JSON or CSV."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_core.showback import ResourceFigures, Row, Showback

# (column, figure attribute); one group per resource (cores, ramGiB, volumeGiB)
_FIGURES = (
    ("committed_avg", "committed_avg"),
    ("committed_end", "committed_end"),
    ("used_peak", "used_peak"),
    ("used_avg", "used_avg"),
    ("cost", "cost"),
)


def _number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "unlimited"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def csv_text(report: Showback) -> str:
    """One line per agency total and per tenant; resources side by side; numbers unrounded."""
    import csv
    import io

    from berth_core.tenant_metrics import SHOWBACK_FIELDS

    header = ["month", "agency", "tenant", "observed_hours", "hours", "observed_fraction"]
    for f in SHOWBACK_FIELDS:
        header += [f"{f}_{column}" for column, _ in _FIGURES]
    header += [f"cost_{report.currency}"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in (*report.agencies, *report.tenants):
        line: list[str] = [
            report.month.label,
            row.agency,
            row.tenant or "",
            str(row.observed_hours),
            str(row.hours),
            f"{row.observed_fraction:.6f}",
        ]
        for figures in row.resources:
            line += [_raw(getattr(figures, attr)) for _, attr in _FIGURES]
        line.append(_raw(row.cost))
        writer.writerow(line)
    return buffer.getvalue()


def _raw(value: float | None) -> str:
    if value is None:
        return ""
    return "unlimited" if math.isinf(value) else repr(float(value))


def _cell(r: ResourceFigures) -> str:
    """`avg 15 · end 20 · peak 9 · avg used 4`."""
    if r.committed_avg is None:
        return "-"
    return (
        f"{_number(r.committed_avg)} (end {_number(r.committed_end)}) / "
        f"peak {_number(r.used_peak)}, avg {_number(r.used_avg)}"
    )


def _observed(row: Row) -> str:
    text = f"{row.observed_fraction:.0%}"
    return text if row.observed_hours == row.hours else f"{text} (partial)"


def print_report(report: Showback, output: str) -> None:
    import json

    if output == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    if output == "csv":
        print(csv_text(report), end="")
        return
    from rich.table import Table

    from berth_cli.rendering.console import console

    out = console()
    source = (
        f"{report.samples} sample(s) by berth from {report.where}"
        if report.source == "samples"
        else f"Prometheus {report.where}"
    )
    out.print(f"showback {report.month.label} ({report.month.hours} h), from {source}")
    if not report.tenants:
        out.print(
            "no tenant data in this month"
            + (": run `berth report sample` from cron" if report.source == "samples" else "")
        )
        return
    prices = ", ".join(f"{f} {_number(p)}" for f, p in report.prices.items())
    out.print(
        f"committed quota (time-weighted avg, end) / used (peak, avg); cost per unit of committed quota per "
        f"month, prorated by observed hours: {prices or 'no prices set (spec.showback.monthly)'} {report.currency}"
    )
    for title, rows in (("agencies", report.agencies), ("tenants", report.tenants)):
        table = Table(title=title)
        table.add_column("agency")
        if title == "tenants":
            table.add_column("tenant")
        table.add_column("observed", justify="right")
        for figures in rows[0].resources:
            unit = "" if figures.field == "cores" else " (GiB)"
            table.add_column(f"{figures.field}{unit}", justify="right")
        table.add_column(f"cost ({report.currency})", justify="right")
        for row in rows:
            cells = [row.agency] + ([row.tenant or ""] if title == "tenants" else [])
            cells += [_observed(row), *(_cell(r) for r in row.resources), _number(row.cost, 0)]
            table.add_row(*cells)
        out.print(table)
    partial = [r.tenant for r in report.tenants if r.observed_hours < r.hours]
    if partial:
        out.print(
            f"partial: {len(partial)} tenant(s) observed for only part of the month (created or deleted "
            f"in it, or no data); unobserved hours are not charged"
        )
