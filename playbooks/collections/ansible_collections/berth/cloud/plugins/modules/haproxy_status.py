#!/usr/bin/python
"""HAProxy's view of its frontends, backends and servers, from `show stat` on its stats socket (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_status
short_description: Report each HAProxy proxy's frontend, backend and servers (UP, DOWN, ...)
description:
  - Read-only; never reports a change. Sends C(show stat) to HAProxy's stats socket (root's) and parses
    the CSV it answers.
options:
  socket: {description: HAProxy's stats socket., type: path, default: /run/haproxy/admin.sock}
  timeout: {description: Seconds to wait for the answer., type: float, default: 5}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Read the load balancer's backends
  berth.cloud.haproxy_status:
  register: lb
- name: Show the servers that are down
  ansible.builtin.debug:
    msg: "{{ lb.down }}"
"""

RETURN = r"""
proxies:
  description:
    - Per proxy (a C(listen) section is both a frontend and a backend), the frontend's and backend's
      status (null when it has none) and per server its status (UP, DOWN, MAINT, no check, ...), last
      check, whether it is a backup, and its current and total sessions.
  type: dict
  returned: always
down: {description: "C(proxy/server) of every server not UP.", type: list, elements: str, returned: always}
"""

import socket
from typing import Any

from ansible.module_utils.basic import AnsibleModule

# `type` of a `show stat` line
FRONTEND = "0"
BACKEND = "1"
SERVER = "2"


def parse_show_stat(text: str) -> list[dict[str, str]]:
    """`show stat`'s CSV as one dict per line, keyed by its header (`# pxname,svname,...`)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"not HAProxy's `show stat` output: {text[:200]!r}")
    header = lines[0][2:].split(",")
    rows = []
    for line in lines[1:]:
        values = line.split(",")
        rows.append(dict(zip(header, values + [""] * (len(header) - len(values)), strict=False)))
    return rows


def summarise(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Proxies by name: frontend and backend status, and their servers."""
    proxies: dict[str, Any] = {}
    for row in rows:
        proxy = proxies.setdefault(row["pxname"], {"frontend": None, "backend": None, "servers": {}})
        kind = row.get("type", "")
        if kind == FRONTEND:
            proxy["frontend"] = row["status"]
        elif kind == BACKEND:
            proxy["backend"] = row["status"]
        elif kind == SERVER:
            proxy["servers"][row["svname"]] = {
                "status": row["status"],
                "check": row.get("check_status", ""),
                "backup": row.get("bck") == "1",
                "address": row.get("addr", ""),
                "sessions": int(row.get("scur") or 0),
                "sessions_total": int(row.get("stot") or 0),
            }
    return proxies


def down_servers(proxies: dict[str, Any]) -> list[str]:
    return sorted(
        f"{name}/{server}"
        for name, proxy in proxies.items()
        for server, info in proxy["servers"].items()
        if not info["status"].startswith("UP")
    )


def ask(path: str, command: str, timeout: float) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(path)
        conn.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "default": "/run/haproxy/admin.sock"},
            "timeout": {"type": "float", "default": 5.0},
        },
        supports_check_mode=True,
    )
    try:
        proxies = summarise(
            parse_show_stat(ask(module.params["socket"], "show stat", module.params["timeout"]))
        )
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"cannot read HAProxy's stats from {module.params['socket']}: {exc}")
    module.exit_json(changed=False, proxies=proxies, down=down_servers(proxies))


if __name__ == "__main__":
    main()
