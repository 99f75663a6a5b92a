"""Untrusted input never crashes validation, and every problem it yields has a message in both languages."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berth_core.i18n import catalogue
from berth_core.loader import Document, validate_document
from berth_core.manifest import TenantManifest
from berth_core.safe_yaml import parse_documents

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((ROOT / "tests/fixtures/valid/so-y-te.yaml").read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(EXAMPLE)[1:]


def _known(code: str, lang: str) -> bool:
    return catalogue(lang).gettext(code) != code or catalogue(lang).ngettext(code, code, 2) != code


def _check(text: str) -> None:
    documents, stop = parse_documents(text)
    problems = [i.code for d in documents for i in d.issues] + [i.code for i in stop]
    for raw in documents:
        if raw.issues or raw.data is None:
            continue
        _, found = validate_document(
            Document(raw.data, "fuzz.yaml", raw.index, raw.locator), TenantManifest, "Tenant"
        )
        problems += [p.code for p in found]
    for code in problems:
        assert _known(code, "en") and _known(code, "vi"), code


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), values)
def test_any_value_anywhere_in_a_manifest(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(EXAMPLE)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    _check(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text(text: str) -> None:
    _check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=":-[]{},&*!|>'\"#%@` \n\tabc01", max_size=80))
def test_yaml_punctuation_soup(text: str) -> None:
    _check(text)
