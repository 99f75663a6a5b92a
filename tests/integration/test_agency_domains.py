"""Agency self-service on the real devcloud: two agencies with their own keystone domain, applied with
`berth apply`; each agency's IT admin logs in with its own credentials (a generated password, read from
the 0600 secrets file, never printed) and is keystone's domain manager in its domain and nowhere else.

What it proves, with keystone's default policies (2024.2 and later, new defaults and scopes enforced):
the manager creates users in its domain and grants them roles on its agency's project; it cannot see,
list, change or create users of the other agency's domain, grant roles on the other agency's project,
grant admin, or write a quota (nova, neutron, cinder) on its own project, as member or as project
manager; berth's next plan has no change, so a grant the agency made is not revoked; and moving an
applied tenant between domains is refused (exit 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import Berth

pytestmark = pytest.mark.openstack

IDENTITY = "  identity:\n    domain: Default\n"
TENANT = """\
apiVersion: berth/v1
kind: Tenant
metadata:
  name: {slug}
  displayName: Cơ quan thử nghiệm {agency} (kiểm thử tích hợp)
  agency: {agency}
  contact: {{name: Kiểm Thử, email: test@berth.invalid}}
  ticket: IT-{agency}
spec:
  quota: {{class: default}}
"""


def _identity(agencies: dict[str, tuple[str, str]]) -> str:
    lines = ["  identity:", "    domain: Default", "    agencyDomains:"]
    for agency, (domain, manager) in agencies.items():
        lines += [f"      {agency}:", f"        domain: {domain}", f"        managers: [{{user: {manager}}}]"]
    return "\n".join(lines) + "\n"


def _write_site(berth: Berth, identity: str) -> Path:
    path = berth.root / "inventory" / "aio" / "cloud.yml"
    text = path.read_text(encoding="utf-8")
    head, _, tail = text.partition("  identity:\n")
    tail = tail[tail.index("  externalNetwork:") :]
    path.write_text(head + identity + tail, encoding="utf-8")
    return path


def _drop_domain(conn: Any, name: str) -> None:
    """Disable and delete a test's domain (keystone deletes its users and projects with it)."""
    for d in conn.identity.domains(name=name):
        conn.identity.update_domain(d, is_enabled=False)
        conn.identity.delete_domain(d, ignore_missing=True)


def _quota_writes(scoped: Any, pid: str) -> list[tuple[str, int]]:
    """Each service's answer to a quota write on project `pid` with the `scoped` connection."""
    return [
        (
            "nova",
            _status(
                scoped.compute.put(
                    f"/os-quota-sets/{pid}", json={"quota_set": {"cores": 999}}, raise_exc=False
                )
            ),
        ),
        (
            "neutron",
            _status(scoped.network.put(f"/quotas/{pid}", json={"quota": {"network": 99}}, raise_exc=False)),
        ),
        (
            "cinder",
            _status(
                scoped.block_storage.put(
                    f"/os-quota-sets/{pid}", json={"quota_set": {"volumes": 99}}, raise_exc=False
                )
            ),
        ),
    ]


def _status(response: Any) -> int:
    return int(response.status_code)


@pytest.fixture
def agencies(cleanup: list[Any], berth: Berth, unique: str, conn: Any) -> dict[str, dict[str, str]]:
    """Two agencies (ITA, ITB), each a domain with one manager account and one tenant manifest.

    `cleanup` comes first so it is torn down last: berth's own teardown destroys the tenants, then the
    accounts and the domains go."""
    from berth_cloud import connect
    from berth_cloud.principals import ensure_principals, remove_principals
    from berth_core.loader import load_site

    out: dict[str, dict[str, str]] = {}
    for agency in ("ITA", "ITB"):
        low = agency.lower()
        out[agency] = {
            "domain": f"{unique}-{low}",
            "manager": f"{unique}-{low}.admin",
            "slug": f"{unique}-{low}",
        }
    site_file = _write_site(berth, _identity({a: (v["domain"], v["manager"]) for a, v in out.items()}))
    for agency, v in out.items():
        (berth.root / "manifests" / f"{v['slug']}.yaml").write_text(
            TENANT.format(slug=v["slug"], agency=agency), encoding="utf-8"
        )
    site = load_site(site_file)
    secrets_file = Path(str(berth.root)).parent / "state" / "aio" / "secrets" / "members.jsonl"
    cloud = connect(None, Path(str(berth.root)).parent / "state" / "aio" / "clouds.yaml")
    cleanup.append(cloud.close)

    for v in out.values():
        cleanup.append(lambda name=v["domain"]: _drop_domain(conn, name))
        made = ensure_principals(cloud, site, {("user", v["manager"])}, secrets_file, v["domain"])
        cleanup.append(lambda made=made: remove_principals(cloud, site, made))
        v["secrets"] = str(secrets_file)
    return out


