"""Site lab's highly available infrastructure, deployed over SSH onto pristine hosts by berth's roles
(docs/ha.md, docs/loadbalancer.md), then broken the ways a controller fails and repaired by a re-deploy:

- the first deploy forms a Galera cluster of three, every member Synced (wsrep_local_state_comment and
  wsrep_cluster_size, what the role's own gates read), MariaDB and Galera on the management address
  only, the state-transfer password on no command line; a RabbitMQ cluster of three, every node running;
  the VIP held by exactly one controller; a row written on the first controller is read on the third;
  a second deploy changes nothing;
- keepalived and HAProxy (tests/lab/vip.py): backends through the VIP, one marked DOWN, MariaDB's one
  writer, TLS on the VIP, HAProxy stopped on the holder gives the VIP away;
- MariaDB stopped on the second controller and RabbitMQ on the first: the others stay Synced in a Primary
  component of two and take writes, the broker's cluster runs two; a deploy starts both, MariaDB rejoins
  (IST) with the row written while it was down, the broker's cluster runs three again;
- the controller holding the VIP loses power (its PID 1 killed: every process of the host dies) under a
  probe through the VIP five times a second: the time to takeover and the success ratio are printed;
  the survivors evict it from Galera and stay Synced as two; `berth lab up` re-creates it pristine, a
  deploy installs it and it joins Galera by SST (mariabackup) with every row, and RabbitMQ (its old
  identity forgotten first) with three nodes running.

The site is BERTH_LAB_HA_SITE (default `lab`); its controllers are the members (inventory/<site>/
group_vars/all/galera.yml, rabbitmq.yml) and the load balancers (loadbalancer.yml)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab.conftest import REPO, Lab, lab_fixture
from tests.lab.vip import check_the_vip, power_loss, read_site

sys.path.insert(0, str(REPO / "playbooks" / "collections"))
from ansible_collections.berth.cloud.plugins.module_utils.galera import node_summary, parse_status
from ansible_collections.berth.cloud.plugins.module_utils.rabbitmq_cluster import (
    NodeStatus,
    failed_status,
    parse_cluster_status,
)

pytestmark = [pytest.mark.lab, pytest.mark.ansible, pytest.mark.slow]

SITE = os.environ.get("BERTH_LAB_HA_SITE", "lab")
DB = "berth_galera_test"


@pytest.fixture
def ha_lab(capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
    yield from lab_fixture(SITE, capsys)


def controllers() -> list[tuple[str, str]]:
    doc = yaml.safe_load((REPO / "inventory" / SITE / "lab.yml").read_text())
    return [(h["name"], h["address"]) for h in doc["hosts"] if "controllers" in h["groups"]]


def deploy(lab: Lab, timings: dict[str, float], label: str) -> dict[str, Any]:
    start = time.monotonic()
    code, doc = lab.json("cloud", "deploy", "--tags", "baseline,infra", "--timeout", "1800")
    timings[label] = round(time.monotonic() - start, 1)
    assert code == 0 and doc["failed"] == 0, doc
    return doc


def sql(lab: Lab, address: str, statement: str) -> str:
    """As root over the member's unix socket (no password anywhere)."""
    done = lab.ssh(address, f'mysql -uroot -N -B -e "{statement}"')
    assert done.returncode == 0, f"{address}: {done.stderr}"
    return done.stdout.strip()


def galera(lab: Lab, address: str) -> dict[str, Any]:
    done = lab.ssh(address, "mysql -uroot -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep%'\"")
    return node_summary(parse_status(done.stdout if done.returncode == 0 else ""))


def rabbit(lab: Lab, name: str, address: str) -> NodeStatus:
    """The broker's own view of its cluster, read as the role's modules read it."""
    done = lab.ssh(address, "rabbitmqctl -q cluster_status --formatter json")
    node = f"rabbit@{name}"
    if done.returncode != 0:
        return failed_status(node, done.returncode, done.stdout + done.stderr)
    return parse_cluster_status(node, done.stdout)


def wait_for(what: str, check: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds}s: {what}"
        time.sleep(2)


