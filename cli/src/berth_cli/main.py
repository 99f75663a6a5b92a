"""The `berth` Typer app: global options, command groups, and the one error boundary.

Heavy libraries (openstack, pulumi, ansible_runner, paramiko, prometheus_client) are imported inside
command bodies only, so `berth --help` stays fast; tests/unit/test_cli_imports.py holds us to it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from berth_cli.commands import register
from berth_cli.context import OPTIONS, default_lang

app = typer.Typer(
    name="berth",
    help="Operate a shared OpenStack government cloud: deploy it, give every agency its tenant, watch capacity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: Typer's rich help formatter alone costs ~300 ms of imports, and `berth --help` must be quick.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version as dist_version

        typer.echo(f"berth {dist_version('berth-cli')}")
        raise typer.Exit(0)


@app.callback()
def _global(
    *,
    site: Annotated[
        str, typer.Option("--site", envvar="BERTH_SITE", help="Site under inventory/<site>/.")
    ] = "aio",
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", envvar="BERTH_OUTPUT", help="text or json (review: markdown; report: csv)."
        ),
    ] = "text",
    lang: Annotated[
        str | None, typer.Option("--lang", envvar="BERTH_LANG", help="vi or en (default from LANG).")
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="BERTH_DEBUG", help="Show tracebacks of unexpected errors.")
    ] = False,
    cloud: Annotated[
        str | None,
        typer.Option(
            "--cloud", help="clouds.yaml cloud (default: OS_CLOUD, else .berth/<site>/clouds.yaml's admin)."
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print berth's version and exit."
        ),
    ] = False,
) -> None:
    from berth_core.errors import UsageError

    if output not in ("text", "json", "markdown", "csv"):
        raise UsageError(
            f"--output must be text or json (or markdown, for berth review; csv, for berth report), not {output!r}"
        )
    if lang is not None and lang not in ("vi", "en"):
        raise UsageError(f"--lang must be vi or en, not {lang!r}")
    OPTIONS.site = site
    OPTIONS.output = output  # type: ignore[assignment]
    OPTIONS.lang = lang or default_lang()  # type: ignore[assignment]
    OPTIONS.debug = debug
    OPTIONS.cloud = cloud
    _library_logging(debug)


def _library_logging(debug: bool) -> None:
    """keystoneauth, openstacksdk and paramiko log warnings that berth reports itself, as located errors with
    a hint; with no handler set, Python would print them raw on stderr. --debug shows them (warnings only:
    their debug level can carry request bodies)."""
    import logging

    root = logging.getLogger()
    if not root.handlers:  # an embedding program (or pytest) that set up logging keeps its own
        root.addHandler(logging.StreamHandler() if debug else logging.NullHandler())
        root.setLevel(logging.WARNING)


register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app inside the single error boundary and return the exit code."""
    from berth_cli.errors import run_guarded

    return run_guarded(app, argv)


if __name__ == "__main__":
    sys.exit(main())
