"""Fuzzing, kept as properties: mutated manifests through the loader, the validator and the offline planner.

Issue 15 found its holes by mutating valid manifests (3,200 of them): a null or a missing `remote` made a
rule open to every source, a quota past 2^31-1 failed half-way through an apply, an ESC in a key reached
the terminal. Whatever the mutation, these hold: nothing but ManifestInvalid is raised, every problem is
located (a line, or the whole-file marker) and printable in both languages, and whatever is accepted
plans only rules with an explicit source and quotas the services accept. Deterministic and bounded
(`derandomize`, no example database) so the suite stays a few seconds.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berth_core.errors import Location, ManifestInvalid, Problem
from berth_core.i18n import catalogue, render_problem
from berth_core.loader import Document, LoadedManifest, load_site, read_documents, validate_document
from berth_core.manifest import TenantManifest
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.quota import to_native
from berth_core.quota_fields import SERVICE_MAX
from berth_core.safe_text import is_unsafe
from berth_core.safe_yaml import parse_documents

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "tests/fixtures/valid").glob("*.y*ml"), *(ROOT / "manifests").glob("*.yaml")])
EXAMPLES = [d for p in SOURCES for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
SITE = load_site(ROOT / "inventory/haiphong/cloud.yml")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["0", "0.0.0.0/0", "::/0", "٤٤٣", "24.0", "on", "Yes", "1-65535", "2147483648"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
CONTROLS = ["\x1b[2J", "\x1b]0;pwned\x07", "\x9b", "\u202e", "\u200b", "\x7f", "\x00"]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(data: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    current = parent[last]
    if how == "drop":
        del parent[last]
    elif how == "null":
        parent[last] = None
    elif how == "value":
        parent[last] = value
    elif how == "control" and isinstance(parent, dict):
        parent[f"{last}{value}"] = parent.pop(last)  # into the key
    elif how == "control":
        parent[last] = f"{current}{value}"
    elif how == "huge":  # far past every display bound; the 256 KiB file limit has its own fixture
        seed = str(current) if isinstance(current, str | int) and current != "" else "x"
        parent[last] = (seed * (50_000 // len(seed) + 1))[:50_000]
    elif how == "digits":  # the same number in Arabic-Indic digits
        parent[last] = str(current).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def _known(code: str, lang: str) -> bool:
    return catalogue(lang).gettext(code) != code or catalogue(lang).ngettext(code, code, 2) != code


def _assert_reported_well(problems: list[Problem]) -> None:
    for problem in problems:
        location = problem.location
        assert location.file and location.line > 0, problem
        for lang in ("en", "vi"):
            assert _known(problem.code, lang), problem.code
            text = render_problem(problem, lang)
            assert not any(is_unsafe(c) for c in text), text
            assert len(text) < 2_000, problem.code


def _assert_safe_plan(loaded: LoadedManifest) -> None:
    try:
        outcome = plan_tenants(PlanInputs(SITE, [loaded]))
    except ManifestInvalid as invalid:  # unknown class, address pool full: refused, located
        _assert_reported_well(invalid.problems)
        return
    for key, resource in outcome.desired.resources.items():
        if key.startswith("secgroup-rule/"):
            attrs = resource.attrs
            assert attrs["remoteIpPrefix"] or attrs["remoteGroup"], (key, attrs)
            if attrs["protocol"] in ("tcp", "udp"):
                assert attrs["portRangeMin"] is not None, (key, attrs)
    for quota in outcome.quotas.values():
        for native in to_native(quota.values).values():
            assert all(-1 <= v <= SERVICE_MAX for v in native.values()), native


def _check(text: str) -> None:
    documents, stop = parse_documents(text)
    problems = [Problem(_located(i.line, i.col), i.code, i.params) for d in documents for i in d.issues] + [
        Problem(_located(i.line, i.col), i.code, i.params) for i in stop
    ]
    for raw in documents:
        if raw.issues or raw.data is None:
            continue
        document = Document(raw.data, "fuzz.yaml", raw.index, raw.locator)
        manifest, found = validate_document(document, TenantManifest, "Tenant")
        problems += found
        if manifest is not None:
            _assert_safe_plan(LoadedManifest(manifest, "fuzz.yaml", raw.index, document))
    _assert_reported_well(problems)


def _located(line: int, col: int) -> Location:
    return Location("fuzz.yaml", line, col)


@FUZZ
@given(st.data())
def test_mutated_manifests(data: st.DataObject) -> None:
    example = copy.deepcopy(data.draw(st.sampled_from(EXAMPLES)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(example)[1:]))
        how = data.draw(st.sampled_from(["drop", "null", "value", "control", "huge", "digits"]))
        value = data.draw(st.sampled_from(CONTROLS) if how == "control" else values)
        _mutate(example, path, how, value)
    _check(yaml.safe_dump(example, allow_unicode=True))


@FUZZ
@given(st.sampled_from(EXAMPLES))
def test_unmutated_examples_plan(example: dict[str, Any]) -> None:
    _check(yaml.safe_dump(example, allow_unicode=True))


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=":-[]{},&*!|>'\"#%@`~ \n\tabc01\\e", max_size=80))
def test_yaml_punctuation_soup(text: str) -> None:
    _check(text)


def test_whole_file_problems_carry_the_marker(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    (problem,) = read_documents(empty)[1]
    assert problem.location.line == 0
    assert render_problem(problem, "en").startswith(f"{empty}: (whole file): ")
    assert render_problem(problem, "vi").startswith(f"{empty}: (cả tệp): ")
