"""The Grafana dashboard's PromQL expressions and the metric names they reference."""

from __future__ import annotations

import json
import re
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "monitoring" / "grafana" / "berth-capacity.json"
_NAME = re.compile(r"\bberth_[a-zA-Z0-9_]+")


def expressions(path: Path = DASHBOARD) -> list[str]:
    def walk(panels: list[dict]) -> list[str]:
        out: list[str] = []
        for p in panels:
            out += [t["expr"] for t in p.get("targets", [])]
            out += walk(p.get("panels", []))
        return out

    return walk(json.loads(path.read_text(encoding="utf-8"))["panels"])


def metric_names(exprs: list[str]) -> set[str]:
    return {m for e in exprs for m in _NAME.findall(e)}


def scraped_names(exposition: str) -> set[str]:
    """Sample names in a /metrics text (what PromQL can select)."""
    names = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
