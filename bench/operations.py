"""Benchmark: day-2 operations on the devcloud, measured in one run and printed side by side (nothing asserted).

    uv run python bench/operations.py [--site aio]

As root, on a deployed devcloud (`berth cloud deploy --site aio`): a backup (its time, the archive's size and
the database copy's size inside it), then a restore of that very archive (the services stop, the data is put
back, the OpenStack part of the site is deployed and the whole is verified: its time, and each step's share
is in the ansible-runner artifacts). The restore replaces the databases with the backup's, which are what they
were a minute before: run it on a devcloud, never on a site in use. The key and the archive are made in a
private temporary directory and removed; so is the data directory the restore sets aside.

Not measured yet (issue 13): `berth cloud upgrade` and its availability, which are not built.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def berth(site: str, *args: str) -> tuple[float, dict[str, Any]]:
    """berth in this process, JSON output parsed, and how long it took."""
    from berth_cli.main import main

    out = io.StringIO()
    started = time.monotonic()
    with redirect_stdout(out):
        code = main(["--site", site, "--output", "json", *args])
    seconds = time.monotonic() - started
    if code != 0:
        raise SystemExit(f"berth {' '.join(args)} exited {code}: {out.getvalue()[:2000]}")
    return seconds, json.loads(out.getvalue() or "{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="aio")
    site = parser.parse_args().site
    work = Path(tempfile.mkdtemp(prefix="berth-bench-ops-"))
    rows: list[tuple[str, str]] = []
    try:
        key, archive = work / "bench.key", work / "bench.berth-backup"
        seconds, backup = berth(
            site, "cloud", "backup", "--key-file", str(key), "--new-key", "--archive", str(archive)
        )
        rows.append(("backup (hot: the services kept serving)", f"{seconds:.1f} s"))
        rows.append(("  archive size", f"{backup['bytes'] / 2**20:.1f} MiB, {backup['members']} files"))
        rows.append(("  database copy inside it (tar.gz)", f"{backup['database_bytes'] / 2**20:.1f} MiB"))
        seconds, restore = berth(
            site, "cloud", "restore", str(archive), "--key-file", str(key), "--skip-preflight"
        )
        rows.append(("restore, its deploy and its verification", f"{seconds:.1f} s"))
        rows.append(("  verified (services, audit chain, empty plan)", str(restore["verified"])))
        shutil.rmtree(Path(f"/var/lib/mysql{restore['set_aside']}"), ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        width = max((len(r[0]) for r in rows), default=10)
        print(f"\nbench/operations.py, site {site}")
        for what, figure in rows:
            print(f"{what:<{width}}  {figure}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
