"""`berth report usage|sample`: showback of a month per agency and tenant, and berth's own samples."""

from __future__ import annotations

from typing import Annotated

import typer

from berth_cli.context import site_context

group = typer.Typer(
    help="Showback: committed quota, usage and cost per agency and tenant for a month.", no_args_is_help=True
)


@group.command("usage")
def usage(
    *,
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM (UTC).")],
    prometheus: Annotated[
        str | None,
        typer.Option(
            "--prometheus",
            envvar="BERTH_PROMETHEUS",
            help="Prometheus that scrapes the exporter (default: spec.showback.prometheus of cloud.yml).",
        ),
    ] = None,
    samples: Annotated[
        bool, typer.Option("--samples", help="Use berth's own samples even when a Prometheus is set.")
    ] = False,
) -> None:
    """Committed quota (time-weighted and at month end), peak and average usage, the share of the month
    observed, and the cost when cloud.yml sets prices. --output text, json or csv.

    From Prometheus (the exporter's series) when one is given or set, else from the samples
    `berth report sample` recorded."""
    from berth_cli.rendering.showback import print_report
    from berth_cli.services.showback import usage_report

    ctx = site_context(csv=True)
    print_report(usage_report(ctx, month, prometheus=prometheus, samples_only=samples), ctx.output)


@group.command("sample")
def sample(
    *,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Per-project quota reads in flight.")] = 8,
) -> None:
    """Record one sample of every tenant's committed quota and usage (as the exporter reads them) in
    .berth/<site>/showback-samples.jsonl; run it from cron (hourly) where no Prometheus keeps history."""
    import json

    from berth_cli.services.showback import take_sample
    from berth_core.errors import UsageError

    ctx = site_context()
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    taken = take_sample(ctx, concurrency)
    if ctx.output == "json":
        typer.echo(json.dumps(taken.__dict__))
        return
    typer.echo(f"{ctx.site}: sampled {taken.tenants} tenant(s), {taken.samples} series, into {taken.path}")
    if taken.tenant_errors:
        typer.echo(
            f"{taken.tenant_errors} quota read(s) failed: those tenants' quotas are missing from this sample"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="report")
