"""`berth-exporter` and `berth exporter serve`, run as real processes: the same input is refused with the
same lines on stderr and the same exit code (one config function, one error report in berth_exporters).

Every case fails before the exporter connects or binds; nothing here talks to the devcloud.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from berth_core.errors import ExitCode

REPO = Path(__file__).resolve().parents[2]
DOORS = {
    "berth-exporter": [str(REPO / ".venv/bin/berth-exporter")],
    "berth exporter serve": [str(REPO / ".venv/bin/berth"), "exporter", "serve"],
}
# five mistakes, each located at its own line and column
INVALID_SITE = """\
apiVersion: berth/v1
kind: Site
metadata:
  name: Bad_Site
spec:
  region: RegionOne
  zones: []
  externalNetwork: {name: public, cidr: 172.24.4.7/24, gateway: 10.0.0.1}
  addressPools:
    - {name: tenant-v4, cidr: 10.64.0.0/33, defaultPrefixLength: 24}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A berth root with the devcloud's (valid) site and an invalid one."""
    base = tmp_path_factory.mktemp("front-doors")
    (base / "inventory/bad").mkdir(parents=True)
    (base / "inventory/bad/cloud.yml").write_text(INVALID_SITE, encoding="utf-8")
    (base / "inventory/aio").mkdir()
    shutil.copy(REPO / "inventory/aio/cloud.yml", base / "inventory/aio/cloud.yml")
    return base


def _run_both(root: Path, args: list[str], **env: str) -> dict[str, tuple[int, str, str]]:
    """Both doors on the same arguments, at the same time: door -> (exit code, stdout, stderr)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("BERTH_", "LC_", "LANG", "OS_"))}
    environ |= {"BERTH_ROOT": str(root), "BERTH_STATE_DIR": str(root / "state"), **env}
    running = {
        door: subprocess.Popen(
            [*command, *args],
            cwd=root,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for door, command in DOORS.items()
    }
    results = {}
    for door, process in running.items():
        try:
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:  # never left serving: it was started by this test, stop it by PID
                process.kill()
                process.wait()
        results[door] = (process.returncode, out, err)
    return results


def _same(results: dict[str, tuple[int, str, str]]) -> tuple[int, list[str]]:
    (code, _, err), (other_code, _, other_err) = results.values()
    assert (code, err) == (other_code, other_err), results
    assert "Traceback" not in err and not any("serving" in out for _, out, _ in results.values())
    return code, err.splitlines()


def test_an_invalid_site_lists_every_located_problem_at_both_doors(root: Path) -> None:
    code, lines = _same(_run_both(root, ["--site", "bad"]))
    assert code == ExitCode.MANIFEST_INVALID
    site = root / "inventory/bad/cloud.yml"
    assert lines == [
        f"Error: {site}:4:3: metadata.displayName: required field is missing",
        f"Error: {site}:4:9: metadata.name: slug 'Bad_Site' must be 3 to 40 characters a-z, 0-9 or '-', "
        "not starting or ending with '-'; try 'bad-site'",
        f"Error: {site}:6:3: spec.quotaClasses: required field is missing",
        f"Error: {site}:8:41: spec.externalNetwork.cidr: '172.24.4.7/24' has host bits set; its network "
        "address is 172.24.4.0/24",
        f"Error: {site}:10:31: spec.addressPools[0].cidr: '10.64.0.0/33' is not an IPv4 network in CIDR "
        "form (e.g. 10.64.9.0/24)",
        "5 problems found",
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--site", "bad", "--lang", "vi"], {}), (["--site", "bad"], {"LANG": "vi_VN.UTF-8"})],
    ids=["--lang", "LANG"],
)
def test_both_doors_speak_the_chosen_language(root: Path, args: list[str], env: dict[str, str]) -> None:
    code, lines = _same(_run_both(root, args, **env))
    assert code == ExitCode.MANIFEST_INVALID
    assert len(lines) == 6 and all(line.startswith("Lỗi: ") for line in lines[:5])
    assert lines[-1] == "Phát hiện 5 lỗi"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "Error: --interval must be positive"),
        (["--max-stale", "-1"], "Error: --max-stale must be positive"),
        (["--concurrency", "0"], "Error: --concurrency must be at least 1"),
        (["--listen", "nowhere"], "Error: --listen 'nowhere' is not HOST:PORT"),
        (["--listen", "localhost:9180"], "Error: --listen host 'localhost' is not an IP address"),
        (
            ["--endpoint-override", "blockstorage"],
            "Error: --endpoint-override 'blockstorage' is not COLLECTOR=URL",
        ),
        (["--endpoint-override", "nova=http://127.0.0.1:9"], "Error: unknown collector(s) nova"),
        (["--site", "bad", "--interval", "0"], "Error: --interval must be positive"),  # options first
    ],
)
def test_bad_options_are_the_same_usage_error_at_both_doors(
    root: Path, args: list[str], message: str
) -> None:
    code, lines = _same(_run_both(root, args))
    assert code == ExitCode.USAGE
    assert lines[0] == message


def test_a_missing_clouds_yaml_is_the_same_openstack_error(root: Path) -> None:
    args = ["--site", "aio", "--clouds-yaml", str(root / "absent.yaml"), "--cloud", "x"]
    code, lines = _same(_run_both(root, args))
    assert code == ExitCode.OPENSTACK_API
    assert lines[0].startswith("Error: ")
