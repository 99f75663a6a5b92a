"""Show preflight results: a host x check matrix (rich), then every warning and failure with what to do."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from berth_cli.preflight.runner import HostReport
from berth_core.preflight import STATUS_ORDER

_MARK = {"pass": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "bold red")}


def summary(reports: list[HostReport]) -> dict[str, int]:
    counts = {"hosts": len(reports), "pass": 0, "warn": 0, "fail": 0}
    for report in reports:
        for result in report.results:
            counts[result.status] += 1
    counts["failedHosts"] = sum(1 for r in reports if r.status == "fail")
    return counts


def summary_line(site: str, reports: list[HostReport]) -> str:
    s = summary(reports)
    return (
        f"preflight of site {site}: {s['hosts']} host(s), {s['failedHosts']} failing; "
        f"{s['pass']} checks passed, {s['warn']} warnings, {s['fail']} failures"
    )


def as_json(site: str, reports: list[HostReport]) -> str:
    doc: dict[str, Any] = {
        "site": site,
        "ok": all(r.status != "fail" for r in reports),
        "summary": summary(reports),
        "hosts": [r.to_json() for r in reports],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def print_text(console: Console, site: str, reports: list[HostReport]) -> None:
    table = Table(title=f"Preflight: site {site}")
    for column in ("host", "check", "result", "detail"):
        table.add_column(column, no_wrap=column != "detail", overflow="fold")
    for report in reports:
        for i, result in enumerate(report.results):
            name = Text(report.host.name, style=_MARK[report.status][1]) if i == 0 else ""
            table.add_row(
                name,
                result.check,
                Text(*_MARK[result.status]),
                result.detail,
                end_section=i == len(report.results) - 1,
            )
    console.print(table)
    problems = [(rep, res) for rep in reports for res in rep.results if res.status != "pass"]
    problems.sort(key=lambda pr: -STATUS_ORDER[pr[1].status])
    for report, result in problems:
        label, style = _MARK[result.status]
        line = Text.assemble(
            (f"{label:<4} ", style), (f"{report.host.name} ", "bold"), f"{result.check}: ", result.detail
        )
        console.print(line, soft_wrap=True)
        if result.remedy:
            console.print(Text(f"     what to do: {result.remedy}", style="dim"), soft_wrap=True)
    console.print(summary_line(site, reports), soft_wrap=True)
