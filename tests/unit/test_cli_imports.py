"""`berth --help` must stay fast: none of the heavy libraries may be imported to show it."""

import json
import subprocess
import sys

HEAVY = ("openstack", "pulumi", "ansible_runner", "ansible", "paramiko", "prometheus_client", "cryptography")

PROBE = """
{preamble}
import json, sys
from berth_cli.main import main
try:
    code = main({args!r})
except SystemExit as exit_:
    code = exit_.code
loaded = sorted({{name.split('.')[0] for name in sys.modules}})
print(json.dumps({{"code": code, "loaded": loaded}}), file=sys.stderr)
"""


def _modules_loaded(args: list[str], preamble: str = "") -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, preamble=preamble)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


def test_help_imports_no_heavy_library():
    code, loaded = _modules_loaded(["--help"])
    assert code == 0
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_every_group_help_imports_no_heavy_library():
    for group in ("cloud", "hosts", "manifest"):
        code, loaded = _modules_loaded([group, "--help"])
        assert code == 0, group
        assert loaded.isdisjoint(HEAVY), (group, sorted(loaded & set(HEAVY)))


def test_the_probe_would_see_a_heavy_import():
    # The checks above mean something only if a heavy import does show up in what the probe reports.
    code, loaded = _modules_loaded(["--version"], preamble="import paramiko")
    assert code == 0
    assert "paramiko" in loaded
