"""Every role's meta/argument_specs.yml names every variable the role reads (secrets and site-wide
`berth_*` settings included), so a role's inputs can be read in one place and Ansible validates them.

"Reads" is found by parsing every Jinja expression of the role (tasks, defaults, vars, templates) with
Jinja's own parser: what stays undeclared there is an input, minus what the role defines itself while it
runs (registered results, facts, task and loop variables, its own vars/main.yml) and Ansible's magic
variables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
import yaml

pytestmark = pytest.mark.ansible

ROLES = Path(__file__).resolve().parents[2] / "playbooks" / "roles"
SKELETON = "openstack_service"  # the role every OpenStack service role includes
# Ansible's magic and connection variables, and the globals its templating provides.
MAGIC = frozenset(
    {
        "item",
        "inventory_hostname",
        "inventory_hostname_short",
        "groups",
        "group_names",
        "hostvars",
        "play_hosts",
        "ansible_play_hosts",
        "ansible_play_hosts_all",
        "ansible_check_mode",
        "ansible_managed",
        "ansible_facts",
        "ansible_python_interpreter",
        "omit",
        "role_path",
        "lookup",
        "query",
        "q",
        "now",
        "undef",
        "range",
        "dict",
        "lipsum",
        "cycler",
        "joiner",
        "namespace",
    }
)


class _AnyName(dict[str, Any]):
    """Every filter and test name exists: Jinja's compiler insists, and we only parse."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> Any:
        return lambda value, *args, **kwargs: value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name]


_ENV = jinja2.Environment(autoescape=False)  # parsed, never rendered
_ENV.filters = _AnyName(_ENV.filters)
_ENV.tests = _AnyName(_ENV.tests)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


_BARE_EXPRESSIONS = ("when", "failed_when", "changed_when", "until", "loop_that")


def _expressions(task: Any) -> Iterator[str]:
    """Jinja text of a task: its strings, and its bare conditionals as expressions."""
    yield from _strings(task)
    if isinstance(task, dict):
        for key in _BARE_EXPRESSIONS:
            value = task.get(key)
            for condition in value if isinstance(value, list) else [value]:
                if isinstance(condition, str):
                    yield "{{ " + condition + " }}"


def _referenced(text: str) -> set[str]:
    if "{{" not in text and "{%" not in text:
        return set()
    return set(jinja2.meta.find_undeclared_variables(_ENV.parse(text)))


def _defined_by_tasks(node: Any) -> set[str]:
    """register:, set_fact keys, task vars:, loop_var: and index_var: anywhere in a task list."""
    names: set[str] = set()
    if isinstance(node, list):
        for item in node:
            names |= _defined_by_tasks(item)
    elif isinstance(node, dict):
        if isinstance(node.get("register"), str):
            names.add(node["register"])
        for key in ("ansible.builtin.set_fact", "set_fact"):
            if isinstance(node.get(key), dict):
                names |= set(node[key])
        if isinstance(node.get("vars"), dict) and "ansible.builtin.include_role" not in node:
            names |= set(node["vars"])
        loop_control = node.get("loop_control")
        if isinstance(loop_control, dict):
            names.update(
                loop_control[key]
                for key in ("loop_var", "index_var")
                if isinstance(loop_control.get(key), str)
            )
        for key in ("block", "rescue", "always"):
            names |= _defined_by_tasks(node.get(key))
    return names


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def role_inputs(role: Path) -> set[str]:
    """Every variable `role` reads that it does not define while running."""
    referenced: set[str] = set()
    defined: set[str] = set()
    for path in sorted((role / "tasks").glob("*.yml")):
        tasks = _load(path) or []
        defined |= _defined_by_tasks(tasks)
        for task in tasks:
            for text in _expressions(task):
                referenced |= _referenced(text)
    for folder in ("defaults", "vars"):
        path = role / folder / "main.yml"
        if path.is_file():
            data = _load(path) or {}
            for text in _strings(data):
                referenced |= _referenced(text)
            if folder == "vars":
                defined |= set(data)  # internal: the role's own derived values, not inputs
    for path in sorted((role / "templates").glob("*.j2")):
        referenced |= _referenced(path.read_text(encoding="utf-8"))
    if role.name != SKELETON and any(SKELETON in p.read_text() for p in (role / "tasks").glob("*.yml")):
        for path in (role.parent / SKELETON / "tasks").glob(
            "*.yml"
        ):  # facts the skeleton sets for its caller
            defined |= _defined_by_tasks(_load(path) or [])
    return referenced - defined - MAGIC


def spec_options(role: Path) -> set[str]:
    specs = _load(role / "meta" / "argument_specs.yml")["argument_specs"]
    return {name for entry in specs.values() for name in (entry.get("options") or {})}


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir() if (p / "tasks").is_dir()))
def test_argument_specs_name_every_input(role: str) -> None:
    missing = role_inputs(ROLES / role) - spec_options(ROLES / role)
    assert not missing, f"{role}/meta/argument_specs.yml does not name: {', '.join(sorted(missing))}"


def test_the_finder_sees_conditionals_templates_and_defaults(tmp_path: Path) -> None:
    role = tmp_path / "demo"
    for folder in ("tasks", "defaults", "templates", "meta"):
        (role / folder).mkdir(parents=True)
    (role / "tasks" / "main.yml").write_text(
        "- name: Go\n  ansible.builtin.debug: {msg: '{{ demo_msg }}'}\n  when: demo_on and item\n"
        "  register: demo_result\n  loop: '{{ demo_list }}'\n"
    )
    (role / "defaults" / "main.yml").write_text("demo_msg: '{{ berth_site_name }}'\n")
    (role / "templates" / "x.conf.j2").write_text("{% for h in demo_hosts %}{{ h }}{% endfor %}\n")
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs: {main: {options: {demo_msg: {type: str}}}}\n"
    )
    found = role_inputs(role)
    assert found == {"demo_msg", "demo_on", "demo_list", "berth_site_name", "demo_hosts"}
    assert found - spec_options(role) == {"demo_on", "demo_list", "berth_site_name", "demo_hosts"}
