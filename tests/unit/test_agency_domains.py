"""Agency self-service in keystone, the pure parts: cloud.yml's `spec.identity.agencyDomains` (located
errors in English and Vietnamese), the domain and domain-manager grants of the platform, tenants'
projects in their agency's domain, the refused domain move, and what observe calls berth's in an
agency's own domain (berth_core.identity, berth_core.platform, berth_cloud.mapping*)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from berth_cloud.mapping import TenantDocs, map_tenants
from berth_cloud.mapping_domains import map_domains
from berth_core.diff import diff
from berth_core.errors import ManifestInvalid
from berth_core.i18n import render_problem
from berth_core.loader import load_documents, load_manifests, load_site
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.site import Site
from berth_core.state import ObservedState

ROOT = Path(__file__).resolve().parents[2]
AIO = ROOT / "inventory" / "aio" / "cloud.yml"
IDENTITY = "  identity:\n    domain: Default\n"
SYT_DOMAIN = """  identity:
    domain: Default
    agencyDomains:
      SYT:
        domain: hp-syt
        managers:
          - {user: syt.it.admin}
          - {group: syt-it}
"""


def _site_file(tmp_path: Path, identity: str) -> Path:
    text = AIO.read_text(encoding="utf-8")
    assert IDENTITY in text
    path = tmp_path / "cloud.yml"
    path.write_text(text.replace(IDENTITY, identity), encoding="utf-8")
    return path


def _line(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based number of the nth line of `path` holding `needle` (where a problem must point)."""
    lines = [i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text]
    return lines[nth - 1]


def _problems(tmp_path: Path, identity: str) -> list[tuple[str, int, str]]:
    with pytest.raises(ManifestInvalid) as caught:
        load_site(_site_file(tmp_path, identity))
    return [(p.code, p.location.line, p.location.field) for p in caught.value.problems]


def _at(tmp_path: Path, needle: str, nth: int = 1) -> int:
    return _line(tmp_path / "cloud.yml", needle, nth)


def _plan(site_file: Path, observed: ObservedState | None = None):  # type: ignore[no-untyped-def]
    site = load_site(site_file)
    manifests = load_manifests(
        [ROOT / "manifests" / "so-y-te.yaml", ROOT / "manifests" / "so-tai-chinh.yaml"]
    )
    inputs = PlanInputs(
        site,
        manifests,
        locate_site=load_documents(site_file)[0].locate,
        include_platform=True,
        observed=observed or ObservedState(),
    )
    return plan_tenants(inputs)


def test_an_agency_with_a_domain_gets_its_projects_there_and_others_stay_in_the_sites(tmp_path: Path) -> None:
    desired = _plan(_site_file(tmp_path, SYT_DOMAIN)).desired
    assert desired.resources["project/so-y-te"].attrs["domain"] == "hp-syt"
    assert desired.resources["project/so-tai-chinh"].attrs["domain"] == "Default"
    domain = desired.resources["domain/hp-syt"]
    assert domain.tenant == "platform"
    assert domain.attrs["tags"] == ["berth:agency=SYT", "berth:managed", "berth:tenant=platform"]
    grants = {k: r for k, r in desired.resources.items() if r.kind == "domain-grant"}
    assert set(grants) == {
        "domain-grant/hp-syt/user:syt.it.admin/manager",
        "domain-grant/hp-syt/group:syt-it/manager",
    }
    assert {r.attrs["role"] for r in grants.values()} == {"manager"}
    assert all(r.depends_on == ("domain/hp-syt",) for r in grants.values())


def test_a_site_without_agency_domains_plans_no_domain(tmp_path: Path) -> None:
    desired = _plan(AIO).desired
    assert not [k for k in desired.resources if k.startswith(("domain/", "domain-grant/"))]


@pytest.mark.parametrize("field", ["managerRole", "memberRole", "readerRole"])
def test_berth_never_names_admin_as_a_role(tmp_path: Path, field: str) -> None:
    found = _problems(tmp_path, f"{SYT_DOMAIN}    {field}: Admin\n")
    assert found == [("identity.admin_refused", _at(tmp_path, f"{field}: Admin"), f"spec.identity.{field}")]


