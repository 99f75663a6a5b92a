"""`berth demo`: the whole job on the devcloud in one command.

Deploy (or converge) the devcloud, create the example agencies' demo users and groups, plan and apply
the platform and every manifest in manifests/, start the capacity exporter in the background, and show
the capacity table. Running it again changes nothing and reuses the running exporter.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from berth_cli.context import OPTIONS


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

    if OPTIONS.site != "aio":
        raise UsageError("berth demo runs on the devcloud only (--site aio)")
    say = _say
    if not skip_deploy:
        from berth_cli.commands.cloud import deploy

        say("1/4 deploying the devcloud (a second run changes nothing)")
        deploy(check=False, limit=None, tags=None, skip_preflight=False, timeout=3600)
    say("2/4 applying the platform and every manifest in manifests/ (direct engine)")
    _apply_examples()
    say("3/4 starting the capacity exporter")
    url = _start_exporter(listen, interval)
    say("4/4 capacity of the devcloud")
    from berth_cli.commands.capacity import capacity

    capacity(paths=None, offline=False, flavor=None)
    say(f"exporter: {url} (`berth exporter stop` stops it; `berth cloud down` stops it and the cloud)")


def _say(text: str) -> None:
    if OPTIONS.output == "text":
        print(f"== {text}", file=sys.stderr, flush=True)


def _apply_examples() -> None:
    from berth_cli.commands.apply import execute
    from berth_cli.state.engine_record import check_and_record
    from berth_cli.state.lock import site_lock
    from berth_cli.workflow import load_inputs, open_cloud, plan_site, refuse_over_capacity
    from berth_cloud import ensure_principals, principals_of

    site, loaded, _ = load_inputs(None)
    cloud = open_cloud()
    # Real sites take users and groups from the city's identity backend; the devcloud has none, so the
    # demo creates them (passwords generated, written once to a 0600 file, never printed).
    ensure_principals(
        cloud,
        site,
        principals_of(m.manifest for m in loaded),
        OPTIONS.state_dir / "secrets" / "members.jsonl",
    )
    with site_lock(OPTIONS.state_dir, "berth demo --site aio"):
        check_and_record(OPTIONS.state_dir, "direct", OPTIONS.site)
        planned = plan_site(None, offline=False, override_reason=None, cloud=cloud)
        refuse_over_capacity(planned)
        plan = planned.outcome.plan
        if plan.has_changes:
            execute(cloud, plan, planned.outcome.desired, planned.observed, planned=planned, reason=None)
        else:
            print("Nothing to change: every example tenant is already live.", file=sys.stderr)


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL we built
            return reply.status == 200
    except OSError:
        return False


def _start_exporter(listen: str, interval: float) -> str:
    """A detached `berth exporter serve`, recorded by PID (berth_cli.state.background); reused when it runs."""
    import time

    from berth_cli.state.background import EXPORTER_LOG, running_exporter, start_exporter, stop_exporter
    from berth_core.errors import BerthError

    url = f"http://{listen}/metrics"
    if running_exporter(OPTIONS.state_dir, OPTIONS.site):
        if _answers(url):
            return url
        stop_exporter(OPTIONS.state_dir, OPTIONS.site)  # ours, but elsewhere or hung: one exporter per site
    log = OPTIONS.state_dir / EXPORTER_LOG
    process = start_exporter(OPTIONS.state_dir, OPTIONS.site, listen, interval)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BerthError(f"the exporter stopped at once (exit {process.returncode})", hint=f"see {log}")
        if _answers(url):
            return url
        time.sleep(0.5)
    raise BerthError(f"the exporter does not answer on {url}", hint=f"see {log}")
