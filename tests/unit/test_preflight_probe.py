"""The probe script and its parser: canned output from a real host, and the script run on this machine."""

from __future__ import annotations

import os
import subprocess

from berth_cli.preflight import probe

CANNED = """\
@@os
PRETTY_NAME="Ubuntu 22.04.4 LTS"
ID=ubuntu
VERSION_ID="22.04"
@@kernel
5.15.0-91-generic
@@cpus
64
@@flags
flags\t\t: fpu vme de pse svm lm
@@mem
MemTotal:       527958044 kB
@@disk
/var/lib/nova\t/var/lib/nova\t/dev/mapper/vg-nova 1887436800 10485760 1876951040 1% /var/lib/nova
/\t/\t/dev/sda2   102687672 20485760 77006364  22% /
@@time
chronyc Leap status     : Normal
@@python
3.10.12
@@listen
LISTEN 0      128        0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=812,fd=3))
LISTEN 0      4096     127.0.0.1:11211     0.0.0.0:*    users:(("memcached",pid=90,fd=26))
LISTEN 0      4096         [::]:5000          [::]:*
@@mtu
bond0 9000
lo 65536
@@resolve
hp-ctl01\t10.10.0.11\x20
hp-cmp02\t
@@end
"""


def test_parse_a_real_hosts_output():
    facts = probe.parse(CANNED)
    assert (facts.os_id, facts.os_version, facts.os_name) == ("ubuntu", "22.04", "Ubuntu 22.04.4 LTS")
    assert facts.kernel == "5.15.0-91-generic" and facts.cpus == 64
    assert "svm" in facts.cpu_flags
    assert facts.ram_mib == 527958044 // 1024
    nova = facts.disks["/var/lib/nova"]
    assert round(nova.size_gib) == 1800 and nova.mount == "/var/lib/nova"
    assert facts.time_synced is True and "Normal" in facts.time_source
    assert facts.python3 == "3.10.12"
    assert facts.listening == {22: "sshd", 11211: "memcached", 5000: ""}
    assert facts.mtus == {"bond0": 9000, "lo": 65536}
    assert facts.resolved == {"hp-ctl01": ("10.10.0.11",), "hp-cmp02": ()}
    assert probe.complete(CANNED) and not probe.complete(CANNED.replace("@@end", ""))


def test_time_sources():
    def synced(line: str):
        return probe.parse(f"@@time\n{line}\n@@end\n").time_synced

    assert synced("timedatectl yes") is True
    assert synced("timedatectl no") is False
    assert synced("chronyc Leap status     : Not synchronised") is False
    assert synced("adjtimex 0") is True
    assert synced("adjtimex 5") is False  # TIME_ERROR: nothing disciplines the clock
    assert synced("") is None


def test_proc_net_tcp_fallback_without_ss():
    text = "@@listen\n  sl  local_address rem_address   st\n   0: 00000000:1F90 00000000:0000 0A 0\n@@end\n"
    assert probe.parse(text).listening == {8080: ""}


def test_the_script_runs_here_and_measures_this_machine():
    script = probe.script(["/", "/var/lib/does-not-exist-yet"], ["localhost", "no-such-host.invalid"])
    done = subprocess.run(
        ["/bin/sh", "-s"], input=script, capture_output=True, text=True, check=True, timeout=60
    )
    facts = probe.parse(done.stdout)
    assert probe.complete(done.stdout)
    assert facts.cpus == len(os.sched_getaffinity(0))
    assert facts.ram_mib and facts.ram_mib > 256
    assert facts.kernel == os.uname().release
    # a path that does not exist yet is measured on the filesystem that will hold it
    assert facts.disks["/var/lib/does-not-exist-yet"].mount == "/var/lib"
    assert facts.resolved["localhost"] and facts.resolved["no-such-host.invalid"] == ()
    assert "lo" in facts.mtus


def test_names_and_paths_are_quoted():
    script = probe.script(["/tmp/it's here"], ["$(touch /tmp/pwned)"])
    assert "'$(touch /tmp/pwned)'" in script
    assert """'/tmp/it'"'"'s here'""" in script
