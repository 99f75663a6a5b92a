"""Run rabbitmqctl and rabbitmq-queues with a time limit, and read a node's cluster status.

The I/O half of rabbitmq_cluster (which stays pure). A node whose host is gone can keep the CLI waiting
on the network, so every call has a deadline, after which its whole process group is killed (Debian's
wrappers run the real CLI under `su rabbitmq`, a child of the process started here)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess

from ansible_collections.berth.cloud.plugins.module_utils.rabbitmq_cluster import (
    ABSENT,
    DOWN,
    ERROR,
    NodeStatus,
    failed_status,
    parse_cluster_status,
)

TIMED_OUT = -1


def tool_path(tool: str = "rabbitmqctl") -> str | None:
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")


def run(args: list[str], timeout: float, tool: str = "rabbitmqctl") -> tuple[int, str]:
    """(exit code, stdout and stderr) of `tool args`; TIMED_OUT when it did not end within `timeout`."""
    exe = tool_path(tool)
    if exe is None:
        return 127, f"{tool} is not installed"
    proc = subprocess.Popen(  # noqa: S603 - an argv list (no shell) of rabbitmqctl and its arguments
        [exe, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return TIMED_OUT, f"{tool} {' '.join(args)}: no answer within {timeout:.0f} s"
    return proc.returncode, without_cookie_hash(out)


def without_cookie_hash(text: str) -> str:
    """rabbitmqctl's diagnostics print a hash of the Erlang cookie: never let it reach a result or log."""
    return "\n".join(line for line in text.splitlines() if "cookie hash" not in line.lower())


def cluster_status(node: str, timeout: float) -> NodeStatus:
    """The cluster as `node` sees it (asked by name: this host's node or another member's)."""
    if tool_path() is None:
        return NodeStatus(node=node, state=ABSENT, error="rabbitmqctl is not installed")
    rc, out = run(["-q", "-n", node, "cluster_status", "--formatter", "json"], timeout)
    if rc == TIMED_OUT:
        return NodeStatus(node=node, state=DOWN, error=out)
    if rc != 0:
        return failed_status(node, rc, out)
    try:
        return parse_cluster_status(node, out)
    except ValueError as exc:
        return NodeStatus(node=node, state=ERROR, error=str(exc))
