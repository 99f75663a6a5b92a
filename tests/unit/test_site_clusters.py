"""`berth cloud status`'s cluster verdicts (berth_core.clusters) over module results built the way the
modules build them, from output recorded on lab hosts (tests/fixtures/loadbalancer, rabbitmq) and
MariaDB 10.11's status text; and the event collector that feeds them (services.clusters)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from berth_cli.ansible.vars_files import SiteVars
from berth_cli.services.clusters import collector, has_clusters
from berth_core.clusters import GALERA, HAPROXY, RABBITMQ, STATUS_MODULES, UNREACHABLE, VIP, site_clusters

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "playbooks" / "collections"))

from ansible_collections.berth.cloud.plugins.module_utils.galera import node_summary, parse_status
from ansible_collections.berth.cloud.plugins.module_utils.rabbitmq_cluster import (
    complete,
    failed_status,
    missing,
    parse_cluster_status,
)

from tests.support.plugins import load_plugin
from tests.unit.test_galera_logic import SYNCED

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
HOSTS = ["rmq1", "rmq2", "rmq3"]  # the recordings' hosts
NODES = [f"rabbit@{h}" for h in HOSTS]


haproxy_status = load_plugin("modules/haproxy_status.py")
vip_status = load_plugin("modules/vip_status.py")


def vip_result(fixture: str) -> dict[str, Any]:
    held = vip_status.held(["10.251.0.60"], (FIXTURES / "loadbalancer" / fixture).read_text())
    return {"held": list(held), "interfaces": held, "holder": bool(held), "changed": False}


def haproxy_result() -> dict[str, Any]:
    text = (FIXTURES / "loadbalancer" / "show-stat.csv").read_text()
    proxies = haproxy_status.summarise(haproxy_status.parse_show_stat(text))
    return {"proxies": proxies, "down": haproxy_status.down_servers(proxies), "changed": False}


def galera_result(text: str, running: bool = True) -> dict[str, Any]:
    return {"installed": True, "running": running, **node_summary(parse_status(text)), "grastate": None}


def rabbit_result(node: str, fixture: str | None) -> dict[str, Any]:
    if fixture is None:
        down = (FIXTURES / "rabbitmq" / "cluster_status_down.txt").read_text()
        status = failed_status(node, 69, down)
    else:
        status = parse_cluster_status(node, (FIXTURES / "rabbitmq" / fixture).read_text())
    return {"complete": complete(status, NODES), "missing": missing(status, NODES), **status.as_dict()}


def unreachable(message: str, modules: tuple[str, ...] = (VIP, GALERA, RABBITMQ)) -> dict[str, Any]:
    """What the collector keeps of a host the play could not reach: each module's task, unreachable."""
    return {module: {UNREACHABLE: message} for module in modules}


def healthy_site() -> dict[str, dict[str, Any]]:
    return {
        host: {
            VIP: vip_result("ip-addr-holder.txt" if host == "rmq1" else "ip-addr-backup.txt"),
            GALERA: galera_result(SYNCED),
            RABBITMQ: rabbit_result(f"rabbit@{host}", "cluster_status_three_running.json"),
        }
        for host in HOSTS
    }


