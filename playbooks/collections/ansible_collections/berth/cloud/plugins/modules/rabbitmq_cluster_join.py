#!/usr/bin/python
"""Make this host's RabbitMQ node a member of its site's cluster (stop_app / join_cluster / start_app)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: rabbitmq_cluster_join
short_description: Join this host's RabbitMQ node to the cluster of the given members
description:
  - Reads every member's cluster status by name (the Erlang cookie is shared), chooses the member to
    join (the running member whose cluster runs the most members; the first member on a pristine site)
    and, when this node is not in that cluster, joins it - C(stop_app), C(join_cluster), C(start_app),
    then C(rabbitmq-queues grow) to place quorum queue replicas on it.
  - A node re-created pristine under an old name is still listed, stopped, by the survivors, and
    C(join_cluster) would answer C(already_member) without joining; its old identity is forgotten on the
    joined member first (C(forget_cluster_node)).
  - A node whose broker application was stopped (C(stop_app)) is started first.
  - Run it on one host at a time (C(throttle 1)), so each sees the joins before it. Check mode reports
    the steps without running them.
options:
  node: {description: This host's node name (rabbit@HOST)., type: str, required: true}
  members:
    description: Every member's node name, in the site's order (this node among them).
    type: list
    elements: str
    required: true
  timeout: {description: Seconds allowed to each rabbitmqctl call., type: int, default: 120}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Join the cluster
  berth.cloud.rabbitmq_cluster_join:
    node: rabbit@ctl2
    members: [rabbit@ctl1, rabbit@ctl2, rabbit@ctl3]
  throttle: 1
"""

RETURN = r"""
steps: {description: "The steps run (or, in check mode, to run), each [command, args...].", type: list, elements: list, returned: always}
seed: {description: The member joined (none when nothing was to do)., type: str, returned: always}
members: {description: The cluster's members seen from this node afterwards., type: list, elements: str, returned: always}
running_nodes: {description: Its running members afterwards., type: list, elements: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.berth.cloud.plugins.module_utils.rabbitmq_cluster import (
    APP_STOPPED,
    RUNNING,
    choose_seed,
    join_steps,
)
from ansible_collections.berth.cloud.plugins.module_utils.rabbitmqctl import TIMED_OUT, cluster_status, run


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "node": {"type": "str", "required": True},
            "members": {"type": "list", "elements": "str", "required": True},
            "timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    node, members, timeout = module.params["node"], module.params["members"], module.params["timeout"]
    if node not in members:
        module.fail_json(msg=f"{node} is not one of the members {members}")
    done: list[list[str]] = []

    def step(tool: str, *args: str) -> None:
        rc, out = run(["-q", *args], timeout, tool=tool)
        if rc != 0:
            reason = out.strip() if rc != TIMED_OUT else out
            module.fail_json(msg=f"{tool} {' '.join(args)} failed: {reason[:800]}", steps=done)

    local = cluster_status(node, timeout)
    if local.state == APP_STOPPED:
        done.append(["start_app"])
        if module.check_mode:
            module.exit_json(changed=True, steps=done, seed="", members=[], running_nodes=[])
        step("rabbitmqctl", "-n", node, "start_app")
        local = cluster_status(node, timeout)
    if local.state != RUNNING:
        module.fail_json(msg=f"RabbitMQ node {node} is {local.state}: {local.error}", steps=done)
    statuses = {node: local}
    statuses.update({m: cluster_status(m, timeout) for m in members if m != node})
    steps = join_steps(node, members, statuses)
    seed = choose_seed(members, statuses) if steps else ""
    if module.check_mode or not steps:
        module.exit_json(
            changed=bool(done or steps),
            steps=done + steps,
            seed=seed or "",
            members=list(local.members),
            running_nodes=list(local.running),
        )
    for command, *args in steps:
        if command == "forget_cluster_node":
            step("rabbitmqctl", "-n", args[0], "forget_cluster_node", args[1])
        elif command == "grow":
            step("rabbitmq-queues", "-n", node, "grow", args[0], "all")
        elif command == "join_cluster":
            rc, out = run(["-q", "-n", node, "join_cluster", args[0]], timeout)
            if rc != 0:
                run(["-q", "-n", node, "start_app"], timeout)  # leave the broker running, alone
                module.fail_json(msg=f"join_cluster {args[0]} failed: {out.strip()[:800]}", steps=done)
        else:
            step("rabbitmqctl", "-n", node, command)
        done.append([command, *args])
    after = cluster_status(node, timeout)
    module.exit_json(
        changed=True, steps=done, seed=seed, members=list(after.members), running_nodes=list(after.running)
    )


if __name__ == "__main__":
    main()
