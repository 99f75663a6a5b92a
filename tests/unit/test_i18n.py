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


def _codes_in_source() -> set[str]:
    """Catalogue codes passed to Problem, YamlIssue, PydanticCustomError, translate and friends in our code."""
    codes: set[str] = set()
    for path in [*CORE.rglob("*.py"), *CLI.rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            position = {
                "Problem": 1,
                "YamlIssue": 2,
                "PydanticCustomError": 0,
                "translate": 0,
                "_file_problem": 1,
            }
            index = position.get(name)
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                codes.add(arg.value)
    return codes


def test_every_code_used_in_the_source_has_a_message() -> None:
    from berth_core import model_errors

    used = _codes_in_source()
    used |= set(model_errors._SIMPLE.values()) | {code for code, _ in model_errors._LIMITS.values()}
    used |= set(model_errors._PATTERNS.values())
    used |= {
        "field.unknown",
        "field.unknown.suggest",
        "value.choice",
        "value.pattern",
        "value.invalid",
        "member.admin",
    }
    used |= {"quota.negative", "spec.duplicate_name", "spec.remote_group_undefined"}
    used -= {"berth.issues"}  # a carrier of several problems, never shown itself
    missing = sorted(used - set(entries("en")))
    assert missing == []
    assert len(used) > 60


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
