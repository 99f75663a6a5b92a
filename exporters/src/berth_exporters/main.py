"""`berth-exporter`: the exporter as its own console script, without Typer.

berth-exporter --site aio [--listen 127.0.0.1:9180] [--interval 60] [--clouds-yaml PATH] [--lang vi|en]

The same configuration (berth_exporters.config) and error report (berth_exporters.report) as
`berth exporter serve`: an invalid site or option prints the same lines with the same exit code.
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
from berth_exporters.config import DEFAULT_CONCURRENCY, DEFAULT_INTERVAL, DEFAULT_LISTEN
from berth_exporters.report import default_lang, report, report_unexpected


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="berth-exporter", description="berth's Prometheus capacity exporter.")
    p.add_argument("--site", default=os.environ.get("BERTH_SITE", "aio"), help="site under inventory/<site>/")
    p.add_argument(
        "--listen", default=DEFAULT_LISTEN, help="HOST:PORT to serve /metrics on (default loopback)"
    )
    p.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between background refreshes"
    )
    p.add_argument(
        "--max-stale", type=float, default=None, help="seconds a failing collector's data is still served"
    )
    p.add_argument("--clouds-yaml", type=Path, default=None, help="default: .berth/<site>/clouds.yaml")
    p.add_argument(
        "--cloud", default=None, help="cloud name in clouds.yaml (default: OS_CLOUD, else its first cloud)"
    )
    p.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="per-project quota reads in flight"
    )
    p.add_argument(
        "--endpoint-override",
        action="append",
        default=[],
        metavar="COLLECTOR=URL",
        help="replace a service's endpoint",
    )
    p.add_argument("--lang", choices=("vi", "en"), default=None, help="vi or en (default from LANG)")
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    return p


def run(args: argparse.Namespace) -> int:
    from berth_exporters.app import build, serve
    from berth_exporters.config import exporter_config, site_files

    cloud_yml, state_dir = site_files(args.site)
    config = exporter_config(
        cloud_yml=cloud_yml,
        state_dir=state_dir,
        listen=args.listen,
        interval=args.interval,
        max_stale=args.max_stale,
        clouds_yaml=args.clouds_yaml,
        cloud=args.cloud,
        concurrency=args.concurrency,
        endpoint_overrides=args.endpoint_override,
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
    args = parser().parse_args(argv)  # a malformed option: argparse's message, exit 2 (usage)
    lang = args.lang or default_lang()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except BerthError as error:
        return report(error, lang)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as unexpected:
        if args.debug:
            raise
        return report_unexpected(unexpected)


if __name__ == "__main__":
    sys.exit(main())