def by_name(observed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {c.name: c for c in site_clusters(observed, ["10.251.0.60"])}


def test_a_healthy_site_has_one_vip_holder_a_synced_galera_of_three_and_three_brokers() -> None:
    clusters = by_name(healthy_site())
    assert list(clusters) == ["vip", "galera", "rabbitmq"]  # no HAProxy result: no HAProxy table
    assert all(c.healthy for c in clusters.values()), {n: c.problems for n, c in clusters.items()}
    assert clusters["vip"].rows == [{"vip": "10.251.0.60", "holders": ["rmq1"]}]
    assert [(r["host"], r["state"], r["size"]) for r in clusters["galera"].rows] == [
        (h, "Synced", 3) for h in HOSTS
    ]
    assert all(sorted(r["running"]) == NODES for r in clusters["rabbitmq"].rows)


def test_haproxy_names_each_backend_server_that_is_down() -> None:
    observed = {h: {HAPROXY: haproxy_result()} for h in HOSTS}
    cluster = by_name(observed)["haproxy"]
    down = haproxy_result()["down"]
    assert down and not cluster.healthy
    assert cluster.rows[0]["servers_up"] == cluster.rows[0]["servers"] - len(down)
    assert all(", ".join(down) in p for p in cluster.problems)


def test_a_vip_held_twice_or_by_nobody_is_a_problem() -> None:
    observed = healthy_site()
    observed["rmq2"][VIP] = vip_result("ip-addr-holder.txt")
    assert by_name(observed)["vip"].problems == ["VIP 10.251.0.60 is held by rmq1, rmq2"]
    for host in HOSTS:
        observed[host][VIP] = vip_result("ip-addr-backup.txt")
    assert by_name(observed)["vip"].problems == ["VIP 10.251.0.60 is held by no load balancer"]


def test_a_lost_controller_shows_in_every_cluster() -> None:
    observed = healthy_site()
    observed["rmq2"] = unreachable("Failed to connect to the host via ssh")
    observed["cmp1"] = {}  # a compute the play could not reach either: in no cluster's play, so in none
    two = SYNCED.replace("wsrep_cluster_size\t3", "wsrep_cluster_size\t2")
    for host in ("rmq1", "rmq3"):
        observed[host][GALERA] = galera_result(two)
        observed[host][RABBITMQ] = rabbit_result(f"rabbit@{host}", "cluster_status_one_stopped.json")
    clusters = by_name(observed)
    lost = "rmq2: unreachable: Failed to connect to the host via ssh"
    galera, rabbit = clusters["galera"], clusters["rabbitmq"]
    assert galera.problems == ["rmq1: sees a cluster of 2, not 3", lost, "rmq3: sees a cluster of 2, not 3"]
    assert galera.rows[1] == {"host": "rmq2", "state": "-", "size": 0, "component": "-", "error": lost[6:]}
    assert rabbit.problems == [
        "rmq1: not running: rabbit@rmq2",
        lost,
        "rmq3: not running: rabbit@rmq2",
    ]
    assert [r["running"] for r in rabbit.rows] == [
        ["rabbit@rmq3", "rabbit@rmq1"],
        [],
        ["rabbit@rmq3", "rabbit@rmq1"],
    ]
    # rmq1 still holds the VIP alone; whether the lost host holds it too cannot be known
    assert clusters["vip"].rows == [{"vip": "10.251.0.60", "holders": ["rmq1"]}]
    assert clusters["vip"].problems == [lost]


def test_a_stopped_broker_and_a_stopped_mariadb_are_named() -> None:
    observed = healthy_site()
    observed["rmq2"][RABBITMQ] = rabbit_result("rabbit@rmq2", None)
    observed["rmq2"][GALERA] = galera_result("", running=False)
    clusters = by_name(observed)
    assert "rmq2: MariaDB is not running" in clusters["galera"].problems
    assert any(
        p.startswith("rmq2: broker down: Error: unable to perform") for p in clusters["rabbitmq"].problems
    )


def test_members_of_two_clusters_are_a_split_brain() -> None:
    observed = healthy_site()
    other = SYNCED.replace("6f2e9c4a-1d3b-11ef-8b1a-3e5f7a9c0d21", "00000000-1d3b-11ef-8b1a-3e5f7a9c0d21")
    observed["rmq3"][GALERA] = galera_result(other)
    assert "the members are in 2 different clusters (split brain)" in by_name(observed)["galera"].problems


def test_the_collector_keeps_status_results_and_unreachable_hosts_only() -> None:
    observed, handler = collector(STATUS_MODULES)
    events: list[dict[str, Any]] = [
        {"event": "playbook_on_start", "event_data": {}},
        {"event": "runner_on_ok", "event_data": {"host": "lb1", "task_action": VIP, "res": {"held": []}}},
        {
            "event": "runner_on_ok",
            "event_data": {"host": "lb1", "task_action": "ansible.builtin.include_role", "res": {}},
        },
        {
            "event": "runner_on_failed",
            "event_data": {"host": "lb2", "task_action": HAPROXY, "res": {"msg": "no socket"}},
        },
    ]
    # as ansible-runner reports a host the play could not reach (recorded in the lab: one event per task)
    gone = 'Task failed: Data could not be sent to remote host "10.251.0.13".'
    events += [
        {
            "event": "runner_on_unreachable",
            "event_data": {"host": "lb3", "task_action": a, "res": {"msg": gone}},
        }
        for a in (VIP, HAPROXY)
    ]
    events.append(
        {"event": "runner_on_unreachable", "event_data": {"host": "cmp1", "task_action": "x.y.z", "res": {}}}
    )
    assert all(handler(e) for e in events)
    assert observed == {
        "lb1": {VIP: {"held": []}},
        "lb2": {HAPROXY: {"msg": "no socket"}},
        "lb3": {VIP: {UNREACHABLE: gone}, HAPROXY: {UNREACHABLE: gone}},
    }
    assert by_name(observed)["haproxy"].problems == [
        "lb2: HAProxy no socket",
        f"lb3: unreachable: {gone}",
    ]


def test_only_a_site_that_names_a_vip_or_cluster_members_has_clusters() -> None:
    assert not has_clusters(SiteVars(values={"berth_site": "aio", "berth_db_host": "127.0.0.1"}))
    assert has_clusters(SiteVars(values={"rabbitmq_cluster_members": ["ctl1"]}))
    assert has_clusters(SiteVars(values={"berth_internal_vip": "10.251.0.10"}))


def test_status_renders_each_cluster_and_its_problems_even_when_the_cloud_does_not_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from berth_cli.rendering.status import print_status

    observed = healthy_site()
    observed["rmq2"] = unreachable("Failed to connect")
    report = {
        "site": "lab",
        "healthy": False,
        "error": "lab: cloud not answering: ConnectFailure",
        "endpoints": [],
        "computes": [],
        "clusters": [c.to_dict() for c in site_clusters(observed, ["10.251.0.60"])],
    }
    print_status(report)
    out = capsys.readouterr().out
    assert "cloud not answering: lab: cloud not answering: ConnectFailure" in out
    assert "endpoints" not in out  # nothing to show: the error says why
    for title in ("lab: VIP (NOT HEALTHY)", "lab: Galera (NOT HEALTHY)", "lab: RabbitMQ (NOT HEALTHY)"):
        assert title in out
    assert "rmq2: unreachable: Failed to connect" in out
    assert "rmq1: sees a cluster of 2, not 3" not in out  # SYNCED says 3: only rmq2 is wrong here
