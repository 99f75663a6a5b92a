"""berth_core.sanity and berth_core.review: pure checks and classification, each case able to fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from berth_core.admission import Commitment, admit
from berth_core.audit import AuditEntry, next_record
from berth_core.capacity import snapshot_from_site
from berth_core.errors import Location
from berth_core.loader import load_site
from berth_core.manifest import QuotaRequest, TenantManifest
from berth_core.quota import resolve_quota
from berth_core.review import ReviewRules, TenantSide, classify, quota_change_times
from berth_core.review_policy import ReviewPolicy
from berth_core.sanity import sanity_findings

SITE = load_site(Path(__file__).resolve().parents[2] / "inventory" / "aio" / "cloud.yml")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def manifest(**spec: Any) -> TenantManifest:
    data: dict[str, Any] = {
        "apiVersion": "berth/v1",
        "kind": "Tenant",
        "metadata": {
            "name": spec.pop("slug", "so-y-te"),
            "displayName": "Sở Y tế",
            "agency": spec.pop("agency", "SYT"),
            "contact": {"name": "An", "email": "it@syt.haiphong.gov.vn"},
        },
        "spec": {"quota": {"class": "small"}, **spec},
    }
    return TenantManifest.model_validate(data)


def side(m: TenantManifest) -> TenantSide:
    return TenantSide(m, resolve_quota(m.spec.quota, SITE).as_dict(), "x.yaml")


def class_values() -> dict[str, dict[str, int]]:
    return {
        name: resolve_quota(QuotaRequest.model_validate({"class": name}), SITE).as_dict()
        for name in SITE.spec.quota_classes
    }


def rules(policy: ReviewPolicy | None = None, **kw: Any) -> ReviewRules:
    return ReviewRules(
        policy=policy or SITE.spec.review,
        class_values=class_values(),
        admission=kw.get("admission"),
        last_quota_change=kw.get("last", {}),
        now=NOW,
    )


def codes(reasons: tuple[Any, ...]) -> list[tuple[str, bool]]:
    return [(r.code, r.blocking) for r in reasons]


def at(field: str) -> Location:
    return Location("x.yaml", 1, 1, field)


# --- sanity -------------------------------------------------------------------------------------------


def findings(m: TenantManifest, policy: ReviewPolicy | None = None, **quota: int) -> dict[str, str]:
    values = {**resolve_quota(m.spec.quota, SITE).as_dict(), **quota}
    return {f.problem.code: f.severity for f in sanity_findings(m, values, policy or SITE.spec.review, at)}


def test_a_sensible_tenant_passes_every_check() -> None:
    m = manifest(networks=[{"name": "app", "prefixLength": 24}], router={"external": True})
    assert findings(m) == {}


def test_instances_above_cores_and_ram_per_core_are_warnings_here() -> None:
    m = manifest(router={"external": True})
    assert findings(m, instances=9, cores=8) == {"sanity.instances_above_cores": "warning"}
    assert findings(m, cores=8, ramGiB=80) == {"sanity.ram_per_core": "warning"}  # 10 GiB per core > 8
    assert findings(m, cores=8, ramGiB=4) == {"sanity.ram_per_core": "warning"}  # 0.5 < 1
    assert findings(m, cores=-1, instances=-1, ramGiB=-1) == {}  # unlimited is admission's business


def test_floating_ips_need_a_router_with_a_gateway() -> None:
    assert "sanity.floating_ips_without_router" in findings(manifest())  # small: 2 floating IPs
    assert "sanity.floating_ips_without_router" in findings(manifest(router={"external": False}))
    assert findings(manifest(), floatingIps=0) == {}


def test_what_the_manifest_needs_beyond_its_quota_is_an_error() -> None:
    nets = [{"name": f"n{i}", "prefixLength": 28} for i in range(4)]
    m = manifest(networks=nets, router={"external": True})  # small: 3 networks, 3 subnets
    assert findings(m) == {"sanity.networks_over_quota": "error", "sanity.subnets_over_quota": "error"}
    assert findings(m, routers=0) == {
        "sanity.networks_over_quota": "error",
        "sanity.subnets_over_quota": "error",
        "sanity.routers_over_quota": "error",
    }


def test_security_groups_count_neutrons_default_group_and_its_rules() -> None:
    rule = {"direction": "ingress", "protocol": "tcp", "ports": "443", "remote": "10.64.0.0/12"}
    groups = [{"name": f"g{i}", "rules": [rule]} for i in range(9)]
    m = manifest(securityGroups=groups, router={"external": True}, networks=[])
    assert findings(m) == {}  # 9 + default = 10 = small's quota
    assert findings(m, securityGroups=9) == {"sanity.security_groups_over_quota": "error"}
    # 9 declared + 4 in "default" + 2 egress in each of 9 groups = 31
    assert findings(m, securityGroupRules=31) == {}
    assert findings(m, securityGroupRules=30) == {"sanity.security_group_rules_over_quota": "error"}


def test_the_policy_decides_the_severity() -> None:
    m = manifest()
    strict = SITE.spec.review.model_copy(
        update={"checks": SITE.spec.review.checks.model_copy(update={"floating_ips_need_router": "error"})}
    )
    off = SITE.spec.review.model_copy(
        update={"checks": SITE.spec.review.checks.model_copy(update={"floating_ips_need_router": "off"})}
    )
    assert findings(m, strict) == {"sanity.floating_ips_without_router": "error"}
    assert findings(m, off) == {}


def test_a_finding_is_located_at_the_override_that_causes_it() -> None:
    m = manifest(quota={"class": "small", "overrides": {"instances": 40}}, router={"external": True})
    (finding,) = sanity_findings(m, resolve_quota(m.spec.quota, SITE).as_dict(), SITE.spec.review, at)
    assert finding.problem.location.field == "spec.quota.overrides.instances"


# --- classification -----------------------------------------------------------------------------------


def test_one_size_up_within_the_pre_approved_classes_is_auto() -> None:
    before, after = side(manifest()), side(manifest(quota={"class": "medium"}))
    assert codes(classify(before, after, rules())) == [
        ("review.reason.class_pre_approved", False),  # SYT: medium
        ("review.reason.class_step", False),
    ]


def test_a_class_not_pre_approved_for_the_agency_needs_approval() -> None:
    before = side(manifest(agency="STC"))
    after = side(manifest(agency="STC", quota={"class": "medium"}))
    assert ("review.reason.class_not_pre_approved", True) in codes(classify(before, after, rules()))


def test_jumping_more_sizes_than_the_policy_allows_needs_approval() -> None:
    before, after = side(manifest(quota={"class": "default"})), side(manifest(quota={"class": "medium"}))
    reasons = classify(before, after, rules())
    jump = next(r for r in reasons if r.code == "review.reason.class_jump")
    assert jump.blocking and jump.params["steps"] == 2 and jump.params["limit"] == 1
    wider = SITE.spec.review.model_copy(update={"max_class_steps": 2})
    assert not any(r.blocking for r in classify(before, after, rules(wider)))


def test_the_class_order_of_the_policy_wins_over_cloud_yml() -> None:
    reordered = SITE.spec.review.model_copy(update={"class_order": ("default", "medium", "small", "large")})
    before, after = side(manifest(quota={"class": "small"})), side(manifest(quota={"class": "medium"}))
    assert ("review.reason.class_down", False) in codes(classify(before, after, rules(reordered)))


def test_growth_by_override_and_unlimited_need_approval() -> None:
    before = side(manifest())
    grown = side(manifest(quota={"class": "small", "overrides": {"cores": 12}}))
    unlimited = side(manifest(quota={"class": "small", "overrides": {"volumes": -1}}))
    assert codes(classify(before, grown, rules())) == [("review.reason.override_growth", True)]
    assert codes(classify(before, unlimited, rules())) == [("review.reason.unlimited", True)]
    shrunk = side(manifest(quota={"class": "small", "overrides": {"cores": 4}}))
    assert codes(classify(before, shrunk, rules())) == [("review.reason.within_policy", False)]


def test_growth_within_the_cool_down_needs_approval() -> None:
    before, after = side(manifest()), side(manifest(quota={"class": "medium"}))
    recent = rules(last={"so-y-te": NOW - timedelta(days=12)})
    cool = next(r for r in classify(before, after, recent) if r.code == "review.reason.cool_down")
    assert cool.blocking and cool.params == {"days": 12, "when": "2026-11-19", "limit": 30}
    long_ago = rules(last={"so-y-te": NOW - timedelta(days=31)})
    assert not any(r.blocking for r in classify(before, after, long_ago))


def test_growth_that_leaves_too_little_headroom_needs_approval() -> None:
    snapshot = snapshot_from_site(SITE)
    others = Commitment("big", "TTDL", {"cores": 420, "ramGiB": 0, "volumeGiB": 0})
    before_q = side(manifest()).quota or {}
    after_side = side(manifest(quota={"class": "medium"}))
    planned = Commitment("so-y-te", "SYT", after_side.quota or {})
    report = admit(
        snapshot,
        SITE.spec.capacity,
        [others, Commitment("so-y-te", "SYT", before_q)],
        [others, planned],
    )
    reasons = classify(side(manifest()), after_side, rules(admission=report))
    headroom = next(r for r in reasons if r.code == "review.reason.headroom")
    # 448 VCPU to promise, 420 + 16 committed: 12 left, 3%
    assert headroom.blocking and headroom.params["rc"] == "VCPU" and headroom.params["percent"] == "3"
    assert headroom.params["delta"] == 8


def test_new_members_with_write_access_need_approval_readers_do_not() -> None:
    before = side(manifest())
    after = side(
        manifest(
            members=[{"user": "le.van.cuong", "role": "member"}, {"group": "syt-audit", "role": "reader"}]
        )
    )
    reasons = classify(before, after, rules())
    added = {r.params["principal"]: r.blocking for r in reasons if r.code == "review.reason.member_added"}
    assert added == {"user le.van.cuong": True, "group syt-audit": False}


def test_a_new_rule_open_to_the_internet_needs_approval_an_existing_one_does_not() -> None:
    web = {"direction": "ingress", "protocol": "tcp", "ports": "443", "remote": "0.0.0.0/0"}
    inner = {"direction": "ingress", "protocol": "tcp", "ports": "22", "remote": "10.64.0.0/12"}
    closed = side(manifest(securityGroups=[{"name": "web", "rules": [inner]}]))
    opened = side(manifest(securityGroups=[{"name": "web", "rules": [inner, web]}]))
    reasons = classify(closed, opened, rules())
    assert [(r.code, r.params) for r in reasons] == [
        ("review.reason.world_open", {"group": "web", "what": "tcp 443"})
    ]
    assert codes(classify(opened, opened, rules())) == [("review.reason.within_policy", False)]


def test_added_and_deleted_tenants() -> None:
    new = side(manifest(agency="STC"))  # small is pre-approved for every agency
    assert codes(classify(None, new, rules())) == [
        ("review.reason.tenant_added", False),
        ("review.reason.class_pre_approved", False),
    ]
    assert codes(classify(new, None, rules())) == [("review.reason.tenant_deleted", True)]
    moved = side(manifest(agency="STC"))
    assert ("review.reason.agency_changed", True) in codes(classify(side(manifest()), moved, rules()))


def entry(time: str, result: str = "ok", **summary: Any) -> AuditEntry:
    return AuditEntry(time=time, actor="a@h", site="aio", action="apply", result=result, summary=summary)


def test_quota_change_times_come_from_successful_applies() -> None:
    records = []
    last = None
    for e in (
        entry("2026-10-01T08:00:00Z", tenants=["so-y-te"]),  # before quotaTenants: counted
        entry("2026-11-01T08:00:00Z", tenants=["so-y-te", "so-tc"], quotaTenants=["so-tc"]),
        entry("2026-11-20T08:00:00Z", result="failed", tenants=["so-y-te"], quotaTenants=["so-y-te"]),
    ):
        last = next_record(last, e)
        records.append(last)
    assert quota_change_times(records) == {
        "so-y-te": datetime(2026, 10, 1, 8, tzinfo=UTC),
        "so-tc": datetime(2026, 11, 1, 8, tzinfo=UTC),
    }


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_reason_reads_in_both_languages(lang: str) -> None:
    from berth_core.i18n import translate

    before, after = side(manifest(quota={"class": "default"})), side(manifest(quota={"class": "large"}))
    for reason in classify(before, after, rules()):
        text = translate(reason.code, lang, **reason.params)
        assert "{" not in text and reason.code not in text
