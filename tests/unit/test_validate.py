"""berth_core.validate: manifests against the site (quota classes, flavors, pools, overlaps)."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from berth_core.loader import Document, LoadedManifest, load_manifests, load_site
from berth_core.manifest import TenantManifest
from berth_core.safe_yaml import Locator
from berth_core.validate import check_against_site, validate_paths

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests/fixtures/valid"
SITE_FILE = ROOT / "tests/fixtures/site-test/cloud.yml"
SITE = load_site(SITE_FILE)

MANIFEST = """apiVersion: berth/v1
kind: Tenant
metadata:
  name: {slug}
  displayName: Thử nghiệm {slug}
  agency: STTTT
  contact: {{name: Người thử, email: test@haiphong.gov.vn}}
spec:
  quota: {{class: {quota}}}
  networks:
{networks}
  flavors: [{flavors}]
"""


def manifest(
    tmp_path: Path, slug: str, networks: list[str], quota: str = "small", flavors: str = "m1.small"
) -> Path:
    body = "\n".join(f"    - {n}" for n in networks) or "    []"
    path = tmp_path / f"{slug}.yaml"
    text = MANIFEST.format(slug=slug, quota=quota, flavors=flavors, networks=body)
    path.write_text(text.replace("  networks:\n    []\n", ""), encoding="utf-8")
    return path


def problems(*paths: Path) -> list[tuple[str, str, int, str]]:
    found = check_against_site(load_manifests(paths), SITE)
    return [(Path(p.location.file).stem, p.location.field, p.location.line, p.code) for p in found]


def test_valid_examples_fit_the_site() -> None:
    assert check_against_site(load_manifests([VALID]), SITE) == []


def test_unknown_quota_class_and_flavors(tmp_path: Path) -> None:
    path = manifest(tmp_path, "so-a", [], quota="xl", flavors="m1.small, gpu.a100, db.large, x1")
    assert problems(path) == [
        ("so-a", "spec.quota.class", 9, "site.quota_class_unknown"),
        ("so-a", "spec.flavors[1]", 10, "site.flavor_unknown"),
        ("so-a", "spec.flavors[3]", 10, "site.flavor_unknown"),
    ]


def test_private_flavors_are_allowed(tmp_path: Path) -> None:
    assert problems(manifest(tmp_path, "so-a", [], flavors="db.large")) == []


def test_cidr_must_sit_in_a_pool_within_its_limits(tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        "so-a",
        [
            "{name: a, cidr: 10.64.4.0/22}",  # /22: tenant-a allows /22../28
            "{name: b, cidr: 10.64.8.0/28}",
            "{name: c, cidr: 10.80.0.0/23}",  # tenant-b allows /24../26 only
            "{name: d, cidr: 172.16.0.0/24}",
            "{name: e, cidr: 10.64.0.0/21}",
            "{name: f, cidr: 10.63.255.0/24}",
        ],
    )
    assert [(f, c) for _, f, _, c in problems(path)] == [
        ("spec.networks[2].cidr", "site.prefix_outside_pool_limits"),
        ("spec.networks[3].cidr", "site.cidr_outside_pool"),
        ("spec.networks[4].cidr", "site.prefix_outside_pool_limits"),
        ("spec.networks[5].cidr", "site.cidr_outside_pool"),
    ]


def test_prefix_length_must_be_served_by_some_pool(tmp_path: Path) -> None:
    path = manifest(tmp_path, "so-a", ["{name: a, prefixLength: 22}", "{name: b, prefixLength: 29}"])
    assert [(f, c) for _, f, _, c in problems(path)] == [
        ("spec.networks[1].prefixLength", "site.prefix_length_unavailable")
    ]


def test_external_network_overlap_is_named_as_such(tmp_path: Path) -> None:
    external = SITE.spec.external_network.model_copy(update={"cidr": IPv4Network("10.64.200.0/24")})
    site = SITE.model_copy(update={"spec": SITE.spec.model_copy(update={"external_network": external})})
    loaded = load_manifests([manifest(tmp_path, "so-a", ["{name: a, cidr: 10.64.200.128/25}"])])
    (problem,) = check_against_site(loaded, site)
    assert problem.code == "site.external_overlap"
    assert problem.params == {"cidr": "10.64.200.128/25", "name": "public", "external": "10.64.200.0/24"}


def test_overlaps_within_and_across_manifests_reported_at_the_later_one(tmp_path: Path) -> None:
    first = manifest(tmp_path, "so-a", ["{name: a, cidr: 10.64.8.0/24}", "{name: b, cidr: 10.64.8.128/25}"])
    second = manifest(tmp_path, "so-b", ["{name: c, cidr: 10.64.8.0/26}", "{name: d, cidr: 10.64.9.0/24}"])
    found = check_against_site(load_manifests([first, second]), SITE)
    assert [
        (Path(p.location.file).stem, p.location.field, p.params["other"], p.params["tenant"]) for p in found
    ] == [
        ("so-a", "spec.networks[1].cidr", "10.64.8.0/24", "so-a"),
        ("so-b", "spec.networks[0].cidr", "10.64.8.0/24", "so-a"),
    ]  # 10.64.8.0/26 and 10.64.8.128/25 share the /24 but not a single address
    assert all(p.code == "site.cidr_overlap" for p in found)


def test_adjacent_cidrs_do_not_overlap(tmp_path: Path) -> None:
    path = manifest(tmp_path, "so-a", [f"{{name: n{i}, cidr: 10.64.{i}.0/24}}" for i in range(8)])
    assert problems(path) == []


def test_validate_paths_adds_site_problems_and_counts_them_per_file(tmp_path: Path) -> None:
    path = manifest(tmp_path, "so-a", [], quota="xl")
    report = validate_paths([path, VALID], SITE_FILE)
    assert [p.code for p in report.problems] == ["site.quota_class_unknown"]
    assert [(Path(f.file).name, f.valid) for f in report.files][:1] == [("so-a.yaml", False)]
    assert all(f.valid for f in report.files[1:])


def test_validate_paths_reports_an_invalid_site(tmp_path: Path) -> None:
    bad_site = tmp_path / "cloud.yml"
    bad_site.write_text(
        SITE_FILE.read_text(encoding="utf-8").replace("kind: Site", "kind: Sites"), encoding="utf-8"
    )
    report = validate_paths([VALID], bad_site)
    assert [(p.location.file, p.code) for p in report.problems] == [(str(bad_site), "manifest.kind")]


prefixes = st.lists(st.tuples(st.integers(22, 28), st.integers(0, 2**16 - 1)), min_size=0, max_size=12).map(
    lambda items: [IPv4Network((0x0A400000 + (o >> (32 - p) << (32 - p)), p)) for p, o in items]
)


@settings(max_examples=200, deadline=None)
@given(prefixes)
def test_every_overlapping_pair_is_reported_once(cidrs: list[IPv4Network]) -> None:
    data = yaml.safe_load(MANIFEST.format(slug="so-a", quota="small", flavors="m1.small", networks=""))
    data["spec"]["networks"] = [{"name": f"n{i}", "cidr": str(c)} for i, c in enumerate(cidrs)]
    loaded = LoadedManifest(
        TenantManifest.model_validate(data), "mem.yaml", 0, Document(data, "mem.yaml", 0, Locator())
    )
    reported = sorted((p.params["other"], p.params["cidr"]) for p in check_against_site([loaded], SITE))
    expected = sorted(
        (str(cidrs[i]), str(cidrs[j]))
        for j in range(len(cidrs))
        for i in range(j)
        if cidrs[i].overlaps(cidrs[j])
    )
    assert reported == expected
