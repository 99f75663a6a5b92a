"""berth_core.preflight: requirements per group, combining roles, verdicts and capacity comparison (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from berth_core.preflight import (
    BASE,
    GROUP_DEFAULTS,
    DiskFacts,
    Facts,
    Measured,
    Requirements,
    combine,
    compare_capacity,
    evaluate,
    group_requirements,
    hostkey_changed,
    version_key,
    worst,
)
from berth_core.site import Host

GOOD = Facts(
    os_id="debian",
    os_version="12",
    os_name="Debian GNU/Linux 12 (bookworm)",
    kernel="6.1.0-18-amd64",
    cpus=16,
    cpu_flags=frozenset({"fpu", "vmx"}),
    ram_mib=65536,
    disks={"/": DiskFacts("/", 100, 80), "/var/lib/nova": DiskFacts("/var/lib", 2000, 1900)},
    time_synced=True,
    time_source="timedatectl NTPSynchronized",
    python3="3.11.2",
    listening={22: "sshd"},
    mtus={"lo": 65536, "bond0": 9000},
    resolved={"cmp2": ("10.0.0.2",)},
)
COMPUTE = Requirements(
    min_cpus=8,
    min_ram_mib=32768,
    disks={"/": 20, "/var/lib/nova": 200},
    require_virt=True,
    mtu={"bond0": 9000},
)
OTHERS = {"cmp2": "10.0.0.2"}


def by_check(results):
    return {r.check: r for r in results}


def failing(facts: Facts, req: Requirements = COMPUTE, others=OTHERS):
    return {r.check: r.code for r in evaluate(facts, req, others) if r.status != "pass"}


def test_a_good_compute_host_passes_every_check():
    results = evaluate(GOOD, COMPUTE, OTHERS)
    assert [r for r in results if r.status != "pass"] == []
    assert {
        "os",
        "kernel",
        "cpu",
        "virt",
        "ram",
        "disk:/",
        "disk:/var/lib/nova",
        "timesync",
        "python3",
        "mtu:bond0",
        "resolve",
    } == set(by_check(results))
    assert worst(results) == "pass"


@pytest.mark.parametrize(
    ("change", "check", "code"),
    [
        ({"ram_mib": 16000}, "ram", "ram.below"),
        ({"cpus": 4}, "cpu", "cpu.below"),
        ({"cpu_flags": frozenset({"fpu"})}, "virt", "virt.missing"),
        ({"disks": {"/": DiskFacts("/", 100, 80)}}, "disk:/var/lib/nova", "disk.unknown"),
        ({"disks": {**GOOD.disks, "/": DiskFacts("/", 100, 5)}}, "disk:/", "disk.below"),
        ({"os_id": "centos", "os_version": "7"}, "os", "os.unsupported"),
        ({"os_id": None}, "os", "os.unknown"),
        ({"kernel": "4.19.0-21-amd64"}, "kernel", "kernel.old"),
        ({"python3": None}, "python3", "python3.missing"),
        ({"python3": "3.6.8"}, "python3", "python3.old"),
        ({"time_synced": False}, "timesync", "timesync.off"),
        ({"mtus": {"bond0": 1500}}, "mtu:bond0", "mtu.mismatch"),
        ({"mtus": {}}, "mtu:bond0", "mtu.no_interface"),
        ({"resolved": {}}, "resolve", "resolve.missing"),
    ],
)
def test_each_shortfall_is_its_own_failure_with_a_remedy(change, check, code):
    facts = Facts(**{**GOOD.__dict__, **change})
    results = by_check(evaluate(facts, COMPUTE, OTHERS))
    assert results[check].code == code
    assert results[check].status == "fail"
    assert results[check].remedy
    assert failing(facts) == {check: code}  # and nothing else


def test_time_sync_strictness():
    unsynced = Facts(**{**GOOD.__dict__, "time_synced": False})
    assert (
        by_check(evaluate(unsynced, COMPUTE.model_copy(update={"time_sync": "warn"}), OTHERS))[
            "timesync"
        ].status
        == "warn"
    )
    assert "timesync" not in by_check(
        evaluate(unsynced, COMPUTE.model_copy(update={"time_sync": "off"}), OTHERS)
    )
    unknown = Facts(**{**GOOD.__dict__, "time_synced": None})
    assert by_check(evaluate(unknown, COMPUTE, OTHERS))["timesync"].code == "timesync.unknown"


def test_ports_held_by_the_clouds_own_services_pass_but_foreign_ones_fail():
    req = GROUP_DEFAULTS["controllers"].model_copy(update={"min_cpus": 1, "min_ram_mib": 1, "disks": {}})
    own = Facts(**{**GOOD.__dict__, "listening": {5000: "uwsgi", 3306: "mariadbd"}})
    assert by_check(evaluate(own, req, OTHERS))["ports"].status == "pass"
    foreign = Facts(**{**GOOD.__dict__, "listening": {5000: "python3", 8774: ""}})
    ports = by_check(evaluate(foreign, req, OTHERS))["ports"]
    assert ports.code == "ports.taken"
    assert "5000 (python3)" in ports.detail and "8774 (unknown process)" in ports.detail


def test_name_resolving_elsewhere_is_a_warning():
    facts = Facts(**{**GOOD.__dict__, "resolved": {"cmp2": ("10.9.9.9",)}})
    result = by_check(evaluate(facts, COMPUTE, OTHERS))["resolve"]
    assert result.status == "warn" and "10.9.9.9" in result.detail


def test_group_defaults_and_overrides():
    assert group_requirements("computes", None).require_virt is True
    assert group_requirements("haproxy", None) == BASE
    relaxed = group_requirements("computes", {"requireVirt": False, "minRamMiB": 4096})
    assert relaxed.require_virt is False and relaxed.min_ram_mib == 4096
    assert relaxed.disks == GROUP_DEFAULTS["computes"].disks
    with pytest.raises(ValidationError):
        group_requirements("computes", {"minRamMib": 1})  # typo is refused, not ignored
    with pytest.raises(ValidationError):
        group_requirements("computes", {"timeSync": "maybe"})


def test_a_host_in_two_roles_must_satisfy_the_strictest_of_each():
    both = combine(
        [
            GROUP_DEFAULTS["controllers"],
            GROUP_DEFAULTS["computes"].model_copy(
                update={"supported_os": ("debian 12",), "time_sync": "warn", "min_kernel": "6.1"}
            ),
        ]
    )
    assert both.min_ram_mib == 32768 and both.require_virt is True
    assert both.ports_free == GROUP_DEFAULTS["controllers"].ports_free
    assert both.disks == {"/": 20.0, "/var/lib": 100.0, "/var/lib/nova": 200.0}
    assert both.supported_os == ("debian 12",)
    assert both.time_sync == "fail" and both.min_kernel == "6.1"
    assert combine([]) == BASE


def test_version_key_compares_release_floors():
    assert version_key("6.1.0-18-amd64") == (6, 1, 0, 18)
    assert version_key("5.15.0-91-generic") > version_key("5.10")
    assert version_key("3.11.2") >= version_key("3.8")
    assert version_key("garbage") == ()


def test_changed_host_key_names_both_fingerprints_and_the_deliberate_fix():
    result = hostkey_changed(
        "cmp1",
        "10.0.0.1",
        key_type="ssh-ed25519",
        expected="SHA256:old",
        offered="SHA256:new",
        site="haiphong",
    )
    assert "SHA256:old" in result.detail and "SHA256:new" in result.detail
    assert "berth hosts trust --site haiphong --replace cmp1" in result.remedy


def test_capacity_snapshot_reports_every_mismatch():
    declared = [
        Host(name="c1", zone="az1", vcpus=64, ramMiB=524288, diskGiB=1800),
        Host(name="c2", zone="az1", vcpus=64, ramMiB=524288, diskGiB=1800),
        Host(name="c3", zone="az1", vcpus=8, ramMiB=8192, diskGiB=100),
    ]
    measured = {
        "c1": Measured(64, 515000, 1790),  # within 5%: MemTotal hides kernel-reserved memory
        "c2": Measured(32, 262144, 900),
        "c9": Measured(8, 8192, 100),
    }
    doc = compare_capacity(declared, measured)
    assert doc["mismatches"] == [
        "c2: vcpus declared 64, measured 32",
        "c2: ramMiB declared 524288, measured 262144",
        "c2: diskGiB declared 1800, measured 900",
        "c3: declared in cloud.yml but not measured (not a reachable compute host)",
        "c9: measured but not declared in cloud.yml spec.hosts",
    ]
    rows = {r["name"]: r for r in doc["hosts"]}
    assert rows["c1"]["measured"] == {"vcpus": 64, "ramMiB": 515000, "diskGiB": 1790}
    assert rows["c9"]["declared"] is None and rows["c3"]["measured"] is None
