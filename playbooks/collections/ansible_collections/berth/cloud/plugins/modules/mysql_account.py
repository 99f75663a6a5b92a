#!/usr/bin/python
"""A MariaDB account with global privileges (e.g. Galera's state-transfer account), through the mysql
client over the unix socket as root (no PyMySQL on the host)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mysql_account
short_description: Ensure a MariaDB account exists with a password and exactly the given global privileges
description:
  - Connects as root over the local unix socket with the C(mysql) client. Every statement, the password's
    included, goes to the client on standard input, never on a command line or in the environment.
  - The password is compared inside the server (C(PASSWORD()) against the stored hash), so an unchanged
    account reports no change. On a Galera node the statements replicate to the whole cluster.
options:
  name: {description: Account (user) name., type: str, required: true}
  host: {description: Host part of the account., type: str, default: localhost}
  password: {description: Password of the account., type: str, required: true, no_log: true}
  privileges:
    description: Global privileges (ON *.*), e.g. RELOAD, PROCESS; any other global privilege is revoked.
    type: list
    elements: str
    required: true
author: berth maintainers
"""

EXAMPLES = r"""
- name: Galera's state-transfer account (mariabackup)
  berth.cloud.mysql_account:
    name: sst
    password: "{{ mariadb_sst_password }}"
    privileges: [RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR]
"""

RETURN = r"""
created: {description: Whether the account was created by this run., type: bool, returned: always}
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

IDENT = re.compile(r"^[A-Za-z0-9_]{1,80}$")
HOST = re.compile(r"^[A-Za-z0-9_.%:-]{1,255}$")
PRIVILEGE = re.compile(r"^[A-Z]+( [A-Z]+)*$")
GLOBAL_GRANT = re.compile(r"^GRANT (.+?) ON \*\.\* TO ")


def sql(module: AnsibleModule, statement: str) -> str:
    rc, out, err = module.run_command(["mysql", "-uroot", "-N", "-B"], data=statement, binary_data=True)
    if rc != 0:
        module.fail_json(msg=f"mysql failed: {err.strip()}")
    return out


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def global_privileges(grants: str) -> set[str]:
    """The privileges of `SHOW GRANTS`' global line (USAGE alone means none)."""
    for line in grants.splitlines():
        match = GLOBAL_GRANT.match(line.strip())
        if match:
            found = {p.strip().upper() for p in match.group(1).split(",")}
            return found - {"USAGE"}
    return set()


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "host": {"type": "str", "default": "localhost"},
            "password": {"type": "str", "required": True, "no_log": True},
            "privileges": {"type": "list", "elements": "str", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    wanted = {priv.strip().upper() for priv in p["privileges"]}
    if not IDENT.match(p["name"]) or not HOST.match(p["host"]):
        module.fail_json(msg="name must match [A-Za-z0-9_]{1,80} and host [A-Za-z0-9_.%:-]")
    if not all(PRIVILEGE.match(priv) for priv in wanted):
        module.fail_json(msg="privileges are words in capitals, e.g. RELOAD or LOCK TABLES")
    os.environ.pop("MYSQL_PWD", None)
    account = f"{quote(p['name'])}@{quote(p['host'])}"
    where = f"User = {quote(p['name'])} AND Host = {quote(p['host'])}"
    # names are checked above and every value quoted: no injection through these strings
    found = sql(
        module,
        f"SELECT authentication_string = PASSWORD({quote(p['password'])}) FROM mysql.user WHERE {where};",  # noqa: S608
    ).split()
    exists = bool(found)
    password_ok = found == ["1"]
    privileges_ok = exists and global_privileges(sql(module, f"SHOW GRANTS FOR {account};")) == wanted
    changed = not (password_ok and privileges_ok)
    if module.check_mode or not changed:
        module.exit_json(changed=changed, created=not exists)

    statements = [
        f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {quote(p['password'])};",
        f"ALTER USER {account} IDENTIFIED BY {quote(p['password'])};",
        f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM {account};",
        f"GRANT {', '.join(sorted(wanted))} ON *.* TO {account};",
    ]
    sql(module, "\n".join(statements) + "\n")
    module.exit_json(changed=True, created=not exists)


if __name__ == "__main__":
    main()
