"""`berth apply [PLAN]`: make the cloud match the manifests (or a saved plan), under the site's lock.

Without PLAN it plans first (live) and asks before changing anything, unless --yes. With PLAN it refuses
a plan whose observed state has changed since it was made (exit 8), like `terraform apply planfile`.
The work is berth's one apply workflow (berth_cli.services.apply_site), the same for both engines;
every apply, refused or failed ones included, is written to the site's hash-chained audit log.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import site_context

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_cli.services.apply_site import ApplyOutcome
    from berth_cli.services.planning import Planned


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)


def apply(
    *,
    plan_file: Annotated[
        Path | None, typer.Argument(help="A plan saved by `berth plan --out` (else plan now).")
    ] = None,
    paths: Annotated[
        list[Path] | None,
        typer.Option("--manifests", "-f", help="Manifest files or folders (default: manifests/)."),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="auto, pulumi or direct.")] = "auto",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    allow_overbooking: Annotated[
        bool,
        typer.Option(
            "--allow-overbooking",
            help="Accept quota past capacity (needs --reason; not with a saved plan: plan with it).",
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why this apply is made; recorded in the audit log (required with --allow-overbooking).",
        ),
    ] = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for another apply's lock.")] = 30.0,
) -> None:
    """Apply the plan: platform first, then every tenant, idempotent; nothing else is ever deleted."""
    from berth_cli.rendering.progress import apply_progress
    from berth_cli.services.apply_site import ApplyRequest, Interaction, apply_site
    from berth_cli.services.engines import engine_factory
    from berth_cli.services.planning import apply_reasons, open_cloud
    from berth_core.errors import UsageError
    from berth_stacks.engine import choose_engine

    ctx = site_context()
    if engine not in ("auto", "pulumi", "direct"):
        raise UsageError(f"--engine must be auto, pulumi or direct, not {engine!r}")
    chosen, why = choose_engine(engine)  # type: ignore[arg-type]
    print(why, file=sys.stderr)
    audit_reason, overbooking = apply_reasons(allow_overbooking, reason)
    if plan_file is not None and (paths or allow_overbooking):
        raise UsageError(
            "a saved plan is applied as it is: --manifests and --allow-overbooking belong to `berth plan`"
        )
    request = ApplyRequest(
        plan_file=plan_file,
        paths=paths,
        reason=audit_reason,
        overbooking=overbooking,
        assume_yes=yes,
        wait_seconds=wait,
    )
    cloud = open_cloud(ctx)
    with apply_progress(ctx.output) as progress:
        ui = Interaction(show=lambda planned: show_plan(ctx, planned), confirm=confirm, progress=progress)
        outcome = apply_site(ctx, cloud, engine_factory(ctx, chosen, cloud), request, ui)
    print_outcome(outcome, ctx.output)


def show_plan(ctx: SiteContext, planned: Planned) -> None:
    from berth_cli.rendering.plan import print_plan

    if ctx.output == "text":
        print_plan(planned.outcome.plan, planned.outcome.admission, None, offline=False, lang=ctx.lang)


def confirm() -> bool:
    """Ask on a terminal; refuse to guess anywhere else (a pipe, a service manager, CI)."""
    from berth_core.errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError("refusing to apply without confirmation", hint="review the plan and pass --yes")
    typer.confirm("Apply these changes?", abort=True)
    return True


def print_outcome(outcome: ApplyOutcome, output: str) -> None:
    result = outcome.result
    counts = result.counts() if result is not None else None
    requests = result.requests if result is not None else 0
    if output == "json":
        import json

        doc = {
            "applied": counts is not None,
            "counts": counts,
            "requests": requests,
            "engine": outcome.engine,
        }
        typer.echo(json.dumps(doc))
    elif counts is None:
        typer.echo("Nothing to change: the cloud already matches.")
    else:
        typer.echo(
            f"Applied: {counts['create']} created, {counts['update']} updated, {counts['delete']} deleted "
            f"({requests} API requests, {outcome.engine} engine)."
        )
