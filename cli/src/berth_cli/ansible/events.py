"""Pure accounting of ansible-runner events: per-host tallies, the current play/task, and failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESULT_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
    "runner_item_on_failed": "failed",
}


@dataclass
class HostTally:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class Failure:
    host: str
    task: str
    message: str


@dataclass
class RunTally:
    """Everything the progress display and the final report need, built from events alone."""

    play: str = ""
    task: str = ""
    hosts: dict[str, HostTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    changed_tasks: list[tuple[str, str]] = field(default_factory=list)

    def host(self, name: str) -> HostTally:
        return self.hosts.setdefault(name, HostTally())

    @property
    def changed(self) -> int:
        return sum(h.changed for h in self.hosts.values())

    @property
    def failed(self) -> int:
        return sum(h.failed + h.unreachable for h in self.hosts.values())

    def apply(self, event: dict[str, Any]) -> str | None:
        """Account one event; returns the outcome word of a task result ('ok', 'changed', ...) or None."""
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            self.play = str(data.get("play", ""))
            return None
        if kind == "playbook_on_task_start":
            self.task = str(data.get("task", ""))
            return None
        if kind == "playbook_on_stats":
            self._apply_stats(data)
            return None
        outcome = RESULT_EVENTS.get(kind)
        if outcome is None or kind == "runner_item_on_failed":
            return None
        host = str(data.get("host", "?"))
        task = str(data.get("task", self.task))
        res = data.get("res") or {}
        tally = self.host(host)
        if outcome == "failed" and data.get("ignore_errors"):
            tally.ignored += 1
            return "ignored"
        setattr(tally, outcome, getattr(tally, outcome) + 1)
        if outcome == "ok" and res.get("changed"):
            outcome = "changed"  # like Ansible's recap, a changed result also counts as ok
            tally.changed += 1
            self.changed_tasks.append((host, task))
        if outcome in ("failed", "unreachable"):
            self.failures.append(Failure(host=host, task=task, message=failure_message(res)))
        return outcome

    def _apply_stats(self, data: dict[str, Any]) -> None:
        """Ansible's own recap is authoritative (loops count once per task there)."""
        names: set[str] = set()
        for key in ("ok", "changed", "failures", "skipped", "dark", "ignored"):
            names.update((data.get(key) or {}).keys())
        for name in names:
            self.hosts[name] = HostTally(
                ok=int((data.get("ok") or {}).get(name, 0)),
                changed=int((data.get("changed") or {}).get(name, 0)),
                failed=int((data.get("failures") or {}).get(name, 0)),
                skipped=int((data.get("skipped") or {}).get(name, 0)),
                unreachable=int((data.get("dark") or {}).get(name, 0)),
                ignored=int((data.get("ignored") or {}).get(name, 0)),
            )


def failure_message(res: dict[str, Any]) -> str:
    """The most useful one-line explanation in a failed result."""
    parts = []
    msg = res.get("msg")
    if msg:
        parts.append(str(msg))
    stderr = str(res.get("stderr") or "").strip()
    if stderr:
        parts.append(stderr.splitlines()[-1])
    tail = res.get("log_tail")
    if isinstance(tail, list) and tail:
        parts.append(str(tail[-1]))
    for item in res.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            parts.append(failure_message(item))
            break
    text = " | ".join(p for p in parts if p) or "failed (no message)"
    return text if len(text) <= 600 else text[:597] + "..."