def assert_galera(lab: Lab, members: list[tuple[str, str]], size: int) -> None:
    for name, address in members:
        node = galera(lab, address)
        assert (node["local_state_comment"], node["cluster_status"], node["cluster_size"]) == (
            "Synced",
            "Primary",
            size,
        ), f"{name}: {node}"
        assert node["synced"] and node["ready"], f"{name}: {node}"


def assert_rabbit(lab: Lab, nodes: list[tuple[str, str]], asked: list[tuple[str, str]], running: int) -> None:
    """Every node asked lists all of `nodes` as members, `running` of them running, no partition."""
    everyone = sorted(f"rabbit@{n}" for n, _ in nodes)
    for name, address in asked:
        status = rabbit(lab, name, address)
        assert status.state == "running", f"{name}: {status}"
        assert sorted(status.members) == everyone, f"{name}: {status}"
        assert len(status.running) == running and not status.partitions, f"{name}: {status}"


def cloud_status(lab: Lab) -> dict[str, Any]:
    """`berth cloud status`: the OpenStack services are not deployed here (exit 5), the clusters are."""
    code, doc = lab.json("cloud", "status")
    assert code == 5 and not doc["healthy"] and doc["error"], doc
    return {c["name"]: c for c in doc["clusters"]}


def rows(lab: Lab, address: str) -> list[str]:
    return sql(lab, address, f"SELECT note FROM {DB}.t ORDER BY id").splitlines()


