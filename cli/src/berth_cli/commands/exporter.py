"""`berth exporter serve`: the capacity exporter in the foreground (berth-exporter is the same without Typer);
`berth exporter stop`: stop the one `berth demo` left running in the background.

Both exporter front doors build their configuration with berth_exporters.config and report errors with
berth_exporters.report, so they refuse the same input with the same lines and exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from berth_cli.context import site_context
from berth_exporters.config import DEFAULT_CONCURRENCY, DEFAULT_INTERVAL, DEFAULT_LISTEN

group = typer.Typer(
    help="Prometheus capacity exporter: serve cached capacity, quota and usage metrics.", no_args_is_help=True
)


@group.command("serve")
def serve(
    *,
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT for /metrics (loopback by default).")
    ] = DEFAULT_LISTEN,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between background refreshes.")
    ] = DEFAULT_INTERVAL,
    max_stale: Annotated[
        float | None,
        typer.Option(
            "--max-stale", help="Seconds a failing collector's data is still served (default 10 intervals)."
        ),
    ] = None,
    clouds_yaml: Annotated[
        Path | None, typer.Option("--clouds-yaml", help="Default: .berth/<site>/clouds.yaml.")
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Per-project quota reads in flight.")
    ] = DEFAULT_CONCURRENCY,
    endpoint_override: Annotated[
        list[str] | None,
        typer.Option("--endpoint-override", help="COLLECTOR=URL: replace a service's endpoint (repeatable)."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Refresh once, print the metrics and exit.")] = False,
) -> None:
    """Serve /metrics: collectors refresh in the background, every scrape gets the last complete snapshot.

    Logs in with the global --cloud (anywhere on the line), else OS_CLOUD, else the clouds.yaml's first."""
    import signal
    import threading

    from berth_core.errors import BerthError
    from berth_exporters.app import build, serve
    from berth_exporters.config import exporter_config
    from berth_exporters.report import report

    ctx = site_context()
    try:  # reported as `berth-exporter` reports it: one renderer for both front doors
        config = exporter_config(
            cloud_yml=ctx.cloud_yml,
            state_dir=ctx.state_dir,
            listen=listen,
            interval=interval,
            max_stale=max_stale,
            clouds_yaml=clouds_yaml,
            cloud=ctx.cloud,
            concurrency=concurrency,
            endpoint_overrides=endpoint_override or [],
        )
        refresher, _cloud = build(config)
        if once:
            refresher.refresh_once()
            typer.echo(refresher.exposition()[0].decode(), nl=False)
            return
        # before the first answer: whoever sees /metrics answer may stop it at once, and must get a clean stop
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())  # a service manager's stop is a clean exit
        server = serve(refresher, config.listen)
    except BerthError as error:
        raise typer.Exit(report(error, ctx.lang)) from None
    refresher.start()
    typer.echo(
        f"berth exporter for site {ctx.site}: http://{config.listen}/metrics "
        f"(refresh every {config.interval:g}s); Ctrl-C stops"
    )
    try:
        stopped.wait()  # Ctrl-C raises KeyboardInterrupt here: the error boundary says "Interrupted."
    finally:
        refresher.stop()
        server.shutdown()


@group.command("stop")
def stop() -> None:
    """Stop the exporter `berth demo` started for this site (by its recorded PID)."""
    from berth_cli.state.background import stop_exporter

    ctx = site_context()
    pid = stop_exporter(ctx.state_dir, ctx.site)
    print(f"{ctx.site}: exporter (pid {pid}) stopped" if pid else f"{ctx.site}: no exporter was running")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="exporter")
