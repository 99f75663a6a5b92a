"""`berth report usage`: the month's showback as tables (agencies, then tenants), JSON or CSV."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_core.showback import Row, Showback

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


def _observed(row: Row) -> str:
    text = f"{row.observed_fraction:.1%}"
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
        for column in ("agency", *(("tenant",) if title == "tenants" else ()), "observed", "resource"):
            table.add_column(column, overflow="fold")
        for column in ("committed avg", "at end", "used peak", "used avg", f"cost {report.currency}"):
            table.add_column(column, justify="right", overflow="fold")
        for row in rows:
            for i, r in enumerate(row.resources):
                ids = [row.agency, *([row.tenant or ""] if title == "tenants" else [])]
                head = [*ids, _observed(row)] if i == 0 else [""] * (len(ids) + 1)
                unit = "cores" if r.field == "cores" else f"{r.field[:-3]} GiB"
                table.add_row(
                    *head,
                    unit,
                    _number(r.committed_avg),
                    _number(r.committed_end),
                    _number(r.used_peak),
                    _number(r.used_avg),
                    _number(r.cost, 0),
                )
            table.add_row(*[""] * (len(table.columns) - 2), "total", _number(row.cost, 0), end_section=True)
        out.print(table)
    partial = [r.tenant for r in report.tenants if r.observed_hours < r.hours]
    if partial:
        out.print(
            f"partial: {len(partial)} tenant(s) observed for only part of the month (created or deleted "
            f"in it, or no data); unobserved hours are not charged"
        )
