"""Compare text with a reviewed snapshot file, or rewrite it on request, never under CI.

`BERTH_UPDATE_SNAPSHOTS=1` rewrites the snapshots instead of comparing (then read the diff: agencies read
these texts). A test that writes its own expectation cannot fail, so under CI (`CI` set, as CI runs) the
request itself is a failure rather than a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

UPDATE_VARIABLE = "BERTH_UPDATE_SNAPSHOTS"


def update_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this run rewrites snapshots; fails the test when CI asks for it."""
    requested = bool(environ.get(UPDATE_VARIABLE))
    if requested and environ.get("CI"):
        pytest.fail(f"{UPDATE_VARIABLE} is set under CI: snapshots are compared in CI, never rewritten")
    return environ.get(UPDATE_VARIABLE) == "1"


def assert_matches_snapshot(snapshot: Path, text: str) -> None:
    if update_requested():
        snapshot.write_text(text, encoding="utf-8")
        return
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with {UPDATE_VARIABLE}=1 and review it"
    assert text == snapshot.read_text(encoding="utf-8")