def _login(clouds_yaml: Path, secrets_file: str, user: str, domain: str, **scope: str) -> Any:
    """A connection as the agency's own manager (its generated password; never printed)."""
    import openstack

    from berth_cloud.principals import read_password

    admin = yaml.safe_load(clouds_yaml.read_text(encoding="utf-8"))["clouds"]["aio-admin"]
    password = read_password(Path(secrets_file), user)
    assert password is not None, f"no password recorded for {user}"
    return openstack.connect(
        auth_url=admin["auth"]["auth_url"],
        username=user,
        password=password,
        user_domain_name=domain,
        region_name=admin.get("region_name", "RegionOne"),
        **scope,
    )


def test_an_agency_manages_its_own_domain_and_nothing_else(
    cleanup: list[Any],
    berth: Berth,
    agencies: dict[str, dict[str, str]],
    conn: Any,
    clouds_yaml: Path,
    unique: str,
) -> None:
    a, b = agencies["ITA"], agencies["ITB"]
    code, _, err = berth("apply", "--yes")
    assert code == 0, err

    # berth made (adopted) each domain, put the tenant's project in it and gave the manager the role
    listed_domains = conn.identity.get("/domains").json()["domains"]
    docs = {d["name"]: d for d in listed_domains if d["name"] in (a["domain"], b["domain"])}
    assert set(docs) == {a["domain"], b["domain"]}
    assert {"berth:managed", "berth:tenant=platform", "berth:agency=ITA"} <= set(docs[a["domain"]]["tags"])
    domains = {name: conn.identity.get_domain(doc["id"]) for name, doc in docs.items()}
    project_a = conn.identity.find_project(a["slug"], domain_id=domains[a["domain"]].id)
    project_b = conn.identity.find_project(b["slug"], domain_id=domains[b["domain"]].id)
    assert project_a is not None and project_b is not None
    manager_role = conn.identity.find_role("manager")
    member_role = conn.identity.find_role("member")
    admin_role = conn.identity.find_role("admin")
    manager_a = conn.identity.find_user(a["manager"], domain_id=domains[a["domain"]].id)
    grants = list(
        conn.identity.role_assignments(scope_domain_id=domains[a["domain"]].id, user_id=manager_a.id)
    )
    assert [g.role["id"] for g in grants] == [manager_role.id]

    mgr = _login(clouds_yaml, a["secrets"], a["manager"], a["domain"], domain_name=a["domain"])
    cleanup.append(mgr.close)
    ident = mgr.identity
    did_a, did_b = domains[a["domain"]].id, domains[b["domain"]].id

    # its own domain: create a user, see it listed, grant it member on the agency's project
    made = ident.post(
        "/users",
        json={"user": {"name": f"{unique}-staff", "domain_id": did_a, "enabled": True}},
        raise_exc=False,
    )
    assert _status(made) == 201, made.text
    staff = made.json()["user"]["id"]
    listed = ident.get("/users", params={"domain_id": did_a}, raise_exc=False)
    assert _status(listed) == 200 and f"{unique}-staff" in {u["name"] for u in listed.json()["users"]}
    grant = ident.put(f"/projects/{project_a.id}/users/{staff}/roles/{member_role.id}", raise_exc=False)
    assert _status(grant) == 204, grant.text

    # the other agency's domain: no listing, no creating, no granting on its project
    # (keystone answers a domain-scoped list with the token's own domain, whatever the filter asks)
    peek = ident.get("/users", params={"domain_id": did_b}, raise_exc=False)
    assert _status(peek) == 403 or (
        _status(peek) == 200
        and b["manager"] not in {u["name"] for u in peek.json()["users"]}
        and {u["domain_id"] for u in peek.json()["users"]} <= {did_a}
    )
    manager_b = conn.identity.find_user(b["manager"], domain_id=did_b)
    assert _status(ident.get(f"/users/{manager_b.id}", raise_exc=False)) == 403
    assert (
        _status(ident.patch(f"/users/{manager_b.id}", json={"user": {"enabled": False}}, raise_exc=False))
        == 403
    )
    other = {"user": {"name": f"{unique}-intruder", "domain_id": did_b, "enabled": True}}
    assert _status(ident.post("/users", json=other, raise_exc=False)) == 403
    cross = ident.put(f"/projects/{project_b.id}/users/{staff}/roles/{member_role.id}", raise_exc=False)
    assert _status(cross) == 403
    # never admin, not even on its own project or domain
    assert (
        _status(ident.put(f"/projects/{project_a.id}/users/{staff}/roles/{admin_role.id}", raise_exc=False))
        == 403
    )
    assert _status(ident.put(f"/domains/{did_a}/users/{staff}/roles/{admin_role.id}", raise_exc=False)) == 403

    # quotas stay berth's: a project-scoped token of the manager on its own project writes none, as
    # member and then as project manager (which it may give itself)
    before = conn.compute.get(f"/os-quota-sets/{project_a.id}").json()["quota_set"]
    for role in (member_role, manager_role):
        path = f"/projects/{project_a.id}/users/{manager_a.id}/roles/{role.id}"
        assert _status(ident.put(path, raise_exc=False)) == 204
        scoped = _login(clouds_yaml, a["secrets"], a["manager"], a["domain"], project_id=project_a.id)
        cleanup.append(scoped.close)
        for service, status in _quota_writes(scoped, project_a.id):
            assert status == 403, f"{service} let a domain manager with project {role.name} write a quota"
    assert conn.compute.get(f"/os-quota-sets/{project_a.id}").json()["quota_set"] == before

    # berth's next plan changes nothing: the grants the agency made are the agency's
    code, _, err = berth("plan", "--detailed-exitcode")
    assert code == 0, err
    kept = list(conn.identity.role_assignments(scope_project_id=project_a.id, user_id=staff))
    assert [g.role["id"] for g in kept] == [member_role.id]

    # ITB back to the site's domain would move an applied project: refused, located, nothing written
    _write_site(berth, _identity({"ITA": (a["domain"], a["manager"])}))
    code, _, err = berth("plan")
    assert code == 3
    assert "cloud.yml" in err and "spec.identity.domain" in err and "keystone cannot move a project" in err
    _write_site(
        berth, _identity({k: (v["domain"], v["manager"]) for k, v in agencies.items()})
    )  # for teardown


