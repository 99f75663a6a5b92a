"""MariaDB Galera on a lab site's three controllers, deployed over SSH onto pristine hosts by the mariadb
role (docs/ha.md, Galera), then broken the two ways a controller fails and repaired by a re-deploy:

- the first deploy forms a cluster of three, every member Synced (wsrep_local_state_comment and
  wsrep_cluster_size, what the role's own gates read), MariaDB and Galera on the management address
  only, the state-transfer password on no command line; a row written on the first controller is read on
  the third; a second deploy changes nothing;
- MariaDB alone stopped on the second controller: the other two stay Synced in a Primary component of
  two and take writes; a deploy starts it, it rejoins (IST) and has the row written while it was down;
- the third controller loses power (its PID 1 killed: every process of the host dies): the survivors
  evict it and stay Synced as two; `berth lab up` re-creates it pristine, a deploy installs MariaDB on it
  and it joins by SST (mariabackup) with every row.

The site is BERTH_LAB_GALERA_SITE (default `lab`); its controllers are the members
(inventory/<site>/group_vars/all/galera.yml)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from berth_cli.lab import host as lab_host
from berth_cli.lab.plan import LabHost
from tests.lab.conftest import REPO, Lab, lab_fixture

sys.path.insert(0, str(REPO / "playbooks" / "collections"))
from ansible_collections.berth.cloud.plugins.module_utils.galera import node_summary, parse_status

pytestmark = [pytest.mark.lab, pytest.mark.ansible, pytest.mark.slow]

SITE = os.environ.get("BERTH_LAB_GALERA_SITE", "lab")
DB = "berth_galera_test"


@pytest.fixture
def galera_lab(capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
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


def wait_for(what: str, check: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds}s: {what}"
        time.sleep(2)


def assert_cluster(lab: Lab, members: list[tuple[str, str]], size: int) -> None:
    for name, address in members:
        node = galera(lab, address)
        assert (node["local_state_comment"], node["cluster_status"], node["cluster_size"]) == (
            "Synced",
            "Primary",
            size,
        ), f"{name}: {node}"
        assert node["synced"] and node["ready"], f"{name}: {node}"


def rows(lab: Lab, address: str) -> list[str]:
    return sql(lab, address, f"SELECT note FROM {DB}.t ORDER BY id").splitlines()


def test_galera_forms_survives_a_stopped_member_and_a_lost_controller(galera_lab: Lab) -> None:
    lab, timings = galera_lab, {}
    nodes = controllers()
    assert len(nodes) == 3, nodes
    (n1, a1), (n2, a2), (n3, a3) = nodes
    code, up = lab.json("lab", "up")
    assert code == 0 and all(h["action"] == "created" for h in up["hosts"]), up

    first = deploy(lab, timings, "first deploy")
    assert int(first["changed"]) > 0
    assert_cluster(lab, nodes, 3)
    secret = yaml.safe_load((REPO / ".berth" / SITE / "secrets" / "passwords.yml").read_text())
    password = str(secret["mariadb_sst_password"])
    for name, address in nodes:
        listening = lab.ssh(address, "ss -ltnH").stdout
        for port in (3306, 4567):
            assert f"{address}:{port} " in listening, f"{name} does not listen on {address}:{port}"
            assert f"0.0.0.0:{port} " not in listening and f"*:{port} " not in listening, name
        assert sql(lab, address, "SELECT @@wsrep_sst_method") == "mariabackup"
        processes = lab.ssh(address, "ps -eo args").stdout
        assert "mariadbd" in processes and password not in processes, (
            f"{name}: SST password on a command line"
        )
        mode = lab.ssh(address, "stat -c %a /etc/mysql/mariadb.conf.d/99-berth-sst.cnf").stdout.strip()
        assert mode == "600", f"{name}: 99-berth-sst.cnf is {mode}"

    sql(lab, a1, f"CREATE DATABASE {DB}; CREATE TABLE {DB}.t (id INT PRIMARY KEY, note VARCHAR(64))")
    sql(lab, a1, f"INSERT INTO {DB}.t VALUES (1, 'written on {n1}')")
    assert rows(lab, a3) == [f"written on {n1}"]

    second = deploy(lab, timings, "second deploy")
    assert second["changed"] == 0, second["hosts"]

    # MariaDB alone stops on the second controller: a clean leave, the others keep a Primary component
    lab.ssh(a2, "service mariadb stop")
    assert galera(lab, a2)["cluster_size"] == 0, "mariadb still answers on the stopped member"
    wait_for(f"{n1} and {n3} Synced as two", lambda: all(galera(lab, a)["synced"] for a in (a1, a3)))
    assert_cluster(lab, [(n1, a1), (n3, a3)], 2)
    sql(lab, a3, f"INSERT INTO {DB}.t VALUES (2, 'written on {n3} while {n2} was stopped')")
    assert len(rows(lab, a1)) == 2

    third = deploy(lab, timings, "deploy after a stopped member")
    assert int(third["changed"]) > 0  # the start of the stopped member
    assert_cluster(lab, nodes, 3)
    assert rows(lab, a2) == [f"written on {n1}", f"written on {n3} while {n2} was stopped"]

    # the third controller loses power: its PID 1 killed, so every process of the host dies with it
    init = lab_host.recorded_init(LabHost(SITE, n3, "", ()))
    assert init is not None and init.alive()
    os.kill(init.pid, signal.SIGKILL)
    wait_for(f"{n3}'s PID 1 gone", lambda: not init.alive(), 30)
    wait_for(
        f"{n1} and {n2} evict {n3} and stay Synced as two",
        lambda: all(galera(lab, a)["synced"] and galera(lab, a)["cluster_size"] == 2 for a in (a1, a2)),
    )
    assert_cluster(lab, [(n1, a1), (n2, a2)], 2)
    sql(lab, a2, f"INSERT INTO {DB}.t VALUES (3, 'written on {n2} while {n3} was down')")

    code, up = lab.json("lab", "up")
    assert code == 0, up
    assert {h["name"]: h["action"] for h in up["hosts"]}[n3] == "created", up
    assert lab.ssh(a3, "test -e /usr/sbin/mariadbd").returncode == 1, f"{n3} is not pristine"

    fourth = deploy(lab, timings, "deploy after a lost controller")
    assert int(fourth["changed"]) > 0
    assert_cluster(lab, nodes, 3)
    assert len(rows(lab, a3)) == 3, "the re-created member did not get the data"
    assert lab.ssh(a3, "test -e /var/lib/mysql/xtrabackup_galera_info_SST").returncode == 0, "no SST"

    with lab.capsys.disabled():
        changed = {"first": first["changed"], "second": second["changed"]}
        print(f"\ngalera lab {SITE}: {timings} changed {changed}")
