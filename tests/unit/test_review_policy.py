"""The site's review policy (spec.review): defaults, and every mistake located in cloud.yml, in vi and en."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from berth_core.errors import ManifestInvalid
from berth_core.i18n import render_problem
from berth_core.loader import load_site

ROOT = Path(__file__).resolve().parents[2]
AIO = ROOT / "inventory" / "aio" / "cloud.yml"


def site_with(tmp_path: Path, review: dict[str, object] | None) -> Path:
    data = yaml.safe_load(AIO.read_text(encoding="utf-8"))
    if review is None:
        data["spec"].pop("review", None)
    else:
        data["spec"]["review"] = review
    path = tmp_path / "cloud.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems(path: Path, lang: str = "en") -> list[str]:
    with pytest.raises(ManifestInvalid) as invalid:
        load_site(path)
    return [render_problem(p, lang).split(": ", 1)[1] for p in invalid.value.problems]


def test_the_example_sites_hold_a_valid_policy() -> None:
    aio = load_site(AIO).spec.review
    assert aio.pre_approved("SYT") == {"default", "small", "medium"}
    assert aio.pre_approved("STC") == {"default", "small"}
    assert [a.label for a in aio.approvers] == ["group dc-capacity-board", "user tran.thi.binh"]
    haiphong = load_site(ROOT / "inventory" / "haiphong" / "cloud.yml").spec.review
    assert haiphong.checks.ram_per_core == "error"
    assert haiphong.order(()) == ("default", "small", "medium", "large", "xlarge")


def test_no_policy_means_nothing_is_pre_approved(tmp_path: Path) -> None:
    review = load_site(site_with(tmp_path, None)).spec.review
    assert review.pre_approved("SYT") == frozenset()
    assert review.max_class_steps == 1 and review.cool_down_days == 30
    assert review.checks.networks_within_quota == "error"
    assert review.order(("a", "b")) == ("a", "b")  # cloud.yml's order of quotaClasses


def test_every_unknown_class_is_located_at_once(tmp_path: Path) -> None:
    path = site_with(
        tmp_path,
        {
            "preApprovedClasses": ["default", "huge"],
            "agencyPreApprovedClasses": {"SYT": ["giant"]},
            "classOrder": ["default", "small", "small", "medium"],
        },
    )
    found = problems(path)
    assert sorted(found) == sorted(
        [
            "spec.review.preApprovedClasses[1]: quota class huge is not one of the site's classes "
            "(default, small, medium, large)",
            "spec.review.agencyPreApprovedClasses.SYT[0]: quota class giant is not one of the site's classes "
            "(default, small, medium, large)",
            "spec.review.classOrder[2]: quota class small is listed twice in classOrder",
            "spec.review.classOrder: classOrder must list every quota class of the site; missing: large",
        ]
    )


def test_problems_carry_line_numbers_and_read_in_vietnamese(tmp_path: Path) -> None:
    path = site_with(tmp_path, {"classOrder": ["default", "small", "medium", "large", "tiny"]})
    with pytest.raises(ManifestInvalid) as invalid:
        load_site(path)
    (problem,) = invalid.value.problems
    text = path.read_text(encoding="utf-8").splitlines()
    assert "tiny" in text[problem.location.line - 1]
    assert render_problem(problem, "vi").endswith(
        "spec.review.classOrder[4]: lớp hạn mức tiny không thuộc các lớp của site (default, small, medium, large)"
    )


@pytest.mark.parametrize(
    ("review", "expected"),
    [
        (
            {"approvers": [{"user": "a.b", "group": "c-d"}]},
            "spec.review.approvers[0]: an approver names exactly",
        ),
        (
            {"ramPerCore": {"minGiB": 9, "maxGiB": 4}},
            "spec.review.ramPerCore.minGiB: minGiB 9 is above maxGiB 4",
        ),
        ({"checks": {"ramPerCore": "fatal"}}, "spec.review.checks.ramPerCore: "),
        ({"maxClassSteps": -1}, "spec.review.maxClassSteps: must be at least 0"),
        ({"autoApprovedRoles": ["admin"]}, "spec.review.autoApprovedRoles[0]: "),
        ({"coolDown": 3}, "spec.review.coolDown: "),
    ],
)
def test_a_bad_policy_value_is_located(tmp_path: Path, review: dict[str, object], expected: str) -> None:
    found = problems(site_with(tmp_path, review))
    assert len(found) == 1 and found[0].startswith(expected), found
