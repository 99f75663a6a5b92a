"""The preflight gate in front of `berth cloud deploy`: check the site's hosts, stop on any failure."""

from __future__ import annotations

import sys

from rich.console import Console

from berth_cli.context import SiteContext
from berth_core.errors import PreflightFailed


def preflight_or_fail(ctx: SiteContext, limit: str | None) -> None:
    """Run every check for the site (optionally `--limit`ed); raise PreflightFailed (exit 9) on a failure.

    The table goes to stderr so a deploy's own output on stdout stays clean.
    """
    from berth_cli.preflight.check import run_site
    from berth_cli.preflight.render import print_text, summary_line

    console = Console(stderr=True)
    _, reports = run_site(
        ctx.site,
        ctx.site_dir,
        ctx.root,
        limit,
        console=console if sys.stderr.isatty() else None,
        debug=ctx.debug,
    )
    failing = [r for r in reports if r.status == "fail"]
    if failing:
        print_text(console, ctx.site, reports)
        raise PreflightFailed(
            summary_line(ctx.site, reports),
            hint=f"Fix the failures above (berth hosts check --site {ctx.site} shows them "
            "again), or pass --skip-preflight if you accept the risk.",
        )
