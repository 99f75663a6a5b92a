"""The snapshot helper compares, rewrites on request, and refuses to rewrite under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.snapshots import UPDATE_VARIABLE, assert_matches_snapshot


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "case.en.txt"
    path.write_text("Error: reviewed text\n", encoding="utf-8")
    return path


def test_a_different_text_fails(snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UPDATE_VARIABLE, raising=False)
    assert_matches_snapshot(snapshot, "Error: reviewed text\n")
    with pytest.raises(AssertionError):
        assert_matches_snapshot(snapshot, "Error: something else\n")


def test_update_rewrites_outside_ci(snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(UPDATE_VARIABLE, "1")
    assert_matches_snapshot(snapshot, "Error: new text\n")
    assert snapshot.read_text(encoding="utf-8") == "Error: new text\n"


@pytest.mark.parametrize("value", ["1", "yes"])
def test_update_under_ci_fails_and_writes_nothing(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(UPDATE_VARIABLE, value)
    with pytest.raises(pytest.fail.Exception, match="under CI"):
        assert_matches_snapshot(snapshot, "Error: new text\n")
    assert snapshot.read_text(encoding="utf-8") == "Error: reviewed text\n"
