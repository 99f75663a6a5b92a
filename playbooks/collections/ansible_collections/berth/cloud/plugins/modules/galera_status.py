#!/usr/bin/python
"""What a MariaDB Galera node says about itself (read-only): for the mariadb role's bootstrap and join
decisions and gates, and for `berth cloud status`."""

from __future__ import annotations

DOCUMENTATION = r"""
module: galera_status
short_description: Read a MariaDB Galera node's state, optionally waiting until it is Synced
description:
  - Read-only; never reports a change. Asks the local server over its unix socket as root with the
    C(mysql) client (no password, no Python database driver) for its C(wsrep_%) status, and reads
    C(grastate.dat) from the data directory.
  - A node that is not installed or not running is reported as such, not as a failure.
  - With I(wait), polls until the node is C(Synced) in a C(Primary) component with C(wsrep_ready) ON and
    a cluster of at least I(min_size) nodes, and fails after I(timeout) seconds. The gate is the node's
    own state, not an open port.
options:
  wait: {description: Wait until the node is Synced (see above)., type: bool, default: false}
  min_size: {description: Smallest wsrep_cluster_size that counts as Synced., type: int, default: 1}
  timeout: {description: Seconds to wait with I(wait)., type: int, default: 600}
  datadir: {description: MariaDB's data directory (grastate.dat)., type: path, default: /var/lib/mysql}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Wait until this node is Synced in a cluster of three
  berth.cloud.galera_status:
    wait: true
    min_size: 3
"""

RETURN = r"""
installed: {description: mariadbd is installed., type: bool, returned: always}
running: {description: A mariadbd process is alive (it may still be joining)., type: bool, returned: always}
answering: {description: The server answered the status query., type: bool, returned: always}
wsrep_on: {description: Galera replication is on., type: bool, returned: always}
cluster_size: {description: wsrep_cluster_size (0 when not answering)., type: int, returned: always}
local_state_comment: {description: "wsrep_local_state_comment: Synced, Donor/Desynced, Joining, ...", type: str, returned: always}
cluster_status: {description: "wsrep_cluster_status: Primary, non-Primary, Disconnected.", type: str, returned: always}
ready: {description: wsrep_ready is ON (the node accepts queries)., type: bool, returned: always}
connected: {description: wsrep_connected is ON., type: bool, returned: always}
cluster_state_uuid: {description: wsrep_cluster_state_uuid., type: str, returned: always}
last_committed: {description: wsrep_last_committed (-1 when not answering)., type: int, returned: always}
synced: {description: Synced in a Primary component, ready, size at least min_size., type: bool, returned: always}
grastate:
  description: grastate.dat (uuid, seqno, safe_to_bootstrap), null when the file does not exist.
  type: dict
  returned: always
"""

import os
import time
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.berth.cloud.plugins.module_utils.galera import (
    node_summary,
    parse_grastate,
    parse_status,
)

QUERY = "SHOW GLOBAL STATUS LIKE 'wsrep%';\nSHOW GLOBAL VARIABLES LIKE 'wsrep_on';\n"


def mariadbd_alive() -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "mariadbd":
                return True
        except OSError:
            continue
    return False


def observe(module: AnsibleModule, min_size: int) -> dict[str, object]:
    installed = Path("/usr/sbin/mariadbd").exists()
    running = installed and mariadbd_alive()
    answering = False
    values: dict[str, str] = {}
    if running:
        rc, out, _ = module.run_command(
            ["mysql", "-uroot", "--connect-timeout=5", "-N", "-B"], data=QUERY, binary_data=True
        )
        if rc == 0:
            answering = True
            values = parse_status(out)
    grastate_file = Path(module.params["datadir"]) / "grastate.dat"
    try:
        grastate = parse_grastate(grastate_file.read_text())
    except OSError:
        grastate = None
    return {
        "installed": installed,
        "running": running,
        "answering": answering,
        **node_summary(values, min_size),
        "grastate": grastate,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "wait": {"type": "bool", "default": False},
            "min_size": {"type": "int", "default": 1},
            "timeout": {"type": "int", "default": 600},
            "datadir": {"type": "path", "default": "/var/lib/mysql"},
        },
        supports_check_mode=True,
    )
    p = module.params
    os.environ.pop("MYSQL_PWD", None)
    deadline = time.monotonic() + p["timeout"]
    state = observe(module, p["min_size"])
    while p["wait"] and not state["synced"] and time.monotonic() < deadline:
        time.sleep(1)
        state = observe(module, p["min_size"])
    if p["wait"] and not state["synced"]:
        module.fail_json(
            msg=(
                f"not Synced in a Primary component of at least {p['min_size']} after {p['timeout']}s: "
                f"state {state['local_state_comment'] or '-'}, component {state['cluster_status'] or '-'}, "
                f"size {state['cluster_size']}, running {state['running']}"
            ),
            **state,
        )
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()
