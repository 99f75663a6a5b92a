"""berth_core.ownership: the one answer to "is this berth's, and whose?", and resource keys."""

from __future__ import annotations

import pytest

from berth_core.ownership import (
    MANAGED_TAG,
    agency_from_tags,
    agency_tag,
    is_managed,
    owned_by,
    parse_key,
    project_tenant,
    tenant_from_tags,
    tenant_tag,
)


def test_a_resource_is_a_tenants_only_with_both_tags() -> None:
    assert owned_by([MANAGED_TAG, tenant_tag("so-y-te")], "so-y-te")
    assert not owned_by([tenant_tag("so-y-te")], "so-y-te")  # a copied tenant tag claims nothing
    assert not owned_by([MANAGED_TAG, tenant_tag("so-y-te")], "so-tai-chinh")
    assert tenant_from_tags([tenant_tag("so-y-te")]) is None
    assert tenant_from_tags(["x", MANAGED_TAG, tenant_tag("so-y-te")]) == "so-y-te"


def test_a_project_is_a_tenant_when_managed_named_by_its_tag_or_its_name() -> None:
    assert project_tenant("so-y-te", [MANAGED_TAG, tenant_tag("so-y-te")]) == "so-y-te"
    assert project_tenant("so-y-te", [MANAGED_TAG]) == "so-y-te"
    assert project_tenant("so-y-te", [tenant_tag("so-y-te")]) is None
    assert project_tenant("admin", []) is None
    assert is_managed(iter([MANAGED_TAG])) and not is_managed(["berth:managedx"])


def test_agency_round_trips_through_its_tag() -> None:
    assert agency_from_tags([MANAGED_TAG, agency_tag("SYT")]) == "SYT"
    assert agency_from_tags([MANAGED_TAG]) is None


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("subnet/so-y-te/app", ("subnet", "so-y-te", "app")),
        ("project/so-y-te", ("project", "so-y-te", "")),
        ("secgroup-rule/so-y-te/web/0123abcd", ("secgroup-rule", "so-y-te", "web/0123abcd")),
        ("quota-class/default", ("quota-class", "default", "")),
    ],
)
def test_keys_parse_into_kind_owner_and_name(key: str, parts: tuple[str, str, str]) -> None:
    parsed = parse_key(key)
    assert (parsed.kind, parsed.owner, parsed.name) == parts
    assert str(parsed) == key


@pytest.mark.parametrize("bad", ["", "subnet", "subnet/", "/so-y-te"])
def test_a_key_needs_a_kind_and_an_owner(bad: str) -> None:
    with pytest.raises(ValueError, match="not a resource key"):
        parse_key(bad)
