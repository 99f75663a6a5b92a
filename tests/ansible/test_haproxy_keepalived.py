"""The load balancer roles' pure parts: the haproxy role's service list (berth.cloud.haproxy_services),
its defaults against the ports of berth's service roles, the parsers of berth.cloud.haproxy_status and
berth.cloud.vip_status on output recorded from HAProxy 2.6 and iproute2 on lab hosts, and both roles'
templates rendered by Ansible itself for a three-host and a one-host group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.plugins import load_plugin

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
FIXTURES = ROOT / "tests/fixtures/loadbalancer"


services = load_plugin("filter/haproxy.py")
haproxy_status = load_plugin("modules/haproxy_status.py")
vip_status = load_plugin("modules/vip_status.py")


def role_defaults(role: str) -> dict[str, Any]:
    return dict(yaml.safe_load((PLAYBOOKS / "roles" / role / "defaults/main.yml").read_text()))


# --- the service list -----------------------------------------------------------------------------


def test_a_service_gets_every_field_from_its_mode() -> None:
    http, tcp = services.normalise_services(
        [
            {"name": "keystone", "port": 5000, "check": "GET /v3"},
            {"name": "db", "port": 3306, "mode": "tcp", "active": "one"},
        ]
    )
    assert http == {
        "name": "keystone",
        "port": 5000,
        "backend_port": 5000,
        "mode": "http",
        "balance": "roundrobin",
        "check": "GET /v3",
        "check_port": None,
        "active": "all",
        "tls": True,
        "timeout": None,
    }
    assert (tcp["check"], tcp["tls"], tcp["active"], tcp["backend_port"]) == ("connect", False, "one", 3306)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "Bad Name", "port": 1}, "haproxy_services[1].name"),
        ({"name": "x"}, "haproxy_services[1].port: missing"),
        ({"name": "x", "port": 70000}, "haproxy_services[1].port: 70000"),
        ({"name": "x", "port": "80a"}, "haproxy_services[1].port"),
        ({"name": "x", "port": True}, "haproxy_services[1].port"),
        ({"name": "x", "port": 81, "backend_port": 0}, "haproxy_services[1].backend_port"),
        ({"name": "x", "port": 81, "mode": "udp"}, "haproxy_services[1].mode: 'udp'"),
        ({"name": "x", "port": 81, "balance": "random-ish"}, "haproxy_services[1].balance"),
        ({"name": "x", "port": 81, "active": "two"}, "haproxy_services[1].active"),
        ({"name": "x", "port": 81, "check": "/v3"}, "haproxy_services[1].check"),
        ({"name": "x", "port": 81, "mode": "tcp", "check": "GET /"}, "haproxy_services[1].check"),
        ({"name": "x", "port": 81, "mode": "tcp", "tls": True}, "haproxy_services[1].tls"),
        ({"name": "x", "port": 81, "tls": "yes"}, "haproxy_services[1].tls"),
        ({"name": "x", "port": 81, "timeout": "an hour"}, "haproxy_services[1].timeout"),
        ({"name": "x", "port": 81, "weight": 3}, "haproxy_services[1]: unknown field(s) weight"),
        ({"name": "web", "port": 81}, "haproxy_services[1].name: 'web' appears twice"),
        ({"name": "x", "port": 80}, "haproxy_services[1].port: 80 is also web's port"),
        ("web", "haproxy_services[1]: a service is a mapping"),
    ],
)
def test_a_wrong_service_is_refused_naming_its_field(entry: Any, message: str) -> None:
    with pytest.raises(
        ValueError,
        match=r"^" + message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)"),
    ):
        services.normalise_services([{"name": "web", "port": 80}, entry])


def test_the_default_services_are_valid_and_at_the_roles_ports() -> None:
    defaults = role_defaults("haproxy")
    listed = {s["name"]: s for s in services.normalise_services(defaults["haproxy_services"])}
    ports = {
        "keystone": role_defaults("keystone")["keystone_port"],
        "placement": role_defaults("placement")["placement_port"],
        "glance": role_defaults("glance")["glance_port"],
        "neutron": role_defaults("neutron_server")["neutron_server_port"],
        "nova": role_defaults("nova")["nova_port"],
        "cinder": role_defaults("cinder")["cinder_port"],
        "mariadb": 3306,
    }
    assert {name: s["port"] for name, s in listed.items()} == ports
    assert all(s["backend_port"] == s["port"] for s in listed.values())
    assert listed["mariadb"]["mode"] == "tcp" and listed["mariadb"]["active"] == "one"
    assert all(s["mode"] == "http" and s["active"] == "all" for n, s in listed.items() if n != "mariadb")
    # every API role's *_port default is behind the VIP (a new API role must be added to the list);
    # Galera's replication and state-transfer ports are member to member, never through the VIP
    member_to_member = {"mariadb_galera_port", "mariadb_ist_port", "mariadb_sst_port"}
    for defaults_file in sorted((PLAYBOOKS / "roles").glob("*/defaults/main.yml")):
        for key, value in (yaml.safe_load(defaults_file.read_text()) or {}).items():
            if key in member_to_member:
                continue
            if key.endswith("_port") and defaults_file.parts[-3] not in ("memcached", "haproxy"):
                assert value in ports.values(), f"{defaults_file.parts[-3]}: {key}={value} is not on the VIP"


# --- the status parsers ---------------------------------------------------------------------------


def test_show_stat_is_read_into_proxies_and_servers() -> None:
    rows = haproxy_status.parse_show_stat((FIXTURES / "show-stat.csv").read_text())
    proxies = haproxy_status.summarise(rows)
    keystone = proxies["keystone"]
    assert (keystone["frontend"], keystone["backend"]) == ("OPEN", "UP")
    assert {n: s["status"] for n, s in keystone["servers"].items()} == {
        "lb1": "UP",
        "lb2": "DOWN",
        "lb3": "UP",
    }
    assert keystone["servers"]["lb2"]["check"] == "L4CON"
    assert not keystone["servers"]["lb1"]["backup"]
    mariadb = proxies["mariadb"]["servers"]
    assert [mariadb[n]["backup"] for n in ("lb1", "lb2", "lb3")] == [False, True, True]
    assert proxies["nova"]["backend"] == "DOWN"
    down = haproxy_status.down_servers(proxies)
    assert "keystone/lb2" in down and "keystone/lb1" not in down and "nova/lb1" in down


def test_anything_but_show_stat_is_refused() -> None:
    with pytest.raises(ValueError, match="not HAProxy's"):
        haproxy_status.parse_show_stat("Unknown command. Please enter one of the following commands only :\n")
    with pytest.raises(ValueError):
        haproxy_status.parse_show_stat("")


def test_ip_addr_show_tells_the_vip_holder() -> None:
    holder = (FIXTURES / "ip-addr-holder.txt").read_text()
    other = (FIXTURES / "ip-addr-backup.txt").read_text()
    assert vip_status.held(["10.251.0.60"], holder) == {"10.251.0.60": "eth0"}
    assert vip_status.held(["10.251.0.60"], other) == {}
    assert vip_status.host_addresses(other)["10.251.0.62"] == "eth0"
    assert vip_status.host_addresses(holder)["127.0.0.1"] == "lo"
    # a prefix of an address is not the address
    assert vip_status.held(["10.251.0.6"], holder) == {}


# --- the templates, rendered by Ansible -------------------------------------------------------------

RENDER = """
- name: Render the load balancer templates
  hosts: loadbalancers
  gather_facts: false
  vars:
    keepalived_vrrp_password: {password}
  tasks:
    - name: Load the roles' defaults and vars
      ansible.builtin.include_vars: {{file: "{{{{ item }}}}"}}
      loop: {var_files}
    - name: Complete the services
      ansible.builtin.set_fact:
        haproxy_frontends: "{{{{ haproxy_services | berth.cloud.haproxy_services }}}}"
    - name: Render
      ansible.builtin.template:
        src: "{roles}/{{{{ item.role }}}}/templates/{{{{ item.file }}}}.j2"
        dest: "{out}/{{{{ inventory_hostname }}}}.{{{{ item.file }}}}"
        mode: "0600"
      loop: [{{role: keepalived, file: keepalived.conf}}, {{role: haproxy, file: haproxy.cfg}}]
      delegate_to: localhost
