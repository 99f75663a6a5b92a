"""`berth hosts check` against real sshd hosts in network namespaces: each failure its own clear result."""

from __future__ import annotations

import subprocess

import pytest

from berth_core.errors import ExitCode
from tests.ssh.conftest import LabSite, results_by_host
from tests.support.netns_sshd import SshLab, keygen

pytestmark = pytest.mark.ssh
FAILED = int(ExitCode.PREFLIGHT_FAILED)


def openssh_fingerprint(key_file) -> str:
    """The fingerprint OpenSSH itself prints, to hold berth's to the same form."""
    return subprocess.run(
        ["ssh-keygen", "-lf", str(key_file)], capture_output=True, text=True, check=True
    ).stdout.split()[1]


def two_good_hosts(site: LabSite, **extra) -> LabSite:
    lab = site.lab
    site.groups = {
        "controllers": lab.inventory_hosts(["good1"], **extra),
        "computes": lab.inventory_hosts(["good2"], **extra),
    }
    return site


def test_good_hosts_pass_every_check(test_site: LabSite, ssh_lab: SshLab):
    site = two_good_hosts(test_site)
    peer = {name: ssh_lab.hosts[name].veth[:-1] + "n" for name in ("good1", "good2")}
    site.requirements = {
        "controllers": {"portsFree": [5000, 8774], "mtu": {peer["good1"]: 1500}},
        "computes": {"mtu": {peer["good2"]: 1500}, "disks": {"/": 1, "/var/lib/nova": 1}},
    }
    site.write()
    code, doc = site.check_json()
    results = results_by_host(doc)
    assert code == 0, doc
    assert doc["ok"] is True
    expected = {
        "tcp",
        "hostkey",
        "auth",
        "os",
        "kernel",
        "cpu",
        "ram",
        "disk:/",
        "disk:/var/lib",
        "timesync",
        "python3",
        "resolve",
    }
    assert expected | {"ports", f"mtu:{peer['good1']}"} <= set(results["good1"])
    assert expected - {"disk:/var/lib"} | {"disk:/var/lib/nova", f"mtu:{peer['good2']}"} <= set(
        results["good2"]
    )
    for host in results.values():
        for check, result in host.items():
            # the only allowed non-pass is a clock this machine does not synchronise (timeSync: warn)
            assert result["status"] == "pass" or check == "timesync", result
    assert results["good1"]["resolve"]["detail"] == "1 other host(s) resolve"
    assert results["good1"]["hostkey"]["detail"].endswith(
        openssh_fingerprint(ssh_lab.hosts["good1"].host_key)
    )


def test_text_output_is_a_table_and_exit_zero(test_site: LabSite):
    two_good_hosts(test_site, ansible_become=True).write()  # root already; sudo -n may be absent: both work
    code, out, _ = test_site.berth("hosts", "check")
    assert code == 0
    assert "Preflight: site t" in out and "good1" in out and "good2" in out
    assert "0 failing" in out


def test_unknown_host_key_is_refused_with_its_fingerprint(test_site: LabSite, ssh_lab: SshLab):
    two_good_hosts(test_site).write(known_hosts="")
    code, doc = test_site.check_json("--limit", "good1")
    hostkey = results_by_host(doc)["good1"]["hostkey"]
    assert code == FAILED
    assert hostkey["status"] == "fail" and hostkey["code"] == "hostkey.unknown"
    assert openssh_fingerprint(ssh_lab.hosts["good1"].host_key) in hostkey["detail"]
    assert "berth hosts trust --site t good1" in hostkey["remedy"]
    assert "auth" not in results_by_host(doc)["good1"]  # never authenticated to an unverified host
    assert test_site.known_hosts.read_text() == ""  # and nothing was added behind the operator's back


def test_changed_host_key_shows_both_fingerprints(test_site: LabSite, ssh_lab: SshLab, tmp_path):
    impostor = keygen(tmp_path / "other_host_key")
    good1 = ssh_lab.hosts["good1"]
    two_good_hosts(test_site).write(known_hosts=good1.known_hosts_line(impostor))
    code, doc = test_site.check_json("--limit", "good1")
    hostkey = results_by_host(doc)["good1"]["hostkey"]
    assert code == FAILED
    assert hostkey["code"] == "hostkey.changed"
    assert openssh_fingerprint(impostor) in hostkey["detail"]
    assert openssh_fingerprint(good1.host_key) in hostkey["detail"]
    assert "berth hosts trust --site t --replace good1" in hostkey["remedy"]


