"""Every OpenStack service role goes through berth's one service skeleton (roles/openstack_service)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_role_marks_its_schema_through_the_skeleton() -> None:
    """No role writes or tests a `db-synced` marker of its own any more (the drift that broke keystone)."""
    roles = ROOT / "playbooks" / "roles"
    own = [
        str(path.relative_to(roles))
        for path in sorted(roles.glob("*/tasks/*.yml"))
        if "db-synced" in path.read_text(encoding="utf-8")
        and not path.is_relative_to(roles / "openstack_service")
    ]
    assert own == []
    for role in ("keystone", "placement", "glance", "neutron_server", "nova", "cinder"):
        tasks = (roles / role / "tasks" / "main.yml").read_text(encoding="utf-8")
        assert "name: openstack_service" in tasks, role
