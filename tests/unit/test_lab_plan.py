"""berth_cli.lab.plan, pure: lab.yml validated and located, interface names within IFNAMSIZ, the inventory
and /etc/hosts the lab writes, and the committed lab sites themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from berth_cli.lab.plan import etc_hosts, interface_addresses, inventory, plan_lab
from berth_core.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def doc(*hosts: dict[str, object]) -> dict[str, object]:
    return {"apiVersion": "berth/v1", "kind": "Lab", "hosts": list(hosts)}


@pytest.mark.parametrize("site", ["lab", "labone"])
def test_the_committed_lab_sites_plan(site: str) -> None:
    plan = plan_lab(site, yaml.safe_load((ROOT / "inventory" / site / "lab.yml").read_text()))
    assert plan.hosts
    assert all(h.address.startswith("10.251.0.") for h in plan.hosts)


def test_interface_names_are_short_unique_and_stable() -> None:
    names = [f"host{i}" for i in range(60)]
    plans = [
        plan_lab(s, doc(*({"name": n, "address": f"10.251.0.{i + 2}"} for i, n in enumerate(names))))
        for s in ("lab", "other")
    ]
    veths = [h.veth for p in plans for h in p.hosts] + [h.veth_peer for p in plans for h in p.hosts]
    assert len(set(veths)) == len(veths) and all(len(v) <= 15 for v in veths)
    again = plan_lab("lab", doc({"name": "host0", "address": "10.251.0.2"}))
    assert again.hosts[0].veth == plans[0].hosts[0].veth


@pytest.mark.parametrize(
    ("hosts", "field"),
    [
        ([{"name": "a1", "address": "10.250.0.5"}], "hosts[0].address"),  # outside the lab's range
        ([{"name": "a1", "address": "10.251.0.1"}], "hosts[0].address"),  # the bridge's own address
        ([{"name": "a1", "address": "nope"}], "hosts[0].address"),
        ([{"name": "A_1", "address": "10.251.0.5"}], "hosts[0].name"),
        ([{"name": "a1", "address": "10.251.0.5", "groups": ["bad group"]}], "hosts[0].groups"),
        ([{"name": "a1", "address": "10.251.0.5", "port": 22}], "hosts[0]"),
        ([{"name": "a1", "address": "10.251.0.5"}, {"name": "a2", "address": "10.251.0.5"}], "hosts[1]"),
        ([], "hosts"),
    ],
)
def test_invalid_lab_files_are_refused_located(hosts: list[dict[str, object]], field: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan_lab("lab", doc(*hosts), "inventory/lab/lab.yml")
    assert caught.value.location is not None
    assert caught.value.location.field == field


def test_inventory_is_strict_ssh_with_the_labs_key_and_known_hosts() -> None:
    plan = plan_lab(
        "lab", doc({"name": "ctl1", "address": "10.251.0.11", "groups": ["controllers", "infra"]})
    )
    inv = inventory(plan, Path("/s/id_ed25519"), Path("/r/inventory/lab/known_hosts"))
    common = inv["all"]["vars"]
    assert common["ansible_connection"] == "ssh" and common["ansible_user"] == "root"
    assert common["ansible_ssh_private_key_file"] == "/s/id_ed25519"
    assert "StrictHostKeyChecking=yes" in common["ansible_ssh_common_args"]
    assert "UserKnownHostsFile=/r/inventory/lab/known_hosts" in common["ansible_ssh_common_args"]
    assert inv["all"]["hosts"]["ctl1"] == {
        "ansible_host": "10.251.0.11",
        "berth_management_address": "10.251.0.11",
    }
    assert set(inv["all"]["children"]) == {"controllers", "infra"}
    assert "10.251.0.11 ctl1\n" in etc_hosts(plan)


def test_vips_are_optional_and_kept_in_order() -> None:
    hosts = [{"name": "ctl1", "address": "10.251.0.11"}, {"name": "ctl2", "address": "10.251.0.12"}]
    assert plan_lab("lab", doc(*hosts)).vips == ()
    with_vips = {**doc(*hosts), "vips": ["10.251.0.10", "10.251.0.9"]}
    assert plan_lab("lab", with_vips).vips == ("10.251.0.10", "10.251.0.9")


@pytest.mark.parametrize(
    ("vips", "field", "words"),
    [
        ("10.251.0.10", "vips", "a list"),
        (["nope"], "vips[0]", "not an IPv4"),
        (["10.251.0.10", "10.250.0.10"], "vips[1]", "not a host address"),
        (["10.251.0.1"], "vips[0]", "not a host address"),
        (["10.251.0.255"], "vips[0]", "not a host address"),
        (["10.251.0.11"], "vips[0]", "ctl1's own address"),
        (["10.251.0.10", "10.251.0.10"], "vips[1]", "twice"),
    ],
)
def test_invalid_vips_are_refused_located(vips: object, field: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan_lab("lab", {**doc({"name": "ctl1", "address": "10.251.0.11"}), "vips": vips}, "lab.yml")
    assert caught.value.location is not None and caught.value.location.field == field
    assert words in str(caught.value)


def test_the_committed_lab_declares_its_vip_apart_from_the_other_sites() -> None:
    sites = {
        s: plan_lab(s, yaml.safe_load((ROOT / "inventory" / s / "lab.yml").read_text()))
        for s in ("lab", "labone")
    }
    assert sites["lab"].vips == ("10.251.0.10",)
    taken = {h.address for p in sites.values() for h in p.hosts}
    assert not taken & set(sites["lab"].vips)
    vip = yaml.safe_load((ROOT / "inventory/lab/group_vars/all/loadbalancer.yml").read_text())[
        "berth_internal_vip"
    ]
    assert (vip,) == sites["lab"].vips  # the lab keeps free the address keepalived moves


def test_interface_addresses_are_read_from_ip_addr_show() -> None:
    text = (ROOT / "tests/fixtures/loadbalancer/ip-addr-holder.txt").read_text()
    assert interface_addresses(text) == {
        "127.0.0.1",
        "::1",
        "10.251.0.61",
        "10.251.0.60",
        "fe80::244c:4fff:fe98:6eca",
    }
