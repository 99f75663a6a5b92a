#!/usr/bin/python
"""A RabbitMQ node's view of its cluster (read-only): members, running nodes, partitions."""

from __future__ import annotations

DOCUMENTATION = r"""
module: rabbitmq_cluster_status
short_description: Read a RabbitMQ node's cluster status through rabbitmqctl
description:
  - Runs C(rabbitmqctl cluster_status --formatter json) against a node, by name (this host's node or
    another member's, reached with the shared Erlang cookie). Read-only; never reports a change and
    never fails for the node's state, which it reports instead (running, app_stopped, down, absent,
    error).
  - With I(expected), also says whether that is the whole cluster, every node running, with no
    partition (C(complete)), and what is missing.
options:
  node: {description: Erlang node name to ask (rabbit@HOST)., type: str, required: true}
  expected:
    description: Node names the cluster should have, all running.
    type: list
    elements: str
    default: []
  timeout: {description: Seconds to wait for rabbitmqctl., type: int, default: 30}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Read the cluster
  berth.cloud.rabbitmq_cluster_status:
    node: rabbit@ctl1
    expected: [rabbit@ctl1, rabbit@ctl2, rabbit@ctl3]
  register: cluster
"""

RETURN = r"""
node: {description: The node asked., type: str, returned: always}
state: {description: "running, app_stopped (VM up, broker stopped), down, absent (no rabbitmqctl) or error.", type: str, returned: always}
members: {description: Nodes the cluster lists (disc and RAM)., type: list, elements: str, returned: always}
running_nodes: {description: Members running and clustered with the node., type: list, elements: str, returned: always}
partitions: {description: Node to the nodes it is partitioned from (empty when none)., type: dict, returned: always}
alarms: {description: Resource alarms in force., type: list, elements: str, returned: always}
cluster_name: {description: The cluster's name., type: str, returned: always}
error: {description: First line of rabbitmqctl's message when the state is not running., type: str, returned: always}
complete: {description: Every expected node is a running member and no partition is seen., type: bool, returned: always}
missing:
  description: not_members, not_running, unexpected (listed, not expected) and partitioned nodes.
  type: dict
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.berth.cloud.plugins.module_utils.rabbitmq_cluster import complete, missing
from ansible_collections.berth.cloud.plugins.module_utils.rabbitmqctl import cluster_status


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "node": {"type": "str", "required": True},
            "expected": {"type": "list", "elements": "str", "default": []},
            "timeout": {"type": "int", "default": 30},
        },
        supports_check_mode=True,
    )
    expected = module.params["expected"]
    status = cluster_status(module.params["node"], module.params["timeout"])
    module.exit_json(
        changed=False,
        complete=complete(status, expected) if expected else status.state == "running",
        missing=missing(status, expected),
        **status.as_dict(),
    )


if __name__ == "__main__":
    main()
