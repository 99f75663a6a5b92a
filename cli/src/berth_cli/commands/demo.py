"""`berth demo`: the whole job on the devcloud in one command.

Deploy (or converge) the devcloud, create the example agencies' demo users and groups, plan and apply
the platform and every manifest in manifests/, start the capacity exporter in the background, and show
the capacity table. Running it again changes nothing and reuses the running exporter.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from berth_cli.context import SiteContext, site_context


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    *,
    skip_deploy: Annotated[
        bool, typer.Option("--skip-deploy", help="The devcloud is up: do not converge it.")
    ] = False,
    listen: Annotated[
        str, typer.Option("--listen", help="Where the exporter serves /metrics.")
    ] = "127.0.0.1:9180",
    interval: Annotated[float, typer.Option("--interval", help="Exporter refresh interval, seconds.")] = 30.0,
) -> None:
    """Devcloud up, platform and every example manifest applied, exporter started, capacity shown."""
    from berth_core.errors import UsageError

    ctx = site_context()
    if ctx.site != "aio":
        raise UsageError("berth demo runs on the devcloud only (--site aio)")

    def say(text: str) -> None:
        if ctx.output == "text":
            print(f"== {text}", file=sys.stderr, flush=True)

    if not skip_deploy:
        from berth_cli.services.deploy import deploy_site

        say("1/4 deploying the devcloud (a second run changes nothing)")
        summary = deploy_site(ctx)
        say(f"devcloud: changed {summary.changed} task(s) in {summary.seconds} s")
    say("2/4 applying the platform and every manifest in manifests/ (direct engine)")
    _apply_examples(ctx)
    say("3/4 starting the capacity exporter")
    url = _start_exporter(ctx, listen, interval)
    say("4/4 capacity of the devcloud")
    _show_capacity(ctx)
    say(f"exporter: {url} (`berth exporter stop` stops it; `berth cloud down` stops it and the cloud)")


def _apply_examples(ctx: SiteContext) -> None:
    """berth's one apply workflow with the direct engine, on every example manifest."""
    from berth_cli.rendering.progress import apply_progress
    from berth_cli.services.apply_site import ApplyRequest, Interaction, apply_site
    from berth_cli.services.engines import engine_factory
    from berth_cli.services.inputs import load_inputs
    from berth_cli.services.planning import open_cloud
    from berth_cloud import ensure_principals
    from berth_cloud.principals import accounts_by_domain

    site, loaded, _ = load_inputs(ctx, None)
    cloud = open_cloud(ctx)
    # Real sites take users and groups from the city's identity backend; the devcloud has none, so the
    # demo creates them (passwords generated, written once to a 0600 file, never printed).
    secrets_file = ctx.state_dir / "secrets" / "members.jsonl"
    for domain, principals in sorted(accounts_by_domain(site, (m.manifest for m in loaded)).items()):
        ensure_principals(cloud, site, principals, secrets_file, domain)
    request = ApplyRequest(assume_yes=True, command="berth demo")
    with apply_progress(ctx.output) as progress:
        ui = Interaction(show=lambda planned: None, confirm=lambda: True, progress=progress)
        outcome = apply_site(ctx, cloud, engine_factory(ctx, "direct", cloud), request, ui)
    if outcome.result is None:
        print("Nothing to change: every example tenant is already live.", file=sys.stderr)
    else:
        counts = outcome.result.counts()
        print(f"Applied: {counts['create']} created, {counts['update']} updated.", file=sys.stderr)


def _show_capacity(ctx: SiteContext) -> None:
    from berth_cli.rendering.admission import print_capacity
    from berth_cli.services.capacity import site_capacity

    print_capacity(site_capacity(ctx, None, offline=False, flavors=None), ctx.output)


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL we built
            return bool(reply.status == 200)
    except OSError:
        return False


def _start_exporter(ctx: SiteContext, listen: str, interval: float) -> str:
    """A detached `berth exporter serve`, recorded by PID (berth_cli.state.background); reused when it runs."""
    import time

    from berth_cli.state.background import EXPORTER_LOG, running_exporter, start_exporter, stop_exporter
    from berth_core.errors import BerthError

    url = f"http://{listen}/metrics"
    if running_exporter(ctx.state_dir, ctx.site):
        if _answers(url):
            return url
        stop_exporter(ctx.state_dir, ctx.site)  # ours, but elsewhere or hung: one exporter per site
    log = ctx.state_dir / EXPORTER_LOG
    process = start_exporter(ctx.state_dir, ctx.site, listen, interval)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BerthError(f"the exporter stopped at once (exit {process.returncode})", hint=f"see {log}")
        if _answers(url):
            return url
        time.sleep(0.5)
    raise BerthError(f"the exporter does not answer on {url}", hint=f"see {log}")
