#!/usr/bin/python
"""A MariaDB database and the user that owns it, through the mysql client (no PyMySQL on the host)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mysql_database
short_description: Ensure a MariaDB database exists with a user holding all privileges on it
description:
  - Connects as root over the local unix socket with the C(mysql) client, so the host needs no Python
    database driver. The password is given to the client on standard input or in the environment, never
    on a command line.
  - Reports C(created) when the database did not exist (callers use it to reset schema-sync markers).
options:
  name: {description: Database name., type: str, required: true}
  user: {description: User owning the database., type: str, required: true}
  password: {description: Password of the user., type: str, required: true, no_log: true}
  hosts: {description: Host parts of the user account., type: list, elements: str, default: [localhost, 127.0.0.1]}
  check_host: {description: Address used to verify the password over TCP., type: str, default: 127.0.0.1}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Nova API database
  berth.cloud.mysql_database:
    name: nova_api
    user: nova
    password: "{{ nova_db_password }}"
"""

RETURN = r"""
created: {description: Whether the database was created by this run., type: bool, returned: always}
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

IDENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")
HOST = re.compile(r"^[A-Za-z0-9_.%:-]{1,255}$")


def sql(module: AnsibleModule, statement: str) -> str:
    rc, out, err = module.run_command(["mysql", "-uroot", "-N", "-B"], data=statement, binary_data=True)
    if rc != 0:
        module.fail_json(msg=f"mysql failed: {err.strip()}")
    return out


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def password_works(module: AnsibleModule, user: str, password: str, host: str) -> bool:
    env = {"MYSQL_PWD": password}
    rc, _, _ = module.run_command(
        ["mysql", f"-u{user}", f"-h{host}", "-N", "-B", "-e", "SELECT 1"], environ_update=env
    )
    return rc == 0


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "user": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "hosts": {"type": "list", "elements": "str", "default": ["localhost", "127.0.0.1"]},
            "check_host": {"type": "str", "default": "127.0.0.1"},
        },
        supports_check_mode=True,
    )
    p = module.params
    if not IDENT.match(p["name"]) or not IDENT.match(p["user"]):
        module.fail_json(msg="database and user names must match [A-Za-z0-9_]{1,64}")
    if not all(HOST.match(h) for h in p["hosts"]):
        module.fail_json(msg="invalid host in hosts")
    os.environ.pop("MYSQL_PWD", None)

    db_exists = bool(sql(module, f"SHOW DATABASES LIKE {quote(p['name'])};").strip())
    # names are checked against IDENT above and values quoted: no injection through these strings
    users_query = f"SELECT Host FROM mysql.user WHERE User = {quote(p['user'])};"  # noqa: S608
    have_hosts = set(sql(module, users_query).split())
    grants_ok = True
    for host in p["hosts"]:
        if host not in have_hosts:
            grants_ok = False
            break
        grants = sql(module, f"SHOW GRANTS FOR {quote(p['user'])}@{quote(host)};")
        if f"ON `{p['name']}`.*" not in grants.replace("\\_", "_"):
            grants_ok = False
            break
    pw_ok = grants_ok and password_works(module, p["user"], p["password"], p["check_host"])
    changed = not (db_exists and grants_ok and pw_ok)
    if module.check_mode or not changed:
        module.exit_json(changed=changed, created=not db_exists)

    statements = [f"CREATE DATABASE IF NOT EXISTS `{p['name']}` CHARACTER SET utf8mb3;"]
    for host in p["hosts"]:
        account = f"{quote(p['user'])}@{quote(host)}"
        statements += [
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {quote(p['password'])};",
            f"ALTER USER {account} IDENTIFIED BY {quote(p['password'])};",
            f"GRANT ALL PRIVILEGES ON `{p['name']}`.* TO {account};",
        ]
    sql(module, "\n".join(statements) + "\nFLUSH PRIVILEGES;")
    module.exit_json(changed=True, created=not db_exists)


if __name__ == "__main__":
    main()