def test_a_missing_domain_manager_is_refused_before_anything_is_written(
    cleanup: list[Any], berth: Berth, unique: str, conn: Any
) -> None:
    """The agency's domain exists (its directory is wired up) but the manager cloud.yml names does not."""
    from berth_cloud import connect
    from berth_cloud.principals import ensure_domain

    domain, slug = f"{unique}-itc", f"{unique}-itc"
    _write_site(berth, _identity({"ITC": (domain, f"{unique}-itc.admin")}))
    (berth.root / "manifests" / f"{slug}.yaml").write_text(
        TENANT.format(slug=slug, agency="ITC"), encoding="utf-8"
    )
    cloud = connect(None, Path(str(berth.root)).parent / "state" / "aio" / "clouds.yaml")
    cleanup.append(cloud.close)
    ensure_domain(cloud, domain)
    cleanup.append(lambda: _drop_domain(conn, domain))
    for command in (("plan",), ("apply", "--yes")):
        code, _, err = berth(*command)
        assert code == 3, err
        assert "cloud.yml:" in err and "spec.identity.agencyDomains.ITC.managers[0].user" in err
        assert f"user {unique}-itc.admin does not exist in domain {domain}" in err
    did = conn.identity.get("/domains", params={"name": domain}).json()["domains"][0]["id"]
    assert conn.identity.get("/projects", params={"domain_id": did}).json()["projects"] == []
    assert "berth:managed" not in (conn.identity.get(f"/domains/{did}").json()["domain"].get("tags") or [])
