"""The site's IPAM ledger in its state directory: every allocation, "<slug>/<network>" -> CIDR."""

from __future__ import annotations

from pathlib import Path

from berth_cli.state.files import write_atomic
from berth_core.errors import Location, UsageError
from berth_core.ipam import Ledger

LEDGER_FILE = "ipam.json"


def read_ledger(state_dir: Path) -> Ledger:
    """The ledger, empty when none was written yet."""
    path = state_dir / LEDGER_FILE
    if not path.is_file():
        return Ledger()
    try:
        return Ledger.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as bad:
        raise UsageError(
            f"the IPAM ledger cannot be read: {bad}",
            location=Location(file=str(path)),
            hint="restore it from backup; berth never guesses previous allocations",
        ) from None


def write_ledger(state_dir: Path, ledger: Ledger) -> None:
    """After an apply the ledger becomes the plan's: every allocation of the site."""
    write_atomic(state_dir / LEDGER_FILE, ledger.to_json())
