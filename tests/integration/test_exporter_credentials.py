"""The exporter outlives a credential change: when keystone refuses its password (a rotation, or a redeploy with
new secrets), it reads clouds.yaml again instead of serving stale data until someone restarts it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import keystoneauth1.exceptions as ks_exc
import pytest
import yaml

from berth_exporters.connection import connect

pytestmark = pytest.mark.openstack


def _write_clouds(path: Path, admin_yaml: Path, user: str, password: str) -> None:
    entry = yaml.safe_load(admin_yaml.read_text())["clouds"]["aio-admin"]
    entry["auth"] = {**entry["auth"], "username": user, "password": password}
    path.write_text(yaml.safe_dump({"clouds": {"rotating": entry}}))
    path.chmod(0o600)


def test_a_changed_password_is_read_again_from_clouds_yaml(
    conn: Any, clouds_yaml: Path, unique: str, cleanup: list[Any], tmp_path: Path
) -> None:
    first, second = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    user = conn.identity.create_user(name=f"{unique}-exporter", password=first, domain_id="default")
    cleanup.append(lambda: conn.identity.delete_user(user, ignore_missing=True))
    project = conn.identity.find_project("admin", domain_id="default")
    role = conn.identity.find_role("admin")
    conn.identity.assign_project_role_to_user(project, user, role)
    path = tmp_path / "clouds.yaml"
    _write_clouds(path, clouds_yaml, user.name, first)

    reader = connect(path, "rotating")
    stale = connect(path, "rotating")
    stale.reconnect = None  # the behaviour before: keep the credentials it started with
    assert reader.get("identity", "/projects")["projects"]
    before = reader.requests_made()

    conn.identity.update_user(user, password=second)
    _write_clouds(path, clouds_yaml, user.name, second)  # what the rotation or redeploy writes
    # keystone revokes the user's tokens, but whether a token issued in the same second still validates
    # is keystone's race; an expired token is not: both readers must log in again from here on
    for r in (reader, stale):
        r.cloud.conn.session.invalidate()

    with pytest.raises(ks_exc.Unauthorized):
        stale.get("identity", "/projects")

    old_cloud = reader.cloud
    assert reader.get("identity", "/projects")["projects"], "served again without a restart"
    assert reader.cloud is not old_cloud, "logged in anew from the rewritten clouds.yaml"
    assert reader.requests_made() > before, "the request count carries over the new connection"
