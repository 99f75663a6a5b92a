"""The TenantManifest model's own rules, and how its errors become located, coded problems."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from berth_core.loader import load_documents, validate_document
from berth_core.manifest import NetworkSpec, SecurityGroupRule, TenantManifest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((ROOT / "tests/fixtures/valid/so-y-te.yaml").read_text(encoding="utf-8"))


def with_change(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = data
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return data


def error_types(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        TenantManifest.model_validate(data)
    return [(e["loc"], e["type"]) for e in caught.value.errors()]


def test_example_round_trips() -> None:
    manifest = TenantManifest.model_validate(EXAMPLE)
    assert manifest.slug == "so-y-te"
    assert manifest.metadata.display_name == "Sở Y tế Hải Phòng"
    assert manifest.spec.security_groups[0].rules[0].ports == "443"  # `ports: 443` is read as text
    assert manifest.spec.security_groups[0].rules[1].port_range == (8000, 8080)
    again = TenantManifest.model_validate(manifest.model_dump(by_alias=True, mode="json"))
    assert again == manifest


def test_quota_values_are_strict_whole_numbers() -> None:
    assert error_types(with_change("spec.quota.overrides.cores", "48")) == [
        (("spec", "quota", "overrides", "cores"), "int_type")
    ]
    assert error_types(with_change("spec.quota.overrides.cores", 4.0)) == [
        (("spec", "quota", "overrides", "cores"), "int_type")
    ]
    assert (
        TenantManifest.model_validate(
            with_change("spec.quota.overrides.cores", -1)
        ).spec.quota.overrides.cores
        == -1
    )


@pytest.mark.parametrize("role", ["admin", "owner", "Member"])
def test_members_cannot_take_other_roles(role: str) -> None:
    assert error_types(with_change("spec.members.0.role", role)) == [
        (("spec", "members", 0, "role"), "literal_error")
    ]


@pytest.mark.parametrize(
    ("ports", "ok"),
    [
        ("1", True),
        ("65535", True),
        ("80-80", True),
        ("0", False),
        ("65536", False),
        ("90-80", False),
        ("a-b", False),
        ("1,2", False),
    ],
)
def test_port_ranges(ports: str, ok: bool) -> None:
    rule = {"direction": "ingress", "protocol": "udp", "ports": ports, "remote": "10.64.0.0/12"}
    if ok:
        assert SecurityGroupRule.model_validate(rule).ports == ports
    else:
        with pytest.raises(ValidationError) as caught:
            SecurityGroupRule.model_validate(rule)
        assert caught.value.errors()[0]["type"] == "rule.ports_range"


def test_network_needs_exactly_one_of_prefix_or_cidr() -> None:
    for spec in ({"name": "a"}, {"name": "a", "prefixLength": 24, "cidr": "10.64.0.0/24"}):
        with pytest.raises(ValidationError) as caught:
            NetworkSpec.model_validate(spec)
        assert caught.value.errors()[0]["type"] == "network.one_of"


def test_cross_item_problems_are_all_reported_each_at_its_path() -> None:
    data = with_change(
        "spec.networks", [{"name": "a", "prefixLength": 24}, {"name": "a", "prefixLength": 25}]
    )
    data["spec"]["flavors"] = ["m1.small", "m1.small"]
    data["spec"]["securityGroups"][0]["rules"][1]["remoteGroup"] = "nope"
    with pytest.raises(ValidationError) as caught:
        TenantManifest.model_validate(data)
    (error,) = caught.value.errors()
    assert error["type"] == "berth.issues"
    assert [(path, code) for path, code, _ in error["ctx"]["issues"]] == [
        (("networks", 1, "name"), "spec.duplicate_name"),
        (("flavors", 1), "spec.duplicate_name"),
        (("securityGroups", 0, "rules", 1, "remoteGroup"), "spec.remote_group_undefined"),
    ]


def test_problems_point_at_the_yaml_nodes(tmp_path: Path) -> None:
    text = (ROOT / "tests/fixtures/valid/so-y-te.yaml").read_text(encoding="utf-8")
    text = text.replace("- {name: db, cidr: 10.64.9.0/25}", "- {name: db, cidr: 10.64.9.0/25, mtu: 9000}")
    text = text.replace("agency: SYT", "agency: 42").replace("role: reader", "role: admin")
    text = text.replace(
        "- {name: app, prefixLength: 24}",
        "- {name: app, prefixLength: 24}\n    - {name: app, prefixLength: 25}",
    )
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    (document,) = load_documents(path)
    manifest, problems = validate_document(document, TenantManifest, "Tenant")
    assert manifest is None
    assert [(p.location.line, p.location.col, p.location.field, p.code, p.params) for p in problems] == [
        (7, 11, "metadata.agency", "type.str", {"got": "42"}),
        (
            15,
            38,
            "spec.networks[2].mtu",
            "field.unknown",
            {"name": "mtu", "allowed": "name, prefixLength, cidr, dnsNameservers, description"},
        ),
        (24, 35, "spec.members[1].role", "member.admin", {}),
    ]


def test_unknown_field_suggests_the_closest_name(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    text = (ROOT / "tests/fixtures/valid/so-y-te.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("securityGroups:", "securityGroup:"), encoding="utf-8")
    (document,) = load_documents(path)
    _, problems = validate_document(document, TenantManifest, "Tenant")
    assert [(p.location.field, p.code, p.params) for p in problems] == [
        (
            "spec.securityGroup",
            "field.unknown.suggest",
            {"name": "securityGroup", "suggestion": "securityGroups"},
        )
    ]