@pytest.mark.parametrize("domain", ["Default", "default"])
def test_an_agency_never_gets_the_sites_own_domain(tmp_path: Path, domain: str) -> None:
    found = _problems(tmp_path, SYT_DOMAIN.replace("domain: hp-syt", f"domain: {domain}"))
    line = _at(tmp_path, f"domain: {domain}", 2 if domain == "Default" else 1)
    assert found == [("identity.domain_shared", line, "spec.identity.agencyDomains.SYT.domain")]


def test_two_agencies_never_share_a_domain_and_a_manager_is_listed_once(tmp_path: Path) -> None:
    text = SYT_DOMAIN + "          - {user: syt.it.admin}\n      STC:\n        domain: HP-SYT\n"
    found = _problems(tmp_path, text)
    assert found == [
        (
            "identity.manager_duplicate",
            _at(tmp_path, "{user: syt.it.admin}", 2),
            "spec.identity.agencyDomains.SYT.managers[2].user",
        ),
        (
            "identity.domain_duplicate",
            _at(tmp_path, "domain: HP-SYT"),
            "spec.identity.agencyDomains.STC.domain",
        ),
    ]


def test_a_bad_domain_name_and_a_manager_with_neither_user_nor_group_are_located(tmp_path: Path) -> None:
    text = SYT_DOMAIN.replace("hp-syt", "hp syt").replace("{group: syt-it}", "{}")
    codes = {(code, field) for code, _, field in _problems(tmp_path, text)}
    assert ("member.one_of", "spec.identity.agencyDomains.SYT.managers[1]") in codes
    assert any(field == "spec.identity.agencyDomains.SYT.domain" for _, field in codes)


def test_site_errors_read_in_vietnamese_and_english(tmp_path: Path) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        load_site(_site_file(tmp_path, SYT_DOMAIN + "    managerRole: admin\n"))
    (problem,) = caught.value.problems
    assert render_problem(problem, "en").endswith(
        "spec.identity.managerRole: role admin is keystone's admin: berth never hands out admin "
        "(use member, reader or manager)"
    )
    assert "berth không bao giờ cấp quyền admin" in render_problem(problem, "vi")
    assert (
        f"cloud.yml:{_at(tmp_path, 'managerRole: admin')}:18: spec.identity.managerRole: "
        in render_problem(problem, "vi")
    )


def test_a_tenant_whose_agency_moves_to_a_domain_is_refused_at_that_agencys_entry(tmp_path: Path) -> None:
    """Keystone cannot move a project between domains; re-creating it would destroy its servers."""
    before = _plan(AIO).desired  # so-y-te applied while SYT had no domain of its own
    observed = ObservedState.of(before.resources.values(), before.tenants)
    site_file = _site_file(tmp_path, SYT_DOMAIN)
    with pytest.raises(ManifestInvalid) as caught:
        _plan(site_file, observed)
    (problem,) = caught.value.problems
    assert problem.code == "plan.domain_move_refused"
    assert (problem.location.file, problem.location.line) == (
        str(site_file),
        _line(site_file, "domain: hp-syt"),
    )
    assert problem.location.field == "spec.identity.agencyDomains.SYT.domain"
    assert problem.params == {"tenant": "so-y-te", "agency": "SYT", "before": "Default", "after": "hp-syt"}
    en, vi = render_problem(problem, "en"), render_problem(problem, "vi")
    assert "keystone cannot move a project to domain hp-syt" in en
    assert "keystone không thể chuyển một project sang domain hp-syt" in vi
    # the same cloud planned with SYT left where it is: nothing refused
    assert _plan(AIO, observed).plan is not None


def _project_doc(slug: str, domain_id: str) -> dict[str, object]:
    return {
        "id": f"p-{slug}",
        "name": slug,
        "domain_id": domain_id,
        "enabled": True,
        "tags": ["berth:managed", f"berth:tenant={slug}"],
    }


def _assignment(project: str, user: str, role: str) -> dict[str, object]:
    return {
        "scope": {"project": {"id": f"p-{project}"}},
        "user": {"id": f"u-{user}", "name": user},
        "role": {"id": f"r-{role}", "name": role},
    }


