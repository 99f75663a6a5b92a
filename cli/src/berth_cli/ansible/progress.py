"""Rich progress for a playbook run: the current play and task, each changed or failed result as it
happens, and a recap table per host at the end."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.status import Status
from rich.table import Table

from berth_cli.ansible.events import RunTally

_STYLE = {"changed": "yellow", "failed": "bold red", "unreachable": "bold red", "ignored": "magenta"}


class PlaybookProgress:
    """Event handler for ansible-runner that keeps a RunTally and shows it on a console."""

    def __init__(self, console: Console, *, enabled: bool = True, title: str = "ansible") -> None:
        self.console = console
        self.enabled = enabled
        self.title = title
        self.tally = RunTally()
        self._status: Status | None = None

    def __enter__(self) -> PlaybookProgress:
        if self.enabled:
            self._status = self.console.status(f"{self.title}: starting")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def __call__(self, event: dict[str, Any]) -> bool:
        """ansible-runner's event_handler: returning True keeps the event in the artifacts."""
        kind = event.get("event", "")
        outcome = self.tally.apply(event)
        if not self.enabled:
            return True
        if kind == "playbook_on_play_start":
            self.console.print(f"[bold]PLAY[/bold] {self.tally.play}")
        if self._status is not None and self.tally.task:
            self._status.update(f"{self.tally.play} › {self.tally.task}")
        if outcome in _STYLE:
            host = (event.get("event_data") or {}).get("host", "?")
            style = _STYLE[outcome]
            self.console.print(f"  [{style}]{outcome:<8}[/{style}] {host}: {self.tally.task}")
        return True

    def recap(self) -> Table:
        table = Table(title="recap", show_lines=False)
        for column in ("host", "ok", "changed", "failed", "unreachable", "skipped", "ignored"):
            table.add_column(column, justify="left" if column == "host" else "right")
        for name, tally in sorted(self.tally.hosts.items()):
            table.add_row(
                name,
                str(tally.ok),
                str(tally.changed),
                str(tally.failed),
                str(tally.unreachable),
                str(tally.skipped),
                str(tally.ignored),
            )
        return table
