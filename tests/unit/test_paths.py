"""berth_core.paths: every front door finds the same checkout and state, and speaks the same language."""

from __future__ import annotations

from pathlib import Path

from berth_core.paths import default_lang, project_root, site_state_dir


def test_language_from_berth_lang_then_the_locale() -> None:
    assert default_lang({"BERTH_LANG": "vi", "LANG": "en_US.UTF-8"}) == "vi"
    assert default_lang({"LC_ALL": "vi_VN.UTF-8"}) == "vi"
    assert default_lang({"LANG": "C.UTF-8"}) == "en"
    assert default_lang({}) == "en"


def test_the_root_is_berth_root_else_the_nearest_parent_with_an_inventory(tmp_path: Path) -> None:
    (tmp_path / "inventory").mkdir()
    deep = tmp_path / "manifests" / "agency"
    deep.mkdir(parents=True)
    assert project_root({}, deep) == tmp_path.resolve()
    assert project_root({"BERTH_ROOT": str(deep)}, tmp_path) == deep.resolve()


def test_state_is_under_berth_state_dir_else_the_checkout(tmp_path: Path) -> None:
    assert site_state_dir(tmp_path, "aio", {}) == tmp_path / ".berth" / "aio"
    assert site_state_dir(tmp_path, "aio", {"BERTH_STATE_DIR": "/srv/berth"}) == Path("/srv/berth/aio")
