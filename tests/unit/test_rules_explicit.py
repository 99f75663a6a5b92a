"""Security-group rules name their source and ports; null is never a value; the plan shows rules in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from berth_core.desired import rule_identity, rule_key
from berth_core.loader import check_manifests
from berth_core.manifest import SecurityGroupRule
from berth_core.rule_text import is_world_open, rule_words

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "tests/fixtures/valid/lgsp.yaml").read_text(encoding="utf-8")
RULE = '        - {direction: ingress, protocol: tcp, ports: "443", remote: 10.64.0.0/16}'


def _codes(rule: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        SecurityGroupRule.model_validate(rule)
    (error,) = caught.value.errors()
    if error["type"] == "berth.issues":
        return [(tuple(path), code) for path, code, _ in error["ctx"]["issues"]]
    return [((), error["type"])]


def test_a_rule_must_name_its_source() -> None:
    assert _codes({"direction": "ingress", "protocol": "icmp"}) == [((), "rule.source_missing")]
    assert _codes({"direction": "egress", "protocol": "any"}) == [((), "rule.source_missing")]
    both = {"direction": "ingress", "protocol": "icmp", "remote": "0.0.0.0/0", "remoteGroup": "web"}
    assert _codes(both) == [(("remoteGroup",), "rule.remote_one_of")]


def test_tcp_and_udp_rules_must_name_their_ports() -> None:
    for protocol in ("tcp", "udp"):
        rule = {"direction": "ingress", "protocol": protocol, "remote": "10.0.0.0/8"}
        assert _codes(rule) == [(("ports",), "rule.ports_missing")]
    assert _codes({"direction": "ingress", "remote": "10.0.0.0/8"}) == [(("ports",), "rule.ports_missing")]
    every = SecurityGroupRule.model_validate({**rule, "ports": "1-65535"})
    assert every.port_range == (1, 65535)


def _check(tmp_path: Path, rule_line: str) -> list[tuple[int, str, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(BASE.replace(RULE, rule_line), encoding="utf-8")
    report = check_manifests([path])
    return [(p.location.line, p.location.field, p.code) for p in report.problems]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("{direction: ingress, protocol: tcp, ports: '443', remote: null}", "remote"),
        ("{direction: ingress, protocol: tcp, ports: '443', remoteGroup: ~}", "remoteGroup"),
        ("{direction: ingress, protocol: tcp, ports: '443', remote: }", "remote"),
        ("{direction: ingress, protocol: tcp, ports: ~, remote: 10.64.0.0/16}", "ports"),
        (
            "{direction: ingress, protocol: tcp, ports: '443', remote: 10.64.0.0/16, description: null}",
            "description",
        ),
    ],
)
def test_null_is_refused_on_its_own_located_at_its_key(tmp_path: Path, rule: str, field: str) -> None:
    assert _check(tmp_path, f"        - {rule}") == [
        (14, f"spec.securityGroups[0].rules[0].{field}", "value.null")
    ]


def test_every_null_of_a_document_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    text = BASE.replace(RULE, "        - {direction: ingress, protocol: tcp, ports: '443', remote: ~}")
    path.write_text(text.replace("agency: STTTT", "agency:"), encoding="utf-8")
    found = [(p.location.field, p.code) for p in check_manifests([path]).problems]
    assert found == [
        ("metadata.agency", "value.null"),
        ("spec.securityGroups[0].rules[0].remote", "value.null"),
    ]


def test_ipv4_rule_identity_is_unchanged_so_applied_clouds_see_no_difference() -> None:
    rule = SecurityGroupRule.model_validate(
        {"direction": "ingress", "protocol": "tcp", "ports": "443", "remote": "10.64.0.0/12"}
    )
    identity = rule_identity(rule, "so-y-te", "web")
    assert identity == {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "portRangeMin": 443,
        "portRangeMax": 443,
        "remoteIpPrefix": "10.64.0.0/12",
        "remoteGroup": None,
        "secgroup": "secgroup/so-y-te/web",
    }
    assert rule_key("so-y-te", "web", identity) == rule_key("so-y-te", "web", dict(identity))


def test_ipv6_remote_gives_an_ipv6_rule() -> None:
    rule = SecurityGroupRule.model_validate({"direction": "ingress", "protocol": "icmp", "remote": "::/0"})
    identity = rule_identity(rule, "t", "g")
    assert identity["ethertype"] == "IPv6" and identity["remoteIpPrefix"] == "::/0"
    assert identity["protocol"] == "ipv6-icmp"
    with pytest.raises(ValidationError):
        SecurityGroupRule.model_validate(
            {"direction": "ingress", "protocol": "icmp", "remote": "2001:db8::1/32"}
        )


@pytest.mark.parametrize(
    ("rule", "en", "vi"),
    [
        (
            {"direction": "ingress", "protocol": "tcp", "ports": "443", "remote": "10.64.0.0/12"},
            "ingress tcp 443 from 10.64.0.0/12",
            "chiều vào tcp 443 từ 10.64.0.0/12",
        ),
        (
            {"direction": "ingress", "protocol": "tcp", "ports": "5432", "remoteGroup": "web"},
            "ingress tcp 5432 from group web",
            "chiều vào tcp 5432 từ nhóm web",
        ),
        (
            {"direction": "egress", "protocol": "any", "remote": "0.0.0.0/0"},
            "egress any to 0.0.0.0/0 (open to the Internet)",
            "chiều ra mọi giao thức tới 0.0.0.0/0 (mở ra toàn bộ Internet)",
        ),
        (
            {"direction": "ingress", "protocol": "udp", "ports": "8000-8080", "remote": "::/0"},
            "ingress udp 8000-8080 from ::/0 (open to the Internet)",
            "chiều vào udp 8000-8080 từ ::/0 (mở ra toàn bộ Internet)",
        ),
    ],
)
def test_rules_in_words(rule: dict[str, Any], en: str, vi: str) -> None:
    attrs = rule_identity(SecurityGroupRule.model_validate(rule), "t", "db")
    assert rule_words(attrs, "en") == en
    assert rule_words(attrs, "vi") == vi


def test_a_rule_the_cloud_holds_without_source_reads_as_open_to_all() -> None:
    observed = {"direction": "ingress", "protocol": "tcp", "portRangeMin": 22, "portRangeMax": 22}
    assert is_world_open(observed)
    assert rule_words(observed, "en") == "ingress tcp 22 from 0.0.0.0/0 (open to the Internet)"