"""


def render(tmp: Path, hosts: list[str], **site: Any) -> dict[str, str]:
    """Each host's keepalived.conf and haproxy.cfg, as the roles' templates render for these hosts."""
    tmp.mkdir(exist_ok=True)
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": {h: {"berth_management_address": f"10.251.0.{61 + i}"} for i, h in enumerate(hosts)},
            "children": {
                "controllers": {"hosts": dict.fromkeys(hosts)},
                "loadbalancers": {"hosts": dict.fromkeys(hosts)},
            },
        }
    }
    (tmp / "hosts.yml").write_text(yaml.safe_dump(inventory))
    roles = PLAYBOOKS / "roles"
    var_files = [
        str(roles / "keepalived/defaults/main.yml"),
        str(roles / "keepalived/vars/main.yml"),
        str(roles / "haproxy/defaults/main.yml"),
    ]
    (tmp / "out").mkdir()
    (tmp / "render.yml").write_text(
        RENDER.format(
            password="s3cret-of-the-site", var_files=json.dumps(var_files), roles=roles, out=tmp / "out"
        )
    )
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(tmp / "hosts.yml"),
            str(tmp / "render.yml"),
            "-e",
            json.dumps(site),  # over the defaults, which include_vars loads
        ],
        env={**os.environ, "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return {p.name: p.read_text() for p in (tmp / "out").iterdir()}


@pytest.mark.slow
def test_three_hosts_advertise_to_each_other_and_serve_every_backend(tmp_path: Path) -> None:
    import hashlib

    files = render(
        tmp_path, ["lb1", "lb2", "lb3"], berth_internal_vip="10.251.0.60", haproxy_tls_pem="/x/site.pem"
    )
    lb1, lb3 = files["lb1.keepalived.conf"], files["lb3.keepalived.conf"]
    assert "unicast_src_ip 10.251.0.61\n" in lb1
    peers = lb1.split("unicast_peer {")[1].split("}")[0].split()
    assert peers == ["10.251.0.62", "10.251.0.63"]
    assert "priority 150\n" in lb1 and "priority 148\n" in lb3
    assert "10.251.0.60/32 dev eth0" in lb1 and "nopreempt" in lb1 and "state BACKUP" in lb1
    assert 'script "/usr/bin/pgrep -x haproxy"' in lb1
    # VRRPv3 (the default): sub-second adverts, only from the peers, no authentication (it has none)
    assert "vrrp_version 3\n" in lb1 and "advert_int 0.5\n" in lb1 and "check_unicast_src\n" in lb1
    assert "authentication" not in lb1 and "s3cret" not in lb1
    # VRRPv2 on request: PASS with a digest of the site's secret, never the secret itself
    v2 = render(
        tmp_path / "v2",
        ["lb1", "lb2"],
        berth_internal_vip="10.251.0.60",
        keepalived_vrrp_version=2,
        keepalived_advert_int=1,
    )["lb1.keepalived.conf"]
    digest = hashlib.sha256(b"s3cret-of-the-site").hexdigest()[:8]
    assert "vrrp_version 2\n" in v2 and "advert_int 1\n" in v2
    assert f"auth_pass {digest}\n" in v2 and "s3cret" not in v2

    cfg = files["lb2.haproxy.cfg"]
    assert cfg == files["lb1.haproxy.cfg"]  # every load balancer serves the same
    assert "stats socket /run/haproxy/admin.sock mode 600 level admin" in cfg
    assert "option redispatch 1\n" in cfg and "timeout connect 1s\n" in cfg
    assert "observe layer4 error-limit 1 on-error mark-down" in cfg.split("default-server")[1].split("\n")[0]
    keystone = cfg.split("listen keystone\n")[1].split("\n\n")[0]
    assert "bind 10.251.0.60:5000 ssl crt /etc/haproxy/berth-vip.pem" in keystone
    assert "option httpchk GET /v3" in keystone and "X-Forwarded-Proto https" in keystone
    servers = [line.split()[1:3] for line in keystone.splitlines() if line.strip().startswith("server ")]
    assert servers == [["lb1", "10.251.0.61:5000"], ["lb2", "10.251.0.62:5000"], ["lb3", "10.251.0.63:5000"]]
    assert "backup" not in keystone
    mariadb = cfg.split("listen mariadb\n")[1]
    assert (
        "bind 10.251.0.60:3306\n" in mariadb and "mode tcp" in mariadb and "timeout server 3600s" in mariadb
    )
    lines = {line.split()[1]: line for line in mariadb.splitlines() if line.strip().startswith("server ")}
    assert "backup" not in lines["lb1"].split() and "shutdown-backup-sessions" in lines["lb1"]
    assert lines["lb2"].split()[3:5] == ["check", "backup"] and " backup" in lines["lb3"]


@pytest.mark.slow
def test_one_host_is_the_degenerate_case_with_no_peer_and_no_tls(tmp_path: Path) -> None:
    files = render(tmp_path, ["solo"], berth_internal_vip="10.251.0.60")
    assert "unicast_peer" not in files["solo.keepalived.conf"]
    assert "priority 150\n" in files["solo.keepalived.conf"]
    cfg = files["solo.haproxy.cfg"]
    assert " ssl " not in cfg and "X-Forwarded-Proto" not in cfg and "ssl-default" not in cfg
    assert cfg.count("    server solo 10.251.0.61:") == 7
    assert "backup" not in cfg.replace("shutdown-backup-sessions", "")
