"""`berth exporter serve`: the capacity exporter in the foreground (berth-exporter is the same without Typer);
`berth exporter stop`: stop the one `berth demo` left running in the background."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from berth_cli.context import OPTIONS

group = typer.Typer(
    help="Prometheus capacity exporter: serve cached capacity, quota and usage metrics.", no_args_is_help=True
)


@group.command("serve")
def serve(
    *,
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT for /metrics (loopback by default).")
    ] = "127.0.0.1:9180",
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between background refreshes.")
    ] = 60.0,
    max_stale: Annotated[
        float | None,
        typer.Option(
            "--max-stale", help="Seconds a failing collector's data is still served (default 10 intervals)."
        ),
    ] = None,
    clouds_yaml: Annotated[
        Path | None, typer.Option("--clouds-yaml", help="Default: .berth/<site>/clouds.yaml.")
    ] = None,
    cloud: Annotated[
        str | None,
        typer.Option("--cloud", help="Cloud name in clouds.yaml (default: OS_CLOUD, else its first cloud)."),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Per-project quota reads in flight.")] = 8,
    endpoint_override: Annotated[
        list[str] | None,
        typer.Option("--endpoint-override", help="COLLECTOR=URL: replace a service's endpoint (repeatable)."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Refresh once, print the metrics and exit.")] = False,
) -> None:
    """Serve /metrics: collectors refresh in the background, every scrape gets the last complete snapshot."""
    import signal
    import threading

    from berth_core.errors import UsageError
    from berth_core.loader import load_site
    from berth_exporters.app import ExporterConfig, build, serve

    if interval <= 0:
        raise UsageError("--interval must be positive")
    overrides: dict[str, str] = {}
    for item in endpoint_override or []:
        name, sep, url = item.partition("=")
        if not sep:
            raise UsageError(f"--endpoint-override {item!r} is not COLLECTOR=URL")
        overrides[name] = url
    config = ExporterConfig(
        site=load_site(OPTIONS.cloud_yml),
        clouds_yaml=clouds_yaml or OPTIONS.state_dir / "clouds.yaml",
        cloud=cloud,
        listen=listen,
        interval=interval,
        max_stale=max_stale,
        concurrency=concurrency,
        endpoint_overrides=overrides,
    )
    refresher, _cloud = build(config)
    if once:
        refresher.refresh_once()
        typer.echo(refresher.exposition()[0].decode(), nl=False)
        return
    # before the first answer: whoever sees /metrics answer may stop it at once, and must get a clean stop
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())  # a service manager's stop is a clean exit
    server = serve(refresher, listen)
    refresher.start()
    typer.echo(
        f"berth exporter for site {OPTIONS.site}: http://{listen}/metrics (refresh every {interval:g}s); Ctrl-C stops"
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

    pid = stop_exporter(OPTIONS.state_dir, OPTIONS.site)
    print(
        f"{OPTIONS.site}: exporter (pid {pid}) stopped" if pid else f"{OPTIONS.site}: no exporter was running"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="exporter")
