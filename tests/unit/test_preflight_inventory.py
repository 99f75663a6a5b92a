"""Reading a site's Ansible inventory for preflight: groups, ranges, vars precedence, requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cli.preflight.inventory import expand_hosts, load_inventory
from berth_core.errors import UsageError

REPO = Path(__file__).resolve().parents[2]

HOSTS = """\
all:
  vars: {ansible_user: berth}
  children:
    controllers:
      hosts:
        ctl01: {ansible_host: 10.0.0.11}
      vars: {ansible_port: 2222}
    infra:
      children:
        controllers:
    computes:
      hosts:
        cmp[01:03]:
        gpu-[a:b]: {ansible_user: ops}
"""


def write_site(tmp_path: Path, files: dict[str, str]) -> Path:
    site = tmp_path / "inventory" / "s"
    for name, text in {"hosts.yml": HOSTS, **files}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    return site


def test_ranges():
    assert expand_hosts("cmp[01:03]") == ["cmp01", "cmp02", "cmp03"]
    assert expand_hosts("n[1:5:2]x") == ["n1x", "n3x", "n5x"]
    assert expand_hosts("gpu-[a:c]") == ["gpu-a", "gpu-b", "gpu-c"]
    assert expand_hosts("plain") == ["plain"]


def test_groups_children_and_vars_precedence(tmp_path):
    site = write_site(
        tmp_path,
        {
            "group_vars/computes/main.yml": "ansible_user: nova\n",
            "host_vars/cmp02.yml": "ansible_ssh_private_key_file: keys/cmp02\n",
        },
    )
    inv = load_inventory(site, tmp_path)
    assert list(inv.hosts) == ["cmp01", "cmp02", "cmp03", "ctl01", "gpu-a", "gpu-b"]  # natural order
    assert inv.groups["infra"] == {"ctl01"}  # children count as members
    assert set(inv.hosts["ctl01"].groups) == {"controllers", "infra"}
    ctl = inv.hosts["ctl01"]
    assert (ctl.address, ctl.port, ctl.user) == ("10.0.0.11", 2222, "berth")
    assert inv.hosts["cmp01"].user == "nova"  # group_vars beat all's vars
    assert inv.hosts["gpu-a"].user == "ops"  # host vars beat group vars
    assert inv.hosts["cmp02"].key_file == tmp_path / "keys" / "cmp02"
    assert inv.others(ctl) == {n: None for n in inv.hosts if n != "ctl01"}
    assert inv.known_hosts == site / "known_hosts"


def test_requirements_from_group_vars_and_host_vars(tmp_path):
    site = write_site(
        tmp_path,
        {
            "group_vars/all/preflight.yml": "berth_preflight: {timeSync: warn, minRamMiB: 2048}\n",
            "group_vars/computes/preflight.yml": "berth_preflight: {requireVirt: false}\n",
            "host_vars/cmp03/preflight.yml": "berth_preflight: {minCpus: 64}\n",
        },
    )
    inv = load_inventory(site, tmp_path)
    cmp01 = inv.requirements(inv.hosts["cmp01"])
    assert cmp01.require_virt is False and cmp01.time_sync == "warn" and cmp01.min_ram_mib == 2048
    assert cmp01.disks == {"/": 20.0, "/var/lib/nova": 200.0}  # the computes defaults where unset
    assert inv.requirements(inv.hosts["cmp03"]).min_cpus == 64
    assert inv.requirements(inv.hosts["ctl01"]).ports_free  # controllers keep their port list


def test_bad_settings_are_located(tmp_path):
    site = write_site(tmp_path, {"group_vars/computes/preflight.yml": "berth_preflight: {minCpus: many}\n"})
    inv = load_inventory(site, tmp_path)
    with pytest.raises(UsageError) as err:
        inv.requirements(inv.hosts["cmp01"])
    assert err.value.location.file.endswith("group_vars/computes/preflight.yml")
    assert err.value.location.field == "berth_preflight.minCpus"


def test_limit(tmp_path):
    inv = load_inventory(write_site(tmp_path, {}), tmp_path)
    assert [h.name for h in inv.select("infra,gpu-*")] == ["ctl01", "gpu-a", "gpu-b"]
    with pytest.raises(UsageError, match="matches no host or group"):
        inv.select("nope")


def test_vault_values_and_missing_inventory(tmp_path):
    site = write_site(
        tmp_path, {"group_vars/all/secrets.yml": "db_password: !vault |\n  $ANSIBLE_VAULT;1.1\n"}
    )
    assert load_inventory(site, tmp_path).hosts["cmp01"].vars["db_password"] == "<vault>"
    with pytest.raises(UsageError, match="no inventory"):
        load_inventory(tmp_path / "inventory" / "missing", tmp_path)
    (site / "hosts.yml").write_text("all: [unclosed\n")
    with pytest.raises(UsageError) as err:
        load_inventory(site, tmp_path)
    assert err.value.location.file.endswith("hosts.yml") and err.value.location.line


@pytest.mark.parametrize("site", ["aio", "haiphong"])
def test_the_projects_sites_load(site):
    inv = load_inventory(REPO / "inventory" / site, REPO)
    for host in inv.hosts.values():
        inv.requirements(host)
    if site == "haiphong":
        assert len(inv.groups["computes"]) == 40 and inv.requirements(inv.hosts["hp-cmp01"]).require_virt
    else:
        assert inv.hosts["aio"].connection == "local"
