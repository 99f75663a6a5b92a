"""Types are strict: integers are integers, booleans true/false, ports and CIDRs ASCII text."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from berth_core.loader import load_site
from berth_core.manifest import TenantManifest
from berth_core.site import Site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((ROOT / "tests/fixtures/valid/so-y-te.yaml").read_text(encoding="utf-8"))
SITE = ROOT / "tests/fixtures/site-test/cloud.yml"


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def _refused(model: type[Any], data: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [e["type"] for e in caught.value.errors()]


RULE = ("spec", "securityGroups", 0, "rules", 0)


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ((*RULE, "remote"), 0, "value.network"),  # never 0.0.0.0/32
        ((*RULE, "remote"), 167772160, "value.network"),
        ((*RULE, "remote"), "10.0.0.0/255.0.0.0", "value.network"),  # a netmask is not a prefix length
        ((*RULE, "remote"), "١٠.0.0.0/8", "value.network"),
        ((*RULE, "ports"), "٤٤٣", "rule.ports_range"),  # Arabic-Indic digits
        ((*RULE, "ports"), "४४३", "rule.ports_range"),  # Devanagari digits
        ((*RULE, "ports"), True, "string_type"),
        ((*RULE, "ports"), 443.0, "string_type"),
        (("spec", "networks", 0, "prefixLength"), 24.0, "int_type"),
        (("spec", "networks", 0, "prefixLength"), "24", "int_type"),
        (("spec", "networks", 0, "prefixLength"), True, "int_type"),
        (("spec", "networks", 1, "cidr"), 0, "value.ipv4_network"),
        (("spec", "networks", 1, "cidr"), "::/0", "value.ipv4_network"),
        (("spec", "router", "external"), 1, "bool_type"),
        (("spec", "router", "external"), "on", "bool_type"),
        (("spec", "router", "external"), "Yes", "bool_type"),
        (("spec", "router", "external"), "true", "bool_type"),
        (("spec", "quota", "overrides", "cores"), True, "int_type"),
    ],
)
def test_lax_values_are_refused(path: tuple[Any, ...], value: Any, code: str) -> None:
    types = _refused(TenantManifest, _set(EXAMPLE, path, value))
    assert code in types, types


def test_dns_nameservers_are_address_text() -> None:
    data = _set(EXAMPLE, ("spec", "networks", 0, "dnsNameservers"), [167772161])
    assert _refused(TenantManifest, data) == ["value.ipv4_address"]
    ok = _set(EXAMPLE, ("spec", "networks", 0, "dnsNameservers"), ["10.0.0.1"])
    assert str(TenantManifest.model_validate(ok).spec.networks[0].dns_nameservers[0]) == "10.0.0.1"


def test_a_plain_int_is_still_a_port() -> None:
    manifest = TenantManifest.model_validate(_set(EXAMPLE, (*RULE, "ports"), 443))
    assert manifest.spec.security_groups[0].rules[0].ports == "443"


SITE_DATA = yaml.safe_load(SITE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        (("spec", "flavors", 0, "vcpus"), "2", "int_type"),
        (("spec", "flavors", 0, "vcpus"), 2.0, "int_type"),
        (("spec", "flavors", 0, "public"), 1, "bool_type"),
        (("spec", "addressPools", 0, "cidr"), 0, "value.ipv4_network"),
        (("spec", "addressPools", 0, "defaultPrefixLength"), "24", "int_type"),
        (("spec", "externalNetwork", "cidr"), 3232235520, "value.ipv4_network"),
        (("spec", "capacity"), {"allocationRatios": {"VCPU": "4.0"}}, "float_type"),
        (("spec", "capacity"), {"allocationRatios": {"VCPU": True}}, "float_type"),
        (("spec", "capacity"), {"volumeCapacityGiB": 1.5}, "int_type"),
        (("spec", "quotaClasses", "small", "cores"), "8", "int_type"),
    ],
)
def test_site_files_are_strict_too(path: tuple[Any, ...], value: Any, code: str) -> None:
    assert code in _refused(Site, _set(SITE_DATA, path, value))


def test_fixture_site_loads() -> None:
    assert load_site(SITE).name == "site-test"
