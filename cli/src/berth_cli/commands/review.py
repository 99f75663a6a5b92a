"""`berth review`: the manifests a merge request changes, classified auto or needs approval.

Thin: git and the work are berth_cli.services.review, the words berth_cli.rendering.review. Exit 0 when
every change is within the site's review policy, 10 when some need approval, 3 invalid, 4 refused.
"""

from __future__ import annotations

from typing import Annotated

import typer

from berth_cli.context import site_context


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def review(
    *,
    base: Annotated[
        str, typer.Option("--base", help="The git revision the change is compared with (e.g. origin/main).")
    ],
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Plan against cloud.yml's capacity, not the live cloud (no OpenStack)."
        ),
    ] = False,
) -> None:
    """Review the manifests changed since --base: validate, plan, and classify each tenant's change
    as auto (within the site's review policy) or needs approval, with the reasons."""
    import json
    from datetime import UTC, datetime

    from berth_cli.rendering.review import markdown, text
    from berth_cli.services.review import review_site
    from berth_core.errors import ExitCode

    ctx = site_context(markdown=True)
    result = review_site(ctx, base, offline=offline, now=datetime.now(UTC))
    if ctx.output == "json":
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, sort_keys=True))
    elif ctx.output == "markdown":
        typer.echo(markdown(result, ctx.lang), nl=False)
    else:
        typer.echo(text(result, ctx.lang), nl=False)
    if result.refused:
        raise typer.Exit(int(ExitCode.CAPACITY_REFUSED))
    if result.needs_approval:
        raise typer.Exit(int(ExitCode.CHANGES_PRESENT))
