"""berth_core.i18n: the catalogue is complete in both languages, compiled, and renders problems exactly."""

from __future__ import annotations

import ast
import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from berth_core.errors import Location, Problem
from berth_core.i18n import render_problem, translate

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core/src/berth_core"
LOCALE = CORE / "locale"
CLI = ROOT / "cli/src/berth_cli"
VIETNAMESE_LETTERS = re.compile(
    r"[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.I
)


def catalogue(lang: str):
    with (LOCALE / lang / "LC_MESSAGES/berth.po").open("rb") as stream:
        return read_po(stream, locale=lang)


def entries(lang: str) -> dict[str, list[str]]:
    """msgid -> its translated forms (one, or one per plural form)."""
    found = {}
    for message in catalogue(lang):
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        forms = list(message.string) if isinstance(message.string, tuple) else [message.string]
        found[msgid] = forms
    return found


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_compiled_catalogue_matches_its_source(lang: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(lang))
    shipped = (LOCALE / lang / "LC_MESSAGES/berth.mo").read_bytes()
    assert compiled.getvalue() == shipped, (
        f"{lang}/berth.mo is out of date: uv run pybabel compile -d core/src/berth_core/locale -D berth"
    )


def test_both_languages_have_the_same_messages_and_placeholders() -> None:
    english, vietnamese = entries("en"), entries("vi")
    assert english.keys() == vietnamese.keys()
    fields = string.Formatter()
    for msgid, forms in english.items():
        assert all(forms), f"empty English text for {msgid}"
        assert all(vietnamese[msgid]), f"empty Vietnamese text for {msgid}"
        placeholders = {name for form in forms for _, name, _, _ in fields.parse(form) if name}
        vi_placeholders = {name for form in vietnamese[msgid] for _, name, _, _ in fields.parse(form) if name}
        assert placeholders == vi_placeholders, msgid


def test_vietnamese_is_real_vietnamese() -> None:
    vietnamese = entries("vi")
    english = entries("en")
    # every sentence is translated, and written with its diacritics
    for msgid, forms in vietnamese.items():
        assert forms != english[msgid], f"{msgid} is not translated"
        assert VIETNAMESE_LETTERS.search(forms[0]), f"{msgid} has no Vietnamese letters: {forms[0]!r}"


CODE = re.compile(r"^[a-z]+(?:\.[a-z0-9_]+)+$")
FILE_NAME = re.compile(r"\.(?:json|ya?ml|txt|py|log|pid)$")
SOURCES = [ROOT / f"{pkg}/src/berth_{pkg}" for pkg in ("core", "cloud", "exporters", "cli")]
NOT_MESSAGES = {"berth.issues"}  # pydantic's carrier of several problems, never shown itself


def _code_shaped_strings() -> set[str]:
    """Every string constant in berth's source shaped like a catalogue code, in a namespace the catalogue
    uses (`value.min`, `plan.rule.ingress`): found wherever it stands (a call, a table, a return), so no
    list of "codes used elsewhere" is kept by hand."""
    namespaces = {msgid.split(".", 1)[0] for msgid in entries("en") if "." in msgid}
    fields = _field_names()
    found: set[str] = set()
    for path in (p for source in SOURCES for p in source.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value)
            ):
                continue
            text = node.value
            parts = text.split(".")
            if parts[0] in namespaces and not FILE_NAME.search(text) and not set(parts) <= fields:
                found.add(text)
    return found


def _field_names() -> set[str]:
    """Every field name a manifest or a site file can hold: `spec.quota.class` is a path, not a code."""
    import typing

    from pydantic import BaseModel

    from berth_core.manifest import TenantManifest
    from berth_core.site import Site

    names: set[str] = set()
    todo: list[type[BaseModel]] = [TenantManifest, Site]
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            stack = [info.annotation]
            while stack:
                annotation = stack.pop()
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    todo.append(annotation)
                stack.extend(typing.get_args(annotation))
    return names


def test_every_code_in_the_source_has_a_message_and_every_message_is_used() -> None:
    in_source = _code_shaped_strings() - NOT_MESSAGES
    catalogue_ids = {msgid for msgid in entries("en") if "." in msgid}
    assert sorted(in_source - catalogue_ids) == [], "codes without a message"
    assert sorted(catalogue_ids - in_source) == [], "messages no code names (dead or built from parts)"


def test_the_scan_sees_codes_wherever_they_stand(tmp_path) -> None:
    """The finder must see a code returned from a table and one passed to a call (it can fail)."""
    source = "def f():\n    return ('value.made_up', {})\nTABLE = {'x': 'site.also_made_up'}\n"
    codes = {
        n.value
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and CODE.match(n.value)
    }
    assert codes == {"value.made_up", "site.also_made_up"}


def test_render_problem_exact_form() -> None:
    problem = Problem(
        Location("manifests/so-y-te.yaml", 14, 23, "spec.networks[1].cidr"),
        "network.host_bits",
        {"got": "10.64.9.7/25", "network": "10.64.9.0/25"},
    )
    assert render_problem(problem, "en") == (
        "manifests/so-y-te.yaml:14:23: spec.networks[1].cidr: "
        "'10.64.9.7/25' has host bits set; its network address is 10.64.9.0/25"
    )
    assert render_problem(problem, "vi") == (
        "manifests/so-y-te.yaml:14:23: spec.networks[1].cidr: "
        "'10.64.9.7/25' có phần địa chỉ máy khác 0; địa chỉ mạng đúng là 10.64.9.0/25"
    )
    whole_file = Problem(Location("a.yaml"), "file.empty")
    # a problem of the whole file still says where it is (README: every problem is located)
    assert render_problem(whole_file, "en") == (
        "a.yaml: (whole file): the file is empty; it must hold at least one manifest"
    )
    assert render_problem(whole_file, "vi") == (
        "a.yaml: (cả tệp): tệp trống; tệp phải chứa ít nhất một manifest"
    )


def test_plurals() -> None:
    assert translate("summary.invalid", "en", count=1) == "1 problem found"
    assert translate("summary.invalid", "en", count=2) == "2 problems found"
    assert translate("summary.invalid", "vi", count=1) == "Phát hiện 1 lỗi"
    assert translate("summary.invalid", "vi", count=7) == "Phát hiện 7 lỗi"


def test_unknown_language_falls_back_to_english_and_missing_placeholders_stay_visible() -> None:
    assert translate("field.missing", "fr") == "required field is missing"
    assert translate("value.min", "en", limit=3) == "must be at least 3, got {got}"
    assert translate("no.such.code", "vi") == "no.such.code"


def test_vietnamese_round_trips_in_params() -> None:
    text = translate("site.quota_class_unknown", "vi", name="lớn", site="hải-phòng", known="nhỏ, vừa")
    assert text == "lớp hạn mức 'lớn' không có trong site hải-phòng; hãy chọn một trong: nhỏ, vừa"