def test_wrong_client_key_is_an_auth_failure(test_site: LabSite, tmp_path):
    stranger = keygen(tmp_path / "stranger")
    two_good_hosts(test_site, ansible_ssh_private_key_file=str(stranger)).write()
    code, doc = test_site.check_json("--limit", "good1")
    results = results_by_host(doc)["good1"]
    assert code == FAILED
    assert results["hostkey"]["status"] == "pass"
    assert results["auth"]["code"] == "auth.rejected"
    assert "authorized_keys" in results["auth"]["remedy"]


def test_missing_client_key_file(test_site: LabSite, tmp_path):
    two_good_hosts(test_site, ansible_ssh_private_key_file=str(tmp_path / "nope")).write()
    code, doc = test_site.check_json("--limit", "good1")
    assert code == FAILED
    assert results_by_host(doc)["good1"]["auth"]["code"] == "auth.no_key"


def test_closed_port_is_refused(test_site: LabSite):
    two_good_hosts(test_site, ansible_port=2222).write()
    code, doc = test_site.check_json("--limit", "good1")
    tcp = results_by_host(doc)["good1"]["tcp"]
    assert code == FAILED
    assert tcp["code"] == "tcp.refused"
    assert "ansible_port" in tcp["remedy"]


def test_host_that_never_answers_is_bounded_by_the_timeout(test_site: LabSite, ssh_lab: SshLab):
    lab = ssh_lab
    test_site.groups = {"controllers": lab.inventory_hosts(["good1", "hung"])}
    test_site.write()
    lab.hosts["hung"].stop()
    try:
        code, doc = test_site.check_json("--timeout", "2")
    finally:
        lab.hosts["hung"].resume()
    results = results_by_host(doc)
    assert code == FAILED
    assert results["hung"]["tcp"]["status"] == "pass"  # the kernel accepted the connection ...
    assert results["hung"]["ssh"]["code"] == "ssh.timeout"  # ... but sshd never spoke
    assert "within 2s" in results["hung"]["ssh"]["detail"]
    assert results["good1"]["auth"]["status"] == "pass"  # one hung host does not sink the others


def test_host_below_the_roles_ram_requirement(test_site: LabSite):
    two_good_hosts(test_site)
    test_site.requirements = {"computes": {"minRamMiB": 64 * 1024 * 1024}}  # 64 TiB
    test_site.write()
    code, doc = test_site.check_json()
    results = results_by_host(doc)
    assert code == FAILED
    assert results["good2"]["ram"]["code"] == "ram.below"
    assert "role needs 65536.0 GiB" in results["good2"]["ram"]["detail"]
    assert results["good1"]["ram"]["status"] == "pass"  # controllers keep their own requirement
    assert doc["summary"]["failedHosts"] == 1


def test_port_in_use_and_mtu_mismatch(test_site: LabSite, ssh_lab: SshLab):
    peer = ssh_lab.hosts["good1"].veth[:-1] + "n"
    test_site.groups = {"controllers": ssh_lab.inventory_hosts(["good1"])}
    test_site.requirements = {"controllers": {"portsFree": [22], "mtu": {peer: 9000, "bond0": 9000}}}
    test_site.write()
    code, doc = test_site.check_json()
    results = results_by_host(doc)["good1"]
    assert code == FAILED
    assert results["ports"]["code"] == "ports.taken" and "22 (sshd)" in results["ports"]["detail"]
    assert results[f"mtu:{peer}"]["code"] == "mtu.mismatch"
    assert results["mtu:bond0"]["code"] == "mtu.no_interface"


def test_unresolvable_peer_name(test_site: LabSite, ssh_lab: SshLab):
    hosts = ssh_lab.inventory_hosts(["good1"])
    hosts["not-in-dns"] = {**ssh_lab.inventory_hosts(["good2"])["good2"]}
    test_site.groups = {"controllers": hosts}
    test_site.write()
    code, doc = test_site.check_json("--limit", "good1")
    resolve = results_by_host(doc)["good1"]["resolve"]
    assert code == FAILED
    assert resolve["code"] == "resolve.missing" and "not-in-dns" in resolve["detail"]


def test_invalid_requirement_is_a_located_usage_error(test_site: LabSite):
    two_good_hosts(test_site)
    test_site.requirements = {"computes": {"minRamMib": 1}}  # typo: minRamMiB
    test_site.write()
    code, out, err = test_site.berth("hosts", "check")
    assert code == int(ExitCode.USAGE)
    assert "group_vars/computes/preflight.yml" in err and "berth_preflight.minRamMib" in err
    assert "Traceback" not in err and out == ""
