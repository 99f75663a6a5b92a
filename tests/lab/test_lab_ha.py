"""Site lab, highly available, deployed over SSH onto pristine hosts by berth's roles (docs/ha.md,
docs/loadbalancer.md), then broken the ways a controller fails while a tenant is applied, and repaired:

- the infrastructure first (`--tags baseline,infra`): a Galera cluster of three, every member Synced
  (wsrep_local_state_comment and wsrep_cluster_size, what the role's own gates read), MariaDB and
  Galera on the management address only, the state-transfer password on no command line; a RabbitMQ
  cluster of three, every node running; the VIP held by exactly one controller; a row written on the
  first controller is read on the third; keepalived and HAProxy (tests/lab/vip.py): backends through the
  VIP, one marked DOWN, MariaDB's one writer, TLS on the VIP, HAProxy stopped on the holder gives the VIP
  away;
- then the whole site: keystone, placement, glance, neutron, nova and cinder on all three controllers
  behind the VIP (one set of fernet and credential keys on all three), a fake nova-compute on each
  compute host; `berth cloud status` healthy with every backend of every API up; a second deploy
  changes nothing; a tenant applied;
- with an availability probe reading keystone, nova, neutron and cinder through the VIP four times a
  second each (tests/lab/apis.py) and a tenant apply running: MariaDB stopped on the second controller
  and RabbitMQ on the first (the others stay Synced as two and the brokers run two; the APIs keep
  answering), then the controller holding the VIP loses power (its PID 1 killed: every process of the
  host dies); the success ratio, the longest gap and the time to takeover are printed; each apply
  completes or exits 5, and a re-run converges with no duplicate;
- repairs: a deploy starts the stopped members (MariaDB rejoins by IST with the row written meanwhile);
  `berth lab up` re-creates the lost controller pristine, a deploy installs it: it joins Galera by SST
  (mariabackup), RabbitMQ (its old identity forgotten first), and gets the site's keystone keys, not
  new ones (the token issued before the loss still works); the probe then sees no error at all.

The site is BERTH_LAB_HA_SITE (default `lab`); its controllers are the members (inventory/<site>/
group_vars/all/galera.yml, rabbitmq.yml) and the load balancers (loadbalancer.yml)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab.apis import ApiProbe, admin_token, describe
from tests.lab.conftest import REPO, Lab, lab_fixture
from tests.lab.vip import check_the_vip, power_loss, read_site, site_tls

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
# tenants of the example manifests that fit the lab's two compute hosts: one applied before the failures,
# one during each
BEFORE, DURING_STOPS, DURING_POWER_LOSS = (
    REPO / "manifests" / f"{name}.yaml" for name in ("so-y-te", "so-tai-chinh", "van-phong-ubnd")
)
APIS = ("keystone", "placement", "glance", "neutron", "nova", "cinder")


@pytest.fixture
def ha_lab(capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
    yield from lab_fixture(SITE, capsys)


def controllers() -> list[tuple[str, str]]:
    doc = yaml.safe_load((REPO / "inventory" / SITE / "lab.yml").read_text())
    return [(h["name"], h["address"]) for h in doc["hosts"] if "controllers" in h["groups"]]


def deploy(lab: Lab, timings: dict[str, float], label: str, tags: str | None = None) -> dict[str, Any]:
    """`berth cloud deploy`, of `tags` only when given (the whole site otherwise)."""
    start = time.monotonic()
    only = ["--tags", tags] if tags else []
    code, doc = lab.json("cloud", "deploy", *only, "--timeout", "3000")
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


def cloud_status(lab: Lab, code: int) -> dict[str, Any]:
    """`berth cloud status`, which must exit `code` (5: an API or a cluster is not healthy): its clusters."""
    got, doc = lab.json("cloud", "status")
    assert got == code and doc["healthy"] is (code == 0), doc
    return {c["name"]: c for c in doc["clusters"]}


def rows(lab: Lab, address: str) -> list[str]:
    return sql(lab, address, f"SELECT note FROM {DB}.t ORDER BY id").splitlines()


def key_digests(lab: Lab, address: str) -> str:
    """One digest of every fernet and credential key file of a controller (names and contents)."""
    done = lab.ssh(
        address,
        "cd /var/lib/berth/keystone && find fernet-keys credential-keys -type f | sort | xargs sha256sum",
    )
    assert done.returncode == 0 and done.stdout, done.stderr
    return hashlib.sha256(done.stdout.encode()).hexdigest()


def city_accounts(tmp: Path, *manifests: Path) -> None:
    """The users and groups the manifests' members name, as the city's identity backend would have them
    (berth demo makes them the same way on the devcloud; their passwords go to a 0600 file, unprinted)."""
    from berth_cloud import connect, ensure_principals
    from berth_cloud.principals import accounts_by_domain
    from berth_core.loader import load_manifests, load_site

    site = load_site(REPO / "inventory" / SITE / "cloud.yml")
    cloud = connect(f"{SITE}-admin", REPO / ".berth" / SITE / "clouds.yaml")
    loaded = [m.manifest for m in load_manifests(manifests)]
    for domain, principals in sorted(accounts_by_domain(site, loaded).items()):
        ensure_principals(cloud, site, principals, tmp / "members.jsonl", domain)


class BackgroundApply:
    """`berth apply` of one manifest in a process of its own, beside the probe and the failures."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest
        self.process = subprocess.Popen(
            [
                *(str(REPO / ".venv" / "bin" / "berth"), "--site", SITE, "--output", "json", "apply"),
                *("-f", str(manifest), "--yes", "--wait", "600"),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self, timeout: float = 900) -> tuple[int, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out + err


def apply(lab: Lab, *manifests: Path) -> None:
    """Apply, then plan: the tenants converged (nothing left to change), each resource made once."""
    paths = [arg for m in manifests for arg in ("-f", str(m))]
    code, doc = lab.json("apply", *paths, "--yes")
    assert code == 0, doc
    code, out, err = lab.berth("plan", "--detailed-exitcode", *map(str, manifests))
    assert code == 0, out + err
    from berth_cloud import connect

    conn = connect(f"{SITE}-admin", REPO / ".berth" / SITE / "clouds.yaml").conn
    for manifest in manifests:
        name = yaml.safe_load(manifest.read_text())["metadata"]["name"]
        identity: Any = conn.identity  # v3 (the clouds.yaml says so)
        projects = list(identity.projects(name=name))
        assert len(projects) == 1, f"{name}: {len(projects)} projects"
        made: dict[tuple[str, str], int] = {}
        network: Any = conn.network
        for kind in ("networks", "subnets", "routers", "security_groups"):
            for item in getattr(network, kind)(project_id=projects[0].id):
                made[(kind, item.name)] = made.get((kind, item.name), 0) + 1
        assert made and all(n == 1 for n in made.values()), f"{name}: duplicates in {made}"


def apply_under_failure(applying: BackgroundApply) -> str:
    """The apply that ran through a failure either completed or stopped with exit 5 naming what it was
    doing (a located cloud error, no traceback): its outcome, to print."""
    code, out = applying.result()
    assert code in (0, 5), out
    assert "Traceback" not in out, out
    if code == 5:
        assert applying.manifest.stem in out, out  # the error names the tenant's resource
    return "completed" if code == 0 else f"exit 5: {out.strip().splitlines()[-1][:200]}"


def test_the_ha_site_forms_serves_and_survives_stopped_members_and_a_lost_controller(
    ha_lab: Lab, tmp_path: Path
) -> None:
    lab, timings = ha_lab, dict[str, float]()
    nodes = controllers()
    assert len(nodes) == 3, nodes
    address = dict(nodes)
    (n1, a1), (n2, a2), (n3, a3) = nodes
    code, up = lab.json("lab", "up")
    assert code == 0 and all(h["action"] == "created" for h in up["hosts"]), up
    site = read_site(lab)
    assert sorted(site.hosts) == sorted(address), "the load balancers are the controllers"

    # --- the infrastructure alone, and the load balancers' own checks (test backends on port 5000)
    infra = deploy(lab, timings, "deploy of baseline,infra", tags="baseline,infra")
    assert int(infra["changed"]) > 0
    site.tls = site_tls(lab)
    assert site.tls is not None and infra.get("tls"), "site lab serves its VIP over TLS (tls.yml)"
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

    clusters = cloud_status(lab, 5)  # no OpenStack API yet
    assert list(clusters) == ["vip", "haproxy", "galera", "rabbitmq"]
    assert all(c["healthy"] for n, c in clusters.items() if n != "haproxy"), clusters
    assert clusters["vip"]["rows"][0]["vip"] == site.vip and len(clusters["vip"]["rows"][0]["holders"]) == 1
    assert [r["size"] for r in clusters["galera"]["rows"]] == [3, 3, 3]
    assert [len(r["running"]) for r in clusters["rabbitmq"]["rows"]] == [3, 3, 3]
    haproxy = clusters["haproxy"]["rows"]  # every API server down, MariaDB's up
    assert all(not any(d.startswith("mariadb/") for d in r["down"]) and r["down"] for r in haproxy), haproxy

    sql(lab, a1, f"CREATE DATABASE {DB}; CREATE TABLE {DB}.t (id INT PRIMARY KEY, note VARCHAR(64))")
    sql(lab, a1, f"INSERT INTO {DB}.t VALUES (1, 'written on {n1}')")
    assert rows(lab, a3) == [f"written on {n1}"]

    with lab.capsys.disabled():
        print()
        check_the_vip(lab, site, tmp_path)
    site.stop_backends()  # the deploy's preflight refuses a host where something else holds an API's port

    # --- the whole site: every API on every controller behind the VIP; then a deploy that changes nothing
    first = deploy(lab, timings, "deploy of the whole site")
    assert int(first["changed"]) > 0
    site.tls = site_tls(lab)  # the deploy put the site's own certificate back on the VIP
    clusters = cloud_status(lab, 0)
    for row in clusters["haproxy"]["rows"]:
        assert not row["down"], row
    assert len({key_digests(lab, a) for a in (a1, a2, a3)}) == 1, "the controllers' keystone keys differ"
    second = deploy(lab, timings, "second deploy")
    assert second["changed"] == 0, second["hosts"]
    city_accounts(tmp_path, BEFORE, DURING_STOPS, DURING_POWER_LOSS)
    apply(lab, BEFORE)

    clouds = REPO / ".berth" / SITE / "clouds.yaml"
    token = admin_token(clouds, f"{SITE}-admin")
    figures: dict[str, str] = {}

    # --- MariaDB stops on the second controller and RabbitMQ on the first while a tenant is applied
    with ApiProbe(token) as probe:
        wait_for("every API answering through the VIP", probe.answering, 60)
        applying, began = BackgroundApply(DURING_STOPS), time.monotonic()
        time.sleep(2)
        lab.ssh(a2, "service mariadb stop")
        lab.ssh(a1, "service rabbitmq-server stop")
        outcome = apply_under_failure(applying)
        time.sleep(5)
    figures["stopped members"] = describe(probe.figures(began))
    with lab.capsys.disabled():
        print(f"MariaDB stopped on {n2}, RabbitMQ on {n1}, apply {outcome}: {figures['stopped members']}")
    assert galera(lab, a2)["cluster_size"] == 0, "mariadb still answers on the stopped member"
    assert rabbit(lab, n1, a1).state == "down", "rabbitmq still answers on the stopped node"
    assert_galera(lab, [(n1, a1), (n3, a3)], 2)
    assert_rabbit(lab, nodes, [(n2, a2), (n3, a3)], 2)
    sql(lab, a3, f"INSERT INTO {DB}.t VALUES (2, 'written on {n3} while {n2} was stopped')")
    apply(lab, BEFORE, DURING_STOPS)  # the re-run converges, with the members still stopped

    third = deploy(lab, timings, "deploy after stopped members", tags="baseline,infra")
    assert int(third["changed"]) > 0  # the starts of the stopped services
    assert_galera(lab, nodes, 3)
    assert_rabbit(lab, nodes, nodes, 3)
    assert rows(lab, a2) == [f"written on {n1}", f"written on {n3} while {n2} was stopped"]

    # --- the controller holding the VIP loses power while a tenant is applied
    holder = site.holders()[0]
    survivors = [(n, a) for n, a in nodes if n != holder]
    with ApiProbe(token) as probe:
        wait_for("every API answering through the VIP", probe.answering, 60)
        applying = BackgroundApply(DURING_POWER_LOSS)
        time.sleep(3)
        killed_at, new_holder, takeover_s = power_loss(site, holder, probe.answering, window_s=30)
        outcome = apply_under_failure(applying)
    figures["power loss"] = describe(probe.figures(killed_at))
    with lab.capsys.disabled():
        print(
            f"power loss of {holder}: VIP on {new_holder} after {takeover_s:.1f} s; apply {outcome}; "
            f"{figures['power loss']}"
        )
    assert new_holder != holder and takeover_s < 30  # VRRP: a few missed adverts
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
    apply(lab, BEFORE, DURING_STOPS, DURING_POWER_LOSS)
    clusters = cloud_status(lab, 5)
    assert clusters["vip"]["rows"][0]["holders"] == [new_holder]
    gone = f"{holder}: unreachable"
    for name in ("vip", "haproxy", "galera", "rabbitmq"):
        assert any(p.startswith(gone) for p in clusters[name]["problems"]), clusters[name]

    # --- the lost controller comes back pristine; a deploy makes it a member of everything again
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
    assert len({key_digests(lab, a) for a in (a1, a2, a3)}) == 1, "the re-created host has other keys"
    clusters = cloud_status(lab, 0)
    for row in clusters["haproxy"]["rows"]:
        assert not row["down"], row
    # the token issued before the loss: the keys are still the site's. No error afterwards, with a client's
    # patience (10 s) rather than the failover probe's 2 s: a GET slowed by a loaded machine is answered,
    # a refusal, a reset or a 5xx still fails it
    with ApiProbe(token, timeout=10.0) as probe:
        since = time.monotonic()
        time.sleep(15)
    assert probe.figures(since)["all"].requests > 0 and not probe.failures(since), probe.failures(since)

    with lab.capsys.disabled():
        changed = {"whole site": first["changed"], "second": second["changed"]}
        print(f"ha lab {SITE}: {timings} changed {changed}; {figures}")
