#!/usr/bin/python
"""Ensure a cephx entity has exactly the given key and capabilities."""

from __future__ import annotations

DOCUMENTATION = r"""
module: ceph_auth
short_description: Ensure a Ceph auth entity (client, mgr, osd) has the given key and caps
description:
  - Reads the entity with C(ceph auth get) and, only when its key or caps differ, imports a keyring
    holding both (C(ceph auth import)), so the key stays the one berth generated and re-runs change
    nothing. The key never appears in the command line, the result or the log (a 0600 temporary file).
  - Runs C(ceph) with the host's configuration and admin keyring. Check mode reports the change only.
options:
  entity: {description: "Entity name, e.g. client.glance.", type: str, required: true}
  key: {description: The cephx key (base64)., type: str, required: true, no_log: true}
  caps: {description: "Capabilities per service, e.g. {mon: 'profile rbd'}.", type: dict, required: true}
  conf: {description: Ceph configuration file., type: path, default: /etc/ceph/ceph.conf}
  auth_name: {description: "The entity berth acts as (default client.admin); mon. sets the admin's own key.", type: str}
  auth_keyring: {description: "That entity's keyring (with I(auth_name)).", type: path}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Glance's key
  berth.cloud.ceph_auth:
    entity: client.glance
    key: "{{ ceph_glance_key }}"
    caps: {mon: profile rbd, osd: profile rbd pool=images}
"""

RETURN = r"""
entity: {description: The entity., type: str, returned: always}
"""

import os
import tempfile
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.berth.cloud.plugins.module_utils.ceph import (
    auth_differs,
    keyring_text,
    parse_auth_entry,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "entity": {"type": "str", "required": True},
            "key": {"type": "str", "required": True, "no_log": True},
            "caps": {"type": "dict", "required": True},
            "conf": {"type": "path", "default": "/etc/ceph/ceph.conf"},
            "auth_name": {"type": "str"},
            "auth_keyring": {"type": "path"},
        },
        required_together=[("auth_name", "auth_keyring")],
        supports_check_mode=True,
    )
    entity, key, conf = module.params["entity"], module.params["key"], module.params["conf"]
    caps = {str(k): str(v) for k, v in module.params["caps"].items()}
    ceph = ["ceph", "--conf", conf, "--connect-timeout", "30"]
    if module.params["auth_name"]:
        ceph += ["--name", module.params["auth_name"], "--keyring", module.params["auth_keyring"]]
    rc, out, err = module.run_command([*ceph, "auth", "get", entity, "--format", "json"])
    if rc not in (0, 2):  # 2: ENOENT, no such entity yet
        module.fail_json(msg=f"ceph auth get {entity} failed: {err.strip()}", entity=entity)
    current = parse_auth_entry(out, entity) if rc == 0 else None
    if not auth_differs(current, key, caps):
        module.exit_json(changed=False, entity=entity)
    if not module.check_mode:
        fd, path = tempfile.mkstemp(prefix="berth-keyring-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(keyring_text(entity, key, caps))
            rc, _, err = module.run_command([*ceph, "auth", "import", "-i", path])
        finally:
            Path(path).unlink()
        if rc != 0:
            module.fail_json(msg=f"ceph auth import of {entity} failed: {err.strip()}", entity=entity)
    module.exit_json(changed=True, entity=entity)


if __name__ == "__main__":
    main()
