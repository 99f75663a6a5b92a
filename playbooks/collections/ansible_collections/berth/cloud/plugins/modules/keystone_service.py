#!/usr/bin/python
"""A service user in the `service` project and the service's catalogue entry (openstacksdk)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: keystone_service
short_description: Ensure an OpenStack service's user, roles and catalogue endpoints exist
description:
  - Uses openstacksdk, so run it with the interpreter of the OpenStack virtualenv
    (C(ansible_python_interpreter) set on the task).
  - Ensures the C(service) project and the roles in O(roles) exist, the user exists with the password and
    holds those roles on the project, and the service has one endpoint per interface with the given URL.
options:
  auth_url: {description: Keystone URL (v3)., type: str, required: true}
  admin_password: {description: Password of the bootstrap admin., type: str, required: true, no_log: true}
  region: {description: Region of the endpoints., type: str, default: RegionOne}
  user: {description: Service user name; omit for a catalogue entry only., type: str}
  password: {description: Password of the service user., type: str, no_log: true}
  roles: {description: Roles on the service project., type: list, elements: str, default: [admin, service]}
  service_name: {description: Catalogue service name., type: str}
  service_type: {description: Catalogue service type., type: str}
  url: {description: Endpoint URL for every interface., type: str}
  interfaces: {description: Endpoint interfaces., type: list, elements: str, default: [public, internal, admin]}
  extra_roles: {description: Further roles that must merely exist., type: list, elements: str, default: []}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Register placement
  berth.cloud.keystone_service:
    auth_url: http://127.0.0.1:5000/v3
    admin_password: "{{ keystone_admin_password }}"
    user: placement
    password: "{{ placement_service_password }}"
    service_name: placement
    service_type: placement
    url: http://127.0.0.1:8778
  vars:
    ansible_python_interpreter: /opt/berth/venv/bin/python
"""

RETURN = r"""
changes: {description: What was created or updated., type: list, elements: str, returned: always}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule


def password_valid(auth_url: str, user: str, password: str) -> bool:
    import openstack

    try:
        probe = openstack.connect(
            auth_url=auth_url,
            username=user,
            password=password,
            project_name="service",
            user_domain_name="Default",
            project_domain_name="Default",
            load_yaml_config=False,
            load_envvars=False,
        )
        probe.authorize()
    except Exception:
        return False
    return True


def ensure_project_and_roles(
    module: AnsibleModule, idn: Any, changes: list[str]
) -> tuple[Any, dict[str, Any]]:
    p, check = module.params, module.check_mode
    project = idn.find_project("service", domain_id="default")
    if project is None:
        changes.append("project service")
        if not check:
            project = idn.create_project(
                name="service", domain_id="default", description="OpenStack services"
            )
    roles = {r.name: r for r in idn.roles()}
    for name in [*p["roles"], *p["extra_roles"]]:
        if name not in roles:
            changes.append(f"role {name}")
            if not check:
                roles[name] = idn.create_role(name=name)
    return project, roles


def ensure_user(
    module: AnsibleModule, idn: Any, project: Any, roles: dict[str, Any], changes: list[str]
) -> None:
    p, check = module.params, module.check_mode
    user = idn.find_user(p["user"], domain_id="default")
    if user is None:
        changes.append(f"user {p['user']}")
        if not check:
            user = idn.create_user(name=p["user"], password=p["password"], domain_id="default")
    elif not password_valid(p["auth_url"], p["user"], p["password"]):
        changes.append(f"password of {p['user']}")
        if not check:
            idn.update_user(user, password=p["password"])
    for name in p["roles"]:
        has = (
            user is not None
            and project is not None
            and idn.validate_user_has_project_role(project, user, roles[name])
        )
        if not has:
            changes.append(f"role {name} for {p['user']}")
            if not check:
                idn.assign_project_role_to_user(project, user, roles[name])


def ensure_endpoints(module: AnsibleModule, idn: Any, changes: list[str]) -> None:
    p, check = module.params, module.check_mode
    service = next((s for s in idn.services() if s.type == p["service_type"]), None)
    if service is None:
        changes.append(f"service {p['service_type']}")
        if check:
            return
        service = idn.create_service(name=p["service_name"], type=p["service_type"])
    endpoints = {e.interface: e for e in idn.endpoints(service_id=service.id)}
    for interface in p["interfaces"]:
        endpoint = endpoints.get(interface)
        if endpoint is None:
            changes.append(f"endpoint {p['service_type']} {interface}")
            if not check:
                idn.create_endpoint(
                    service_id=service.id, interface=interface, url=p["url"], region_id=p["region"]
                )
        elif endpoint.url != p["url"]:
            changes.append(f"endpoint {p['service_type']} {interface} url")
            if not check:
                idn.update_endpoint(endpoint, url=p["url"])


def ensure(module: AnsibleModule, conn: Any) -> list[str]:
    changes: list[str] = []
    project, roles = ensure_project_and_roles(module, conn.identity, changes)
    if module.params["user"]:
        ensure_user(module, conn.identity, project, roles, changes)
    if module.params["service_type"]:
        ensure_endpoints(module, conn.identity, changes)
    return changes


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "auth_url": {"type": "str", "required": True},
            "admin_password": {"type": "str", "required": True, "no_log": True},
            "region": {"type": "str", "default": "RegionOne"},
            "user": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "roles": {"type": "list", "elements": "str", "default": ["admin", "service"]},
            "service_name": {"type": "str"},
            "service_type": {"type": "str"},
            "url": {"type": "str"},
            "interfaces": {"type": "list", "elements": "str", "default": ["public", "internal", "admin"]},
            "extra_roles": {"type": "list", "elements": "str", "default": []},
        },
        required_together=[("user", "password"), ("service_type", "service_name", "url")],
        supports_check_mode=True,
    )
    try:
        import openstack

        conn = openstack.connect(
            auth_url=module.params["auth_url"],
            username="admin",
            password=module.params["admin_password"],
            project_name="admin",
            user_domain_name="Default",
            project_domain_name="Default",
            region_name=module.params["region"],
            load_yaml_config=False,
            load_envvars=False,
        )
        changes = ensure(module, conn)
    except ImportError:
        module.fail_json(msg="openstacksdk is missing: run this module with the OpenStack venv's python")
    except Exception as exc:
        module.fail_json(msg=f"keystone: {type(exc).__name__}: {exc}")
    module.exit_json(changed=bool(changes), changes=changes)


if __name__ == "__main__":
    main()
