"""Desired state: stable keys, complete attributes, ownership tags, dependencies."""

from __future__ import annotations

from ipaddress import IPv4Network

from berth_core.desired import TenantInput, build_desired
from berth_core.manifest import QuotaRequest
from berth_core.quota import resolve_quota
from berth_core.quota_fields import QUOTA_FIELD_NAMES
from tests.fixtures.plan.builders import manifest, site

SITE = site()
WEB_RULE = {"direction": "ingress", "protocol": "tcp", "ports": "443", "remote": "0.0.0.0/0"}


def so_y_te(**spec: object):  # type: ignore[no-untyped-def]
    defaults: dict[str, object] = {
        "networks": [{"name": "app", "prefixLength": 24}],
        "router": {"external": True},
        "securityGroups": [
            {"name": "web", "rules": [WEB_RULE]},
            {"name": "db", "rules": [{"direction": "ingress", "ports": "5432", "remoteGroup": "web"}]},
        ],
        "members": [{"user": "nguyen.van.an", "role": "member"}, {"group": "syt-auditors", "role": "reader"}],
        "flavors": ["m1.small", "db.large"],
    }
    m = manifest("so-y-te", **{**defaults, **spec})
    quota = resolve_quota(QuotaRequest.model_validate({"class": "small"}), SITE)
    cidrs = {n.name: IPv4Network("10.64.1.0/24") for n in m.spec.networks}
    return build_desired(SITE, [TenantInput(m, quota, cidrs)])


def test_keys_are_stable_and_readable() -> None:
    keys = set(so_y_te().resources)
    assert {
        "project/so-y-te",
        "quota/so-y-te",
        "network/so-y-te/app",
        "subnet/so-y-te/app",
        "router/so-y-te",
        "router-interface/so-y-te/app",
        "secgroup/so-y-te/web",
        "secgroup/so-y-te/db",
        "role-assignment/so-y-te/user:nguyen.van.an/member",
        "role-assignment/so-y-te/group:syt-auditors/reader",
        "flavor-access/so-y-te/db.large",
    } <= keys
    rules = [k for k in keys if k.startswith("secgroup-rule/so-y-te/web/")]
    assert len(rules) == 1 and len(rules[0].rsplit("/", 1)[1]) == 12
    assert "flavor-access/so-y-te/m1.small" not in keys  # public: nothing to grant
    assert so_y_te() == so_y_te()


def test_quota_carries_every_field() -> None:
    values = so_y_te().resources["quota/so-y-te"].attrs["values"]
    assert list(values) == list(QUOTA_FIELD_NAMES)


def test_subnet_attributes_are_complete() -> None:
    subnet = so_y_te().resources["subnet/so-y-te/app"]
    assert subnet.attrs["cidr"] == "10.64.1.0/24"
    assert subnet.attrs["gatewayIp"] == "10.64.1.1"
    assert subnet.attrs["allocationPools"] == [{"start": "10.64.1.2", "end": "10.64.1.254"}]
    assert subnet.attrs["subnetPool"] == "tenant-a"
    assert subnet.depends_on == ("network/so-y-te/app",)


def test_everything_taggable_is_tagged_with_its_owner() -> None:
    state = so_y_te()
    for kind in ("network", "subnet", "router", "secgroup"):
        tagged = [r for r in state.resources.values() if r.kind == kind]
        assert tagged
        for r in tagged:
            assert r.attrs["tags"] == ["berth:managed", "berth:tenant=so-y-te"]
    # the project also names its agency: the tag both engines can write (Pulumi has no extra attributes)
    project = state.resources["project/so-y-te"]
    assert project.attrs["tags"] == ["berth:agency=SYT", "berth:managed", "berth:tenant=so-y-te"]
    assert state.tenants == ("so-y-te",)


def test_router_without_external_access_has_no_gateway() -> None:
    router = so_y_te(router={"external": False}).resources["router/so-y-te"]
    assert router.attrs["externalNetwork"] is None
    assert router.attrs["enableSnat"] is False
    assert "router/so-y-te" not in so_y_te(router=None).resources


def test_rule_key_changes_with_the_rule_but_not_with_its_description() -> None:
    def rule_keys(rule: dict[str, object]) -> list[str]:
        state = so_y_te(securityGroups=[{"name": "web", "rules": [rule]}])
        return [k for k in state.resources if k.startswith("secgroup-rule/")]

    base = rule_keys(WEB_RULE)
    assert rule_keys({**WEB_RULE, "description": "HTTPS"}) == base
    assert rule_keys({**WEB_RULE, "ports": "8443"}) != base


def test_remote_group_rule_depends_on_both_groups() -> None:
    state = so_y_te()
    rule = next(r for k, r in state.resources.items() if k.startswith("secgroup-rule/so-y-te/db/"))
    assert rule.attrs["remoteGroup"] == "secgroup/so-y-te/web"
    assert set(rule.depends_on) == {"secgroup/so-y-te/db", "secgroup/so-y-te/web"}
    assert rule.attrs["portRangeMin"] == rule.attrs["portRangeMax"] == 5432


def test_role_names_come_from_the_site() -> None:
    state = so_y_te()
    assert state.resources["role-assignment/so-y-te/group:syt-auditors/reader"].attrs["role"] == "reader"
