"""The one reader of a site's Ceph cluster, for `berth cloud status` (and the exporter to come): the `ceph`
CLI (Debian's ceph-common) on the deploy host, with the read-only client that `berth cloud deploy` leaves
in `.berth/<site>/ceph/` (roles/ceph). A site without that directory has no Ceph."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from berth_core.ceph_health import ceph_cluster, ceph_unreachable
from berth_core.clusters import Cluster

CLIENT = "client.berth"


def ceph_conf(state_dir: Path) -> Path:
    return state_dir / "ceph" / "ceph.conf"


def _ceph_json(conf: Path, *args: str, timeout: float) -> Any:
    argv = [
        "ceph",
        "--conf",
        str(conf),
        "--name",
        CLIENT,
        "--connect-timeout",
        "5",
        *args,
        "--format",
        "json",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
    return json.loads(done.stdout)


def read_ceph_cluster(state_dir: Path, *, timeout: float = 20) -> Cluster | None:
    """The site's Ceph as a status cluster; None for a site without Ceph. A cluster that cannot be read
    is reported as such (not reachable, and why), never raised."""
    conf = ceph_conf(state_dir)
    if not conf.is_file():
        return None
    try:
        status = _ceph_json(conf, "status", timeout=timeout)
        df = _ceph_json(conf, "df", timeout=timeout)
    except FileNotFoundError:
        return ceph_unreachable("the ceph command is not installed (Debian's ceph-common)")
    except subprocess.TimeoutExpired:
        return ceph_unreachable(f"no answer within {timeout:g} s")
    except (RuntimeError, ValueError) as exc:
        return ceph_unreachable(str(exc))
    return ceph_cluster(status, df)
