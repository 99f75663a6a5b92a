#!/usr/bin/python
"""Recover the last committed position of a stopped Galera member that did not stop cleanly."""

from __future__ import annotations

DOCUMENTATION = r"""
module: galera_recover
short_description: Find a stopped Galera member's last committed seqno with mariadbd --wsrep-recover
description:
  - After a crash grastate.dat says seqno -1. C(mariadbd --wsrep-recover) runs InnoDB's crash recovery,
    writes the position it finds to its error log and exits; the cluster is then bootstrapped from the
    member with the highest seqno. The server must be stopped (the module refuses otherwise).
  - Always reports a change (InnoDB recovery may write to the data files). In check mode it runs nothing
    and returns no seqno.
options:
  user: {description: Account mariadbd runs as., type: str, default: mysql}
  timeout: {description: Seconds the recovery may take., type: int, default: 600}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Recover this member's position
  berth.cloud.galera_recover:
  register: recovered
"""

RETURN = r"""
uuid: {description: Cluster state UUID recovered (null in check mode)., type: str, returned: always}
seqno: {description: Last committed seqno recovered (null in check mode)., type: int, returned: always}
"""

import os
import shutil
import tempfile
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.berth.cloud.plugins.module_utils.galera import parse_recovered_position


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "user": {"type": "str", "default": "mysql"},
            "timeout": {"type": "int", "default": 600},
        },
        supports_check_mode=True,
    )
    p = module.params
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "mariadbd":
                module.fail_json(msg="mariadbd is running: --wsrep-recover needs a stopped server")
        except OSError:
            continue
    if module.check_mode:
        module.exit_json(changed=True, uuid=None, seqno=None)
    workdir = tempfile.mkdtemp(prefix="berth-wsrep-recover-")
    try:
        log = Path(workdir) / "recover.log"
        log.touch()
        shutil.chown(workdir, user=p["user"])
        shutil.chown(log, user=p["user"])
        rc, out, err = module.run_command(
            [
                "timeout",
                str(p["timeout"]),
                "/usr/sbin/mariadbd",
                f"--user={p['user']}",
                "--wsrep-recover",
                f"--log-error={log}",
                f"--pid-file={workdir}/recover.pid",
                "--skip-networking",
            ]
        )
        text = log.read_text(errors="replace") + out + err
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    position = parse_recovered_position(text)
    if position is None:
        module.fail_json(msg=f"mariadbd --wsrep-recover found no position (rc {rc}): {text[-2000:]}")
    os.environ.pop("MYSQL_PWD", None)
    module.exit_json(changed=True, **position)


if __name__ == "__main__":
    main()
