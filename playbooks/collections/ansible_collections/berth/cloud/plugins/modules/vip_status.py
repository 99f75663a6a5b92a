#!/usr/bin/python
"""Which of the given VIPs this host holds now, from `ip -o addr show` (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vip_status
short_description: Tell which of the site's VIPs are on this host's interfaces
description:
  - Read-only; never reports a change. Reads C(ip -o addr show); a VIP is held by the host that has it
    on an interface (keepalived's MASTER).
options:
  addresses: {description: The VIPs., type: list, elements: str, required: true}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Which host holds the VIP
  berth.cloud.vip_status:
    addresses: ["{{ berth_internal_vip }}"]
  register: vip
"""

RETURN = r"""
held: {description: The given VIPs this host holds., type: list, elements: str, returned: always}
interfaces: {description: Each held VIP's interface., type: dict, returned: always}
holder: {description: Whether this host holds all the given VIPs., type: bool, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule


def host_addresses(ip_output: str) -> dict[str, str]:
    """Every address of `ip -o addr show` (without its prefix length) to its interface."""
    found: dict[str, str] = {}
    for line in ip_output.splitlines():
        fields = line.split()
        # "2: eth0    inet 10.251.0.61/24 brd 10.251.0.255 scope global eth0\       valid_lft ..."
        if len(fields) >= 4 and fields[2] in ("inet", "inet6"):
            found.setdefault(fields[3].split("/")[0], fields[1].rstrip(":").split("@")[0])
    return found


def held(addresses: list[str], ip_output: str) -> dict[str, str]:
    mine = host_addresses(ip_output)
    return {address: mine[address] for address in addresses if address in mine}


def main() -> None:
    module = AnsibleModule(
        argument_spec={"addresses": {"type": "list", "elements": "str", "required": True}},
        supports_check_mode=True,
    )
    rc, out, err = module.run_command(["ip", "-o", "addr", "show"])
    if rc != 0:
        module.fail_json(msg=f"ip -o addr show failed: {err.strip()}")
    on_host = held(module.params["addresses"], out)
    module.exit_json(
        changed=False,
        held=sorted(on_host),
        interfaces=on_host,
        holder=bool(module.params["addresses"]) and len(on_host) == len(module.params["addresses"]),
    )


if __name__ == "__main__":
    main()