def test_in_an_agencys_domain_berth_never_revokes_a_grant_its_managers_made(tmp_path: Path) -> None:
    site = load_site(_site_file(tmp_path, SYT_DOMAIN))
    docs = TenantDocs(
        domain_name="Default",
        domain_names={"d-default": "Default", "d-syt": "hp-syt"},
        projects=[_project_doc("so-y-te", "d-syt"), _project_doc("so-tai-chinh", "d-default")],
        role_assignments=[
            _assignment("so-y-te", "made.by.syt", "member"),  # the agency's manager granted it
            _assignment("so-tai-chinh", "stray.user", "member"),  # berth's own domain: berth's to revoke
        ],
    )
    observed = {r.key: r for r in map_tenants(docs, site)}
    assert observed["project/so-y-te"].attrs["domain"] == "hp-syt"
    assert observed["project/so-tai-chinh"].attrs["domain"] == "Default"
    agency_made = observed["role-assignment/so-y-te/user:made.by.syt/member"]
    stray = observed["role-assignment/so-tai-chinh/user:stray.user/member"]
    assert (agency_made.managed, stray.managed) == (False, True)
    desired = _plan(_site_file(tmp_path, SYT_DOMAIN)).desired.for_tenants(["so-y-te", "so-tai-chinh"])
    deletes = {
        c.key
        for c in diff(desired, ObservedState.of(observed.values(), desired.tenants))
        if c.action == "delete"
    }
    assert stray.key in deletes
    assert agency_made.key not in deletes


def test_observe_reads_only_the_named_domains_and_their_manager_grants(tmp_path: Path) -> None:
    site: Site = load_site(_site_file(tmp_path, SYT_DOMAIN))
    domains = [
        {"id": "d-syt", "name": "hp-syt", "enabled": True, "description": "x", "tags": []},
        {"id": "d-other", "name": "someone-else", "enabled": True, "tags": ["berth:managed"]},
    ]
    grants = [
        {
            "scope": {"domain": {"id": "d-syt"}},
            "user": {"id": "u1", "name": "syt.it.admin"},
            "role": {"id": "r-m", "name": "manager"},
        },
        {
            "scope": {"domain": {"id": "d-syt"}},
            "user": {"id": "u2", "name": "x"},
            "role": {"id": "r", "name": "reader"},
        },
        {
            "scope": {"domain": {"id": "d-other"}},
            "user": {"id": "u3", "name": "y"},
            "role": {"id": "r-m", "name": "manager"},
        },
    ]
    found = {r.key: r for r in map_domains(domains, grants, site.spec.identity)}
    assert set(found) == {"domain/hp-syt", "domain-grant/hp-syt/user:syt.it.admin/manager"}
    # made by someone else first: observed unmanaged, so the plan adopts it (adds berth's tags)
    assert found["domain/hp-syt"].managed is False
    desired = _plan(_site_file(tmp_path, SYT_DOMAIN)).desired.for_tenants(["platform"])
    changes = {c.key: c for c in diff(desired, ObservedState.of(found.values(), ["platform"]))}
    assert changes["domain/hp-syt"].action == "update" and "tags" in changes["domain/hp-syt"].changed
    assert changes["domain-grant/hp-syt/user:syt.it.admin/manager"].action == "no-op"
    assert changes["domain-grant/hp-syt/group:syt-it/manager"].action == "create"
    # a manager dropped from cloud.yml loses the role; the domain itself is never deleted
    dropped = replace(
        found["domain-grant/hp-syt/user:syt.it.admin/manager"], key="domain-grant/hp-syt/user:gone/manager"
    )
    again = diff(desired, ObservedState.of([*found.values(), dropped], ["platform"]))
    assert [c.key for c in again if c.action == "delete"] == ["domain-grant/hp-syt/user:gone/manager"]


def test_devcloud_accounts_are_made_in_their_agencys_domain(tmp_path: Path) -> None:
    from berth_cloud.principals import accounts_by_domain

    site = load_site(_site_file(tmp_path, SYT_DOMAIN))
    manifests = load_manifests(
        [ROOT / "manifests" / "so-y-te.yaml", ROOT / "manifests" / "so-tai-chinh.yaml"]
    )
    found = accounts_by_domain(site, (m.manifest for m in manifests))
    assert found["hp-syt"] == {
        ("user", "nguyen.van.an"),
        ("group", "syt-auditors"),
        ("user", "syt.it.admin"),
        ("group", "syt-it"),
    }
    assert ("user", "nguyen.van.an") not in found.get("Default", set())
