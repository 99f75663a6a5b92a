#!/usr/bin/python
"""Ensure a replicated Ceph pool exists with the declared size and application."""

from __future__ import annotations

DOCUMENTATION = r"""
module: ceph_pool
short_description: Ensure a replicated Ceph pool with its size, min_size and application
description:
  - Reads the cluster's pools (C(ceph osd pool ls detail)) and runs only the commands that bring this
    one to what is declared; an RBD pool is initialised (C(rbd pool init)) until it is. pg_num is given at
    creation; after that the PG autoscaler owns it. Never deletes or shrinks data.
  - Check mode reports what would change.
options:
  name: {description: Pool name., type: str, required: true}
  pg_num: {description: Placement groups at creation., type: int, default: 16}
  size: {description: Replicas., type: int, default: 3}
  min_size: {description: Replicas that must be up for I/O., type: int, default: 2}
  application: {description: The pool's application., type: str, default: rbd}
  conf: {description: Ceph configuration file., type: path, default: /etc/ceph/ceph.conf}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Cinder's pool
  berth.cloud.ceph_pool:
    name: volumes
    size: 3
    min_size: 2
"""

RETURN = r"""
commands: {description: The ceph commands run (or that would run)., type: list, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.berth.cloud.plugins.module_utils.ceph import (
    find_pool,
    needs_rbd_init,
    pool_commands,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "pg_num": {"type": "int", "default": 16},
            "size": {"type": "int", "default": 3},
            "min_size": {"type": "int", "default": 2},
            "application": {"type": "str", "default": "rbd"},
            "conf": {"type": "path", "default": "/etc/ceph/ceph.conf"},
        },
        supports_check_mode=True,
    )
    p = module.params
    connection = ["--conf", p["conf"], "--connect-timeout", "30"]
    rc, out, err = module.run_command(
        ["ceph", *connection, "osd", "pool", "ls", "detail", "--format", "json"]
    )
    if rc != 0:
        module.fail_json(msg=f"ceph osd pool ls failed: {err.strip()}")
    current = find_pool(out, p["name"])
    commands = pool_commands(
        current,
        p["name"],
        pg_num=p["pg_num"],
        size=p["size"],
        min_size=p["min_size"],
        application=p["application"],
    )
    rbd_init = needs_rbd_init(current, p["application"])
    changed = bool(commands) or rbd_init
    if module.check_mode or not changed:
        module.exit_json(changed=changed, commands=commands)
    for argv in commands:
        rc, _, err = module.run_command(["ceph", *connection, *argv])
        if rc != 0:
            module.fail_json(msg=f"ceph {' '.join(argv)} failed: {err.strip()}", commands=commands)
    if rbd_init:
        rc, _, err = module.run_command(["rbd", "--conf", p["conf"], "pool", "init", p["name"]])
        if rc != 0:
            module.fail_json(msg=f"rbd pool init {p['name']} failed: {err.strip()}", commands=commands)
    module.exit_json(changed=True, commands=commands)


if __name__ == "__main__":
    main()
