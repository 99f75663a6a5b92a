"""berth_core.loader and safe_yaml: limits, locations, multi-document files, folders, the site file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth_core.errors import ManifestInvalid
from berth_core.loader import (
    MAX_FILE_BYTES,
    load_documents,
    load_manifests,
    load_site,
    parse_field_path,
)
from berth_core.model_errors import format_path
from berth_core.safe_yaml import MAX_ALIASES, MAX_DEPTH, parse_documents

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests/fixtures/valid"


def codes(text: str) -> list[str]:
    documents, stop = parse_documents(text)
    return [i.code for d in documents for i in d.issues] + [i.code for i in stop]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_core_schema_keeps_text_as_text() -> None:
    (doc,), _ = parse_documents(
        "a: NO\nb: yes\nc: 0755\nd: 1.5\ne: ~\nf: '3'\ng: true\nh: 2026-01-01\ni: 0x1F\n"
    )
    assert doc.data == {
        "a": "NO",
        "b": "yes",
        "c": 755,
        "d": 1.5,
        "e": None,
        "f": "3",
        "g": True,
        "h": "2026-01-01",
        "i": 31,
    }


def test_every_value_has_its_position() -> None:
    text = "spec:\n  networks:\n    - name: app\n    - {name: db, cidr: 10.64.9.0/25}\n"
    (doc,), _ = parse_documents(text)
    assert doc.locator.find(("spec", "networks", 1, "cidr"), prefer_key=False) == (4, 24)
    assert doc.locator.find(("spec", "networks", 1, "cidr"), prefer_key=True) == (4, 18)
    assert doc.locator.find(("spec", "networks", 0, "name"), prefer_key=False) == (3, 13)
    # a field that is not written is located at its nearest written ancestor
    assert doc.locator.find(("spec", "networks", 0, "prefixLength"), prefer_key=False) == (3, 7)


def test_depth_limit_is_exact() -> None:
    assert codes("[" * MAX_DEPTH + "]" * MAX_DEPTH) == []
    assert codes("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == ["yaml.too_deep"]


def test_deep_nesting_never_overflows_the_stack() -> None:
    assert codes("[" * 50_000 + "]" * 50_000) == ["yaml.too_deep"]


def test_alias_through_deep_anchor_counts_its_depth() -> None:
    deep = "[" * 20 + "]" * 20
    assert codes(f"a: &d {deep}\nb: [[[[[[[[[[[[[*d]]]]]]]]]]]]]\n") == ["yaml.too_deep"]


def test_alias_count_limit_is_exact() -> None:
    ok = "a: &x 1\nb: [" + ", ".join(["*x"] * MAX_ALIASES) + "]\n"
    assert codes(ok) == []
    too_many = "a: &x 1\nb: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    assert codes(too_many) == ["yaml.too_many_aliases"]


def test_billion_laughs_is_refused_before_expansion() -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    assert codes("\n".join(lines) + "\n") == ["yaml.alias_bomb"]


def test_recursive_alias_is_undefined() -> None:
    assert codes("a: &a [*a]\n") == ["yaml.undefined_alias"]


def test_duplicate_keys_are_all_reported() -> None:
    assert codes("a: 1\nb: 2\na: 3\nb: 4\n") == ["yaml.duplicate_key", "yaml.duplicate_key"]


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!custom", "!!binary", "!!set", "!!timestamp"])
def test_non_standard_tags_are_refused(tag: str) -> None:
    assert codes(f"a: {tag} x\n") == ["yaml.tag_forbidden"]


def test_standard_tags_are_accepted() -> None:
    (doc,), _ = parse_documents("a: !!str 5\nb: !!int '7'\nc: !!float 1\nd: !!map {x: 1}\ne: !!seq [1]\n")
    assert doc.data == {"a": "5", "b": 7, "c": 1.0, "d": {"x": 1}, "e": [1]}
    assert codes("a: !!int seven\n") == ["yaml.bad_scalar"]


def test_complex_keys_are_refused() -> None:
    assert codes("? [a, b]\n: c\n") == ["yaml.complex_key"]


def test_multiple_documents_keep_their_index(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "a: 1\n---\n---\nb: 2\n---\n")
    documents = load_documents(path)
    assert [(d.index, d.data) for d in documents] == [(0, {"a": 1}), (2, {"b": 2})]
    assert documents[1].locate("b").line == 4


def test_size_limit_is_exact(tmp_path: Path) -> None:
    head = "a: 1\n"
    at_limit = write(tmp_path, "ok.yaml", head + "#" * (MAX_FILE_BYTES - len(head) - 1) + "\n")
    assert at_limit.stat().st_size == MAX_FILE_BYTES
    assert load_documents(at_limit)[0].data == {"a": 1}
    over = write(tmp_path, "big.yaml", head + "#" * (MAX_FILE_BYTES - len(head)) + "\n")
    with pytest.raises(ManifestInvalid) as caught:
        load_documents(over)
    assert [p.code for p in caught.value.problems] == ["file.too_large"]


def test_tabs_only_refused_in_indentation(tmp_path: Path) -> None:
    assert load_documents(write(tmp_path, "ok.yaml", "a: 'x\ty'\nb: 1 # \tcomment\n"))[0].data["a"] == "x\ty"
    with pytest.raises(ManifestInvalid) as caught:
        load_documents(write(tmp_path, "bad.yaml", "a:\n  b: 1\n \tc: 2\n"))
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.line, problem.location.col) == ("yaml.tab_indent", 3, 2)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffa: Hải Phòng\n".encode())
    assert load_documents(path)[0].data == {"a": "Hải Phòng"}


def test_load_manifests_walks_folders_sorted_and_locates(tmp_path: Path) -> None:
    loaded = load_manifests([VALID])
    assert [m.manifest.slug for m in loaded] == ["so-gd-dt-web", "so-gd-dt-data", "lgsp", "so-y-te"]
    so_y_te = loaded[-1]
    assert so_y_te.file == str(VALID / "so-y-te.yaml")
    assert so_y_te.document_index == 0
    where = so_y_te.locate("spec.networks[1].cidr")
    assert (where.line, where.col, where.field) == (14, 24, "spec.networks[1].cidr")
    assert loaded[1].document_index == 1


def test_folders_ignore_other_files(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "not yaml: [")
    write(tmp_path, "sub/a.yml", (VALID / "lgsp.yaml").read_text(encoding="utf-8"))
    assert [m.manifest.slug for m in load_manifests([tmp_path])] == ["lgsp"]


def test_all_problems_of_all_files_at_once(tmp_path: Path) -> None:
    good = (VALID / "lgsp.yaml").read_text(encoding="utf-8")
    write(
        tmp_path, "a.yaml", good.replace("agency: STTTT", "agency: x").replace("class: default", "class: 5")
    )
    write(tmp_path, "b.yaml", "a: [\n")
    with pytest.raises(ManifestInvalid) as caught:
        load_manifests([tmp_path, tmp_path / "missing.yaml"])
    found = [(Path(p.location.file).name, p.code) for p in caught.value.problems]
    assert found == [
        ("a.yaml", "value.agency_code"),
        ("a.yaml", "type.str"),
        ("b.yaml", "yaml.syntax.missing_value"),
        ("missing.yaml", "file.not_found"),
    ]


def test_same_slug_in_two_documents_of_one_file(tmp_path: Path) -> None:
    good = (VALID / "lgsp.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, "twice.yaml", good + "---\n" + good)
    with pytest.raises(ManifestInvalid) as caught:
        load_manifests([path])
    (problem,) = caught.value.problems
    assert problem.code == "manifest.duplicate_slug"
    assert problem.params == {"slug": "lgsp", "other": f"{path}:4"}
    assert problem.location.line > 4


def test_a_site_in_the_manifests_is_the_wrong_kind() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        load_manifests([ROOT / "tests/fixtures/site-test/cloud.yml"])
    assert [p.code for p in caught.value.problems] == ["manifest.kind"]


def test_load_site_real_files() -> None:
    assert load_site(ROOT / "inventory/aio/cloud.yml").name == "aio"
    assert load_site(ROOT / "tests/fixtures/site-test/cloud.yml").spec.address_pools[1].name == "tenant-b"


def test_load_site_problems_are_located(tmp_path: Path) -> None:
    text = (ROOT / "tests/fixtures/site-test/cloud.yml").read_text(encoding="utf-8")
    path = write(tmp_path, "cloud.yml", text.replace("cidr: 10.80.0.0/16", "cidr: 10.80.0.0/33"))
    with pytest.raises(ManifestInvalid) as caught:
        load_site(path)
    (problem,) = caught.value.problems
    assert problem.code == "value.ipv4_network"
    assert problem.location.field == "spec.addressPools[1].cidr"
    assert problem.location.line == text.splitlines().index("      cidr: 10.80.0.0/16") + 1
    with pytest.raises(ManifestInvalid) as caught:
        load_site(write(tmp_path, "two.yml", text + "---\n" + text))
    assert [p.code for p in caught.value.problems] == ["site.one_document"]
    with pytest.raises(ManifestInvalid):
        load_site(tmp_path / "absent.yml")


@pytest.mark.parametrize(
    ("old", "new", "code", "field", "line", "vi"),
    [
        (
            "minPrefixLength: 24\n      maxPrefixLength: 26",
            "minPrefixLength: 27\n      maxPrefixLength: 26",
            "site.pool_prefix_order",
            "spec.addressPools[1]",
            19,
            "dải địa chỉ 10.80.0.0/16",
        ),
        (
            "zone: az1, vcpus: 32",
            "zone: az9, vcpus: 32",
            "site.host_zone_unknown",
            "spec.hosts[0].zone",
            33,
            "vùng az9 không thuộc các vùng của site (az1)",
        ),
        (
            "small: {parent: default",
            "small: {parent: tiny",
            "site.quota_parent_unknown",
            "spec.quotaClasses.small.parent",
            30,
            "lớp cha tiny chưa được khai báo",
        ),
        (
            "  hosts:",
            "  defaultQuotaClass: huge\n  hosts:",
            "site.default_quota_class_unknown",
            "spec.defaultQuotaClass",
            32,
            "defaultQuotaClass huge không có",
        ),
        (
            "cidr: 10.80.0.0/16",
            "cidr: 10.64.128.0/17",
            "site.pools_overlap",
            "spec.addressPools[1].cidr",
            20,
            "10.64.0.0/16 và 10.64.128.0/17 chồng lấn",
        ),
        (
            "{name: m1.large, vcpus: 4",
            "{name: m1.small, vcpus: 4",
            "site.flavor_duplicate",
            "spec.flavors[1].name",
            26,
            "flavor m1.small được khai báo nhiều lần",
        ),
    ],
)
def test_site_rule_violations_are_located_and_translated(
    tmp_path: Path, old: str, new: str, code: str, field: str, line: int, vi: str
) -> None:
    from berth_core.i18n import message

    text = (ROOT / "tests/fixtures/site-test/cloud.yml").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(ManifestInvalid) as caught:
        load_site(write(tmp_path, "cloud.yml", text.replace(old, new, 1)))
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.field, problem.location.line) == (code, field, line)
    assert vi in message(problem, "vi")
    assert "{" not in message(problem, "en"), "every placeholder filled"


paths = st.lists(
    st.one_of(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True), st.integers(0, 999)),
    min_size=1,
    max_size=6,
).filter(lambda p: isinstance(p[0], str))


@given(paths)
def test_field_paths_round_trip(path: list[str | int]) -> None:
    assert parse_field_path(format_path(path)) == tuple(path)


def test_folders_skip_hidden_entries_and_files_named_twice_count_once(tmp_path: Path) -> None:
    good = (VALID / "lgsp.yaml").read_text(encoding="utf-8")
    write(tmp_path, ".git/x.yaml", "not: [valid")
    write(tmp_path, ".backup.yaml", "not: [valid")
    path = write(tmp_path, "lgsp.yaml", good)
    assert [m.manifest.slug for m in load_manifests([tmp_path, path, tmp_path / "." / "lgsp.yaml"])] == [
        "lgsp"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a: [b, c\n",
        'a: "b\n',
        "a:\n  - b\n c: d\n",
        "a: @b\n",
        "a: b\nc\n",
        "a: b: c",
        "a: b\n  c: d\n",
        "name: Sở Tài chính\x07 Hải Phòng\n",
        "a: &\n",
        "a: 'b' c\n",
        "a: b\n...\nc\n",
    ],
)
def test_pure_python_parser_reports_the_same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PyYAML built without libyaml must give the same codes and positions (CI could have either)."""
    import yaml

    from berth_core import safe_yaml

    with_libyaml = parse_documents(text)[1]
    monkeypatch.setattr(safe_yaml, "_Parser", yaml.SafeLoader)
    monkeypatch.setattr(safe_yaml, "_C_READER", False)
    assert parse_documents(text)[1] == with_libyaml
    assert with_libyaml[0].code != "yaml.syntax"  # each is one of the named, translated syntax errors
