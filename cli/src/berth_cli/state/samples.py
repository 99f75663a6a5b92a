"""berth's own showback samples: `.berth/<site>/showback-samples.jsonl`, one line per `berth report sample`.

Append-only (a cron job adds a line; nothing rewrites the file), one JSON object per line:
`{"time": <unix seconds>, "site": "aio", "tenantErrors": 0, "samples": [{"metric": "berth_tenant_quota",
"resource": "cores", "tenant": "so-y-te", "agency": "SYT", "projectId": "…", "value": 16}, …]}`, with the
exporter's metric names and base units (berth_core.tenant_metrics); an unlimited quota is "+Inf".
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from berth_cli.state.files import private_dir
from berth_core.errors import BerthError, Location

FILE_NAME = "showback-samples.jsonl"


@dataclass(frozen=True)
class Sample:
    metric: str
    resource: str
    tenant: str
    agency: str
    project_id: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        value: Any = "+Inf" if math.isinf(self.value) else self.value
        return {
            "metric": self.metric,
            "resource": self.resource,
            "tenant": self.tenant,
            "agency": self.agency,
            "projectId": self.project_id,
            "value": value,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Sample:
        value = raw["value"]
        if isinstance(value, bool) or not (isinstance(value, int | float) or value == "+Inf"):
            raise ValueError(f"value {value!r} is not a number")
        return cls(
            str(raw["metric"]),
            str(raw["resource"]),
            str(raw["tenant"]),
            str(raw["agency"]),
            str(raw["projectId"]),
            math.inf if value == "+Inf" else float(value),
        )


@dataclass(frozen=True)
class Round:
    """One `berth report sample`: when, and every tenant sample it took."""

    time: float
    samples: tuple[Sample, ...]
    tenant_errors: int = 0


class SampleLog:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME

    def append(self, time: float, site: str, samples: Sequence[Sample], tenant_errors: int) -> None:
        line = json.dumps(
            {
                "time": time,
                "site": site,
                "tenantErrors": tenant_errors,
                "samples": [s.to_dict() for s in samples],
            },
            ensure_ascii=False,
            allow_nan=False,
        )
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))  # one write per line: appends never interleave
            os.fsync(fd)
        finally:
            os.close(fd)

    def rounds(self, start: float, end: float) -> Iterator[Round]:
        """The rounds taken in [start, end); a line that is not a round is an error located at its line."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                    time = float(raw["time"])
                    if not start <= time < end:
                        continue
                    samples = tuple(Sample.from_dict(s) for s in raw["samples"])
                    yield Round(time, samples, int(raw.get("tenantErrors", 0)))
                except (ValueError, KeyError, TypeError) as error:
                    raise BerthError(
                        f"not a showback sample ({error})",
                        location=Location(str(self.path), number),
                        hint="the file is append-only: restore it from backup or remove the line",
                    ) from error
