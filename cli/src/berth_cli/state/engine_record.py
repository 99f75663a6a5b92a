"""Each resource kind has one executor per site: the engine is recorded on the first apply and kept."""

from __future__ import annotations

from pathlib import Path

from berth_cli.state.files import write_atomic
from berth_core.errors import UsageError

ENGINE_FILE = "engine"


def recorded_engine(state_dir: Path) -> str | None:
    path = state_dir / ENGINE_FILE
    return path.read_text(encoding="utf-8").strip() or None if path.is_file() else None


def check_and_record(state_dir: Path, engine: str, site: str) -> None:
    """Refuse to switch engines silently: two executors for one resource would fight over it."""
    recorded = recorded_engine(state_dir)
    if recorded is None:
        write_atomic(state_dir / ENGINE_FILE, engine + "\n")
    elif recorded != engine:
        raise UsageError(
            f"site {site} is applied with the {recorded} engine; this run would use {engine}",
            hint=f"pass --engine {recorded}; moving a site to another engine is a migration, "
            f"not a flag (see docs/engine.md)",
        )
