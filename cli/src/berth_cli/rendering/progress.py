"""Progress of an apply, one line per change as the engine reports it (events come from worker threads)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_cli.services.engines import Progress
    from berth_cloud import ProgressEvent

_MARKS = {"done": "[green]✓[/]", "failed": "[bold red]✗[/]", "skipped": "[dim]·[/]"}


@contextlib.contextmanager
def apply_progress(output: str) -> Iterator[Progress]:
    """A progress callback printing to stderr (nothing under --output json)."""
    from rich.markup import escape

    from berth_cli.rendering.console import console

    out = console(stderr=True)
    lock = threading.Lock()

    def on_event(event: ProgressEvent) -> None:
        if event.status == "start" or output == "json":
            return
        with lock:
            note = f"  {escape(event.message)}" if event.message else ""
            mark = _MARKS.get(event.status, " ")
            out.print(f"{mark} [{event.done}/{event.total}] {event.action} {escape(event.key)}{note}")

    yield on_event
