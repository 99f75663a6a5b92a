#!/usr/bin/python
"""Wait until every expected nova-compute host is registered and up (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: compute_hosts_up
short_description: Wait for nova-compute services of the given hosts to report up
description:
  - Read-only; never reports a change. Run it with the OpenStack virtualenv's interpreter.
options:
  auth_url: {description: Keystone URL (v3)., type: str, required: true}
  admin_password: {description: Password of the bootstrap admin., type: str, required: true, no_log: true}
  region: {description: Region., type: str, default: RegionOne}
  hosts: {description: Compute host names expected up., type: list, elements: str, required: true}
  timeout: {description: Seconds to wait., type: int, default: 180}
  fresh:
    description:
      - Also require a heartbeat newer than the start of this task, for hosts just (re)started (a service
        that died right after starting still looks up for a minute).
    type: bool
    default: false
author: berth maintainers
"""

EXAMPLES = r"""
- name: Wait for the computes
  berth.cloud.compute_hosts_up:
    auth_url: http://127.0.0.1:5000/v3
    admin_password: "{{ keystone_admin_password }}"
    hosts: [aio-c1, aio-c2]
"""

RETURN = r"""
up: {description: Hosts seen up., type: list, elements: str, returned: always}
"""

import time
from datetime import UTC, datetime, timedelta

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "auth_url": {"type": "str", "required": True},
            "admin_password": {"type": "str", "required": True, "no_log": True},
            "region": {"type": "str", "default": "RegionOne"},
            "hosts": {"type": "list", "elements": "str", "required": True},
            "timeout": {"type": "int", "default": 180},
            "fresh": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        import openstack

        conn = openstack.connect(
            auth_url=p["auth_url"],
            username="admin",
            password=p["admin_password"],
            project_name="admin",
            user_domain_name="Default",
            project_domain_name="Default",
            region_name=p["region"],
            load_yaml_config=False,
            load_envvars=False,
        )
    except ImportError:
        module.fail_json(msg="openstacksdk is missing: run this module with the OpenStack venv's python")
    wanted = set(p["hosts"])
    # nova stores naive UTC times; allow a second of clock granularity
    since = (datetime.now(UTC) - timedelta(seconds=1)).replace(tzinfo=None)

    def beating(service: object) -> bool:
        if not p["fresh"]:
            return True
        stamp = getattr(service, "updated_at", None)
        try:
            return stamp is not None and datetime.fromisoformat(str(stamp).rstrip("Z")) >= since
        except ValueError:
            return False

    deadline = time.monotonic() + p["timeout"]
    up: set[str] = set()
    last_error = ""
    while True:
        try:
            # up and reporting in; enabled or not (a drained host is disabled on purpose)
            up = {
                s.host for s in conn.compute.services(binary="nova-compute") if s.state == "up" and beating(s)
            }
            last_error = ""
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        if wanted <= up or time.monotonic() > deadline:
            break
        time.sleep(2)
    missing = sorted(wanted - up)
    if missing:
        module.fail_json(msg=f"compute hosts not up after {p['timeout']}s: {missing} {last_error}".strip())
    module.exit_json(changed=False, up=sorted(up))


if __name__ == "__main__":
    main()
