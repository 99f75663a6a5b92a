"""`berth-exporter`: the exporter as its own console script, without Typer.

berth-exporter --site aio [--listen 127.0.0.1:9180] [--interval 60] [--clouds-yaml PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from berth_core.errors import BerthError, ExitCode


def _root() -> Path:
    env = os.environ.get("BERTH_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    return next((c for c in (here, *here.parents) if (c / "inventory").is_dir()), here)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="berth-exporter", description="berth's Prometheus capacity exporter.")
    p.add_argument("--site", default=os.environ.get("BERTH_SITE", "aio"), help="site under inventory/<site>/")
    p.add_argument(
        "--listen", default="127.0.0.1:9180", help="HOST:PORT to serve /metrics on (default loopback)"
    )
    p.add_argument("--interval", type=float, default=60.0, help="seconds between background refreshes")
    p.add_argument(
        "--max-stale", type=float, default=None, help="seconds a failing collector's data is still served"
    )
    p.add_argument("--clouds-yaml", type=Path, default=None, help="default: .berth/<site>/clouds.yaml")
    p.add_argument(
        "--cloud", default=None, help="cloud name in clouds.yaml (default: OS_CLOUD, else its first cloud)"
    )
    p.add_argument("--concurrency", type=int, default=8, help="per-project quota reads in flight")
    p.add_argument(
        "--endpoint-override",
        action="append",
        default=[],
        metavar="COLLECTOR=URL",
        help="replace a service's endpoint",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from berth_core.errors import UsageError
    from berth_core.loader import load_site
    from berth_exporters.app import ExporterConfig, build, serve

    if args.interval <= 0:
        raise UsageError("--interval must be positive")
    root = _root()
    state = (
        Path(os.environ["BERTH_STATE_DIR"]) / args.site
        if os.environ.get("BERTH_STATE_DIR")
        else root / ".berth" / args.site
    )
    overrides = {}
    for item in args.endpoint_override:
        name, sep, url = item.partition("=")
        if not sep:
            raise UsageError(f"--endpoint-override {item!r} is not COLLECTOR=URL")
        overrides[name] = url
    config = ExporterConfig(
        site=load_site(root / "inventory" / args.site / "cloud.yml"),
        clouds_yaml=args.clouds_yaml or state / "clouds.yaml",
        cloud=args.cloud,
        listen=args.listen,
        interval=args.interval,
        max_stale=args.max_stale,
        concurrency=args.concurrency,
        endpoint_overrides=overrides,
    )
    refresher, _cloud = build(config)
    # SIGTERM and SIGINT are a clean stop from the moment /metrics can answer (a supervisor, or a test, may
    # stop the exporter as soon as it sees it serve); before that, Ctrl-C interrupts the start-up (exit 130)
    done = threading.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: done.set())
    server = serve(refresher, config.listen)
    refresher.start()
    print(
        f"berth exporter: serving http://{config.listen}/metrics (refresh every {config.interval:g}s)",
        flush=True,
    )
    done.wait()
    refresher.stop()
    server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except BerthError as error:
        where = f"{error.location.prefix()}: " if error.location else ""
        print(f"Error: {where}{error.message}", file=sys.stderr)
        if error.hint:
            print(f"Hint: {error.hint}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
