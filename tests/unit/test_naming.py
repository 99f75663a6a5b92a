"""berth_core.naming: slugs, suggested slugs for Vietnamese names, display names stored NFC."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from berth_core.naming import SLUG_RE, check_display_name, check_slug, suggest_slug


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Sở Y tế Hải Phòng", "so-y-te-hai-phong"),
        ("Sở Giáo dục và Đào tạo", "so-giao-duc-va-dao-tao"),
        ("ĐẠI HỌC Hàng Hải", "dai-hoc-hang-hai"),
        ("Cổng dữ liệu mở — Open Data", "cong-du-lieu-mo-open-data"),
        ("Nền tảng LGSP", "nen-tang-lgsp"),
        ("Ủy ban nhân dân quận Ngô Quyền", "uy-ban-nhan-dan-quan-ngo-quyen"),
        ("A", ""),  # too short to be a slug: no suggestion rather than a wrong one
        ("—", ""),
    ],
)
def test_suggest_slug_for_vietnamese_names(name: str, slug: str) -> None:
    assert suggest_slug(name) == slug


@given(st.text(max_size=120))
def test_suggest_slug_is_a_valid_slug_or_empty(text: str) -> None:
    slug = suggest_slug(text)
    assert slug == "" or SLUG_RE.match(slug)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=3, max_size=40))
def test_valid_slugs_suggest_themselves(text: str) -> None:
    if SLUG_RE.match(text):
        assert check_slug(text) == text
        # a suggestion never has "--" (runs of separators collapse), otherwise it is the slug itself
        assert suggest_slug(text) == (text if "--" not in text else suggest_slug(text.replace("--", "-")))


@given(st.text(max_size=80))
def test_suggest_slug_is_idempotent(text: str) -> None:
    slug = suggest_slug(text)
    assert suggest_slug(slug) == slug


def test_slug_errors_carry_a_suggestion_when_one_exists() -> None:
    with pytest.raises(PydanticCustomError) as caught:
        check_slug("Sở-Tài-Chính")
    assert caught.value.type == "slug.invalid.suggest"
    assert caught.value.context == {"value": "Sở-Tài-Chính", "suggestion": "so-tai-chinh"}
    with pytest.raises(PydanticCustomError) as caught:
        check_slug("ab")
    assert caught.value.type == "slug.invalid"
    with pytest.raises(ValueError, match="slug"):  # still a ValueError for callers outside pydantic
        check_slug("-abc")
    with pytest.raises(ValueError):
        check_slug("a" * 41)


vietnamese = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ĐƠƯ",
    min_size=1,
    max_size=100,
)


@given(vietnamese)
def test_display_names_are_stored_nfc_whatever_the_editor_wrote(name: str) -> None:
    if not name.strip():
        return
    decomposed = unicodedata.normalize("NFD", name)
    stored = check_display_name(decomposed)
    assert stored == unicodedata.normalize("NFC", name).strip()
    assert check_display_name(stored) == stored  # idempotent


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\ufeff", "\u202e", "\x00", "\x1b", "\n", "\ue000"])
def test_invisible_and_control_characters_are_refused(char: str) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        check_display_name(f"Sở{char}Y tế")
    assert caught.value.type == "name.invisible"
    assert caught.value.context == {"chars": f"U+{ord(char):04X}"}


def test_display_name_length() -> None:
    assert check_display_name("Ở" * 128) == "Ở" * 128
    for bad in ("", "   ", "Ở" * 129):
        with pytest.raises(PydanticCustomError) as caught:
            check_display_name(bad)
        assert caught.value.type == "name.length"