def test_the_ha_infrastructure_forms_and_survives_a_stopped_member_and_a_lost_controller(
    ha_lab: Lab, tmp_path: Path
) -> None:
    lab, timings = ha_lab, {}
    nodes = controllers()
    assert len(nodes) == 3, nodes
    address = dict(nodes)
    (n1, a1), (n2, a2), (n3, a3) = nodes
    code, up = lab.json("lab", "up")
    assert code == 0 and all(h["action"] == "created" for h in up["hosts"]), up
    site = read_site(lab)
    assert sorted(site.hosts) == sorted(address), "the load balancers are the controllers"

    first = deploy(lab, timings, "first deploy")
    assert int(first["changed"]) > 0
    assert_galera(lab, nodes, 3)
    assert_rabbit(lab, nodes, nodes, 3)
    secret = yaml.safe_load((REPO / ".berth" / SITE / "secrets" / "passwords.yml").read_text())
    password = str(secret["mariadb_sst_password"])
    for name, host in nodes:
        listening = lab.ssh(host, "ss -ltnH").stdout
        for port in (3306, 4567, 5672, 25672):
            assert f"{host}:{port} " in listening, f"{name} does not listen on {host}:{port}"
            assert f"0.0.0.0:{port} " not in listening and f"*:{port} " not in listening, name
        assert sql(lab, host, "SELECT @@wsrep_sst_method") == "mariabackup"
        processes = lab.ssh(host, "ps -eo args").stdout
        assert "mariadbd" in processes and password not in processes, (
            f"{name}: SST password on a command line"
        )
        mode = lab.ssh(host, "stat -c %a /etc/mysql/mariadb.conf.d/99-berth-sst.cnf").stdout.strip()
        assert mode == "600", f"{name}: 99-berth-sst.cnf is {mode}"

    clusters = cloud_status(lab)
    assert list(clusters) == ["vip", "haproxy", "galera", "rabbitmq"]
    assert all(c["healthy"] for n, c in clusters.items() if n != "haproxy"), clusters
    assert clusters["vip"]["rows"][0]["vip"] == site.vip and len(clusters["vip"]["rows"][0]["holders"]) == 1
    assert [r["size"] for r in clusters["galera"]["rows"]] == [3, 3, 3]
    assert [len(r["running"]) for r in clusters["rabbitmq"]["rows"]] == [3, 3, 3]
    # no OpenStack API is deployed yet: HAProxy sees every API server down, MariaDB's up
    haproxy = clusters["haproxy"]["rows"]
    assert all(not any(d.startswith("mariadb/") for d in r["down"]) and r["down"] for r in haproxy), haproxy

    sql(lab, a1, f"CREATE DATABASE {DB}; CREATE TABLE {DB}.t (id INT PRIMARY KEY, note VARCHAR(64))")
    sql(lab, a1, f"INSERT INTO {DB}.t VALUES (1, 'written on {n1}')")
    assert rows(lab, a3) == [f"written on {n1}"]

    second = deploy(lab, timings, "second deploy")
    assert second["changed"] == 0, second["hosts"]

    with lab.capsys.disabled():
        print()
        holder = check_the_vip(lab, site, tmp_path)

    # MariaDB alone stops on the second controller, RabbitMQ alone on the first: clean leaves
    lab.ssh(a2, "service mariadb stop")
    lab.ssh(a1, "service rabbitmq-server stop")
    assert galera(lab, a2)["cluster_size"] == 0, "mariadb still answers on the stopped member"
    assert rabbit(lab, n1, a1).state == "down", "rabbitmq still answers on the stopped node"
    wait_for(f"{n1} and {n3} Synced as two", lambda: all(galera(lab, a)["synced"] for a in (a1, a3)))
    assert_galera(lab, [(n1, a1), (n3, a3)], 2)
    assert_rabbit(lab, nodes, [(n2, a2), (n3, a3)], 2)
    sql(lab, a3, f"INSERT INTO {DB}.t VALUES (2, 'written on {n3} while {n2} was stopped')")
    assert len(rows(lab, a1)) == 2

    site.stop_backends()
    third = deploy(lab, timings, "deploy after stopped members")
    assert int(third["changed"]) > 0  # the starts of the stopped services (and HAProxy back to plain HTTP)
    site.tls = None
    assert_galera(lab, nodes, 3)
    assert_rabbit(lab, nodes, nodes, 3)
    assert rows(lab, a2) == [f"written on {n1}", f"written on {n3} while {n2} was stopped"]

    # the controller holding the VIP loses power: its PID 1 killed, every process of the host dies with it
    assert site.holders() == [holder]
    site.start_backends()
    site.wait_servers(holder, "keystone", dict.fromkeys(site.hosts, "UP"))
    survivors = [(n, a) for n, a in nodes if n != holder]
    takeover = power_loss(site, holder)
    with lab.capsys.disabled():
        print(f"power loss of {holder}: {takeover}")
    assert takeover.new_holder != holder and takeover.takeover_s < 30  # VRRP: ~3 adverts of a second
    wait_for(
        f"{' and '.join(n for n, _ in survivors)} evict {holder} and stay Synced as two",
        lambda: all(galera(lab, a)["synced"] and galera(lab, a)["cluster_size"] == 2 for _, a in survivors),
    )
    assert_galera(lab, survivors, 2)
    wait_for(
        f"the brokers of {survivors} see {holder} stopped",
        lambda: all(len(rabbit(lab, n, a).running) == 2 for n, a in survivors),
    )
    assert_rabbit(lab, nodes, survivors, 2)
    sql(lab, survivors[0][1], f"INSERT INTO {DB}.t VALUES (3, 'written while {holder} was down')")
    clusters = cloud_status(lab)
    assert clusters["vip"]["rows"][0]["holders"] == [takeover.new_holder]
    gone = f"{holder}: unreachable"
    for name in ("vip", "haproxy", "galera", "rabbitmq"):
        assert any(p.startswith(gone) for p in clusters[name]["problems"]), clusters[name]

    site.stop_backends()
    code, up = lab.json("lab", "up")
    assert code == 0, up
    assert {h["name"]: h["action"] for h in up["hosts"]}[holder] == "created", up
    lost = address[holder]
    assert lab.ssh(lost, "test -e /usr/sbin/mariadbd").returncode == 1, f"{holder} is not pristine"
    site.dead.discard(holder)

    fourth = deploy(lab, timings, "deploy after a lost controller")
    assert int(fourth["changed"]) > 0
    assert_galera(lab, nodes, 3)
    assert_rabbit(lab, nodes, nodes, 3)
    assert len(rows(lab, lost)) == 3, "the re-created member did not get the data"
    assert lab.ssh(lost, "test -e /var/lib/mysql/xtrabackup_galera_info_SST").returncode == 0, "no SST"
    assert len(site.holders()) == 1

    with lab.capsys.disabled():
        changed = {"first": first["changed"], "second": second["changed"]}
        print(f"ha lab {SITE}: {timings} changed {changed}")
