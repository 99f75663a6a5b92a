#!/usr/bin/python
"""A RabbitMQ user with configure/write/read permissions on a vhost, through rabbitmqctl."""

from __future__ import annotations

DOCUMENTATION = r"""
module: rabbitmq_account
short_description: Ensure a RabbitMQ user exists with a given password and full permissions on a vhost
description:
  - Passwords go to C(rabbitmqctl) on standard input, never on its command line.
options:
  user: {description: User name., type: str, required: true}
  password: {description: Password., type: str, required: true, no_log: true}
  vhost: {description: Virtual host., type: str, default: /}
author: berth maintainers
"""

EXAMPLES = r"""
- name: OpenStack's messaging account
  berth.cloud.rabbitmq_account:
    user: openstack
    password: "{{ rabbitmq_openstack_password }}"
"""

RETURN = r"""
user: {description: The user name., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule

CTL = "rabbitmqctl"


def ctl(module: AnsibleModule, *args: str, data: str | None = None, check: bool = True) -> tuple[int, str]:
    rc, out, err = module.run_command([CTL, "-q", *args], data=data)
    if check and rc != 0:
        module.fail_json(msg=f"rabbitmqctl {args[0]} failed: {err.strip() or out.strip()}")
    return rc, out


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "user": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "vhost": {"type": "str", "default": "/"},
        },
        supports_check_mode=True,
    )
    user, password, vhost = module.params["user"], module.params["password"], module.params["vhost"]
    _, users = ctl(module, "list_users", "--no-table-headers")
    exists = user in {line.split("\t")[0].strip() for line in users.splitlines() if line.strip()}
    password_ok = exists and ctl(module, "authenticate_user", user, data=password, check=False)[0] == 0
    _, perms = (
        ctl(module, "list_user_permissions", user, "--no-table-headers", check=False) if exists else (0, "")
    )
    wanted = f"{vhost}\t.*\t.*\t.*"
    perms_ok = any(line.strip() == wanted for line in perms.splitlines())
    changed = not (exists and password_ok and perms_ok)
    if module.check_mode or not changed:
        module.exit_json(changed=changed, user=user)
    if not exists:
        ctl(module, "add_user", user, data=password)
    elif not password_ok:
        ctl(module, "change_password", user, data=password)
    if not perms_ok:
        ctl(module, "set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    module.exit_json(changed=True, user=user)


if __name__ == "__main__":
    main()
