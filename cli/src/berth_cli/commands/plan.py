"""`berth plan`: validate, resolve quotas, admit, allocate addresses and show the changes.

Thin: the pipeline is berth_core.planning, the shared steps berth_cli.services.planning. Live, the plan is made
against what the cloud holds (every berth-managed tenant and the platform) and placement's capacity;
offline, against an empty cloud with the capacity cloud.yml declares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from berth_cli.context import site_context


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def plan(
    *,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Manifest files or folders (default: manifests/).")
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Plan against an empty cloud, with cloud.yml's capacity (no OpenStack)."
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan (JSON with its sha256) to this file.")
    ] = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 0 when there is nothing to change, 10 when there is."),
    ] = False,
    allow_overbooking: Annotated[
        bool,
        typer.Option(
            "--allow-overbooking", help="Accept quota past capacity (needs --reason; goes to the audit log)."
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why the overbooking is accepted (only with --allow-overbooking); apply records it in the audit log.",
        ),
    ] = None,
) -> None:
    """Plan the tenants of a site: validate, resolve quotas, admit against capacity, allocate, diff."""
    from berth_cli.rendering.plan import print_plan
    from berth_cli.services.planning import open_cloud, override_reason, plan_site, refuse_over_capacity
    from berth_core.errors import ExitCode

    ctx = site_context()
    reason_given = override_reason(allow_overbooking, reason)
    cloud = None if offline else open_cloud(ctx)
    planned = plan_site(ctx, paths, offline=offline, override_reason=reason_given, cloud=cloud)
    refuse_over_capacity(planned)
    outcome = planned.outcome
    if out is not None:
        from berth_cli.state.files import write_atomic

        write_atomic(out, outcome.plan.to_json(), mode=0o644)
    if ctx.output == "json":
        typer.echo(outcome.plan.to_json(), nl=False)
    else:
        print_plan(outcome.plan, outcome.admission, out, offline=offline, lang=ctx.lang)
    if detailed_exitcode and outcome.plan.has_changes:
        raise typer.Exit(int(ExitCode.CHANGES_PRESENT))
