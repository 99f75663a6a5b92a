"""`berth manifest ...` commands. Thin: the checks live in berth_core.validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from berth_cli.context import SiteContext, site_context

group = typer.Typer(help="Check tenant manifests before they reach the cloud.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="manifest")


def _site_was_chosen(ctx: typer.Context) -> bool:
    """True when the operator named a site (--site or BERTH_SITE), not just the default one."""
    source = ctx.find_root().get_parameter_source("site")
    return source is not None and source.name != "DEFAULT"


def _site_file(ctx: typer.Context, site: SiteContext, against_site: bool | None) -> Path | None:
    """The cloud.yml to check against: on when asked, or when a named site has one; off with --no-site."""
    from berth_core.errors import UsageError
    from berth_core.i18n import translate

    if against_site is False:
        return None
    if against_site is None and not _site_was_chosen(ctx):
        return None
    site_file = site.cloud_yml
    if not site_file.is_file():
        raise UsageError(translate("usage.no_site_file", site.lang, site=site.site, path=str(site_file)))
    return site_file


@group.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Manifest files, or folders walked for *.yaml and *.yml.")
    ],
    against_site: Annotated[
        bool | None,
        typer.Option(
            "--against-site/--no-site",
            help="Also check quota classes, flavors and CIDRs against inventory/<site>/cloud.yml. "
            "Default: on when --site (or BERTH_SITE) names a site.",
        ),
    ] = None,
) -> None:
    """Validate tenant manifests: exit 0 when all are valid, 3 with every problem listed otherwise."""
    from berth_core.errors import ExitCode, ManifestInvalid, UsageError
    from berth_core.i18n import message, translate
    from berth_core.safe_text import printable
    from berth_core.validate import validate_paths

    site = site_context()
    lang = site.lang
    site_file = _site_file(ctx, site, against_site)
    report = validate_paths(paths, site_file)
    if not report.files and not report.problems:
        raise UsageError(translate("usage.no_manifests", lang, paths=", ".join(str(p) for p in paths)))
    valid = not report.problems

    if site.output == "json":
        document = {
            "valid": valid,
            "site": site.site if site_file else None,
            # file names and field paths come from the input: JSON leaves C1 and bidi controls raw
            "files": [
                {"file": printable(f.file), "valid": f.valid, "tenants": f.tenants} for f in report.files
            ],
            "problems": [
                {
                    "file": printable(p.location.file),
                    "line": p.location.line,
                    "col": p.location.col,
                    "field": printable(p.location.field),
                    "code": p.code,
                    "message": message(p, lang),
                }
                for p in report.problems
            ],
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        if not valid:
            raise typer.Exit(int(ExitCode.MANIFEST_INVALID))
        return

    for file in report.files:
        if file.valid:
            typer.echo(translate("summary.file_ok", lang, file=file.file, tenants=", ".join(file.tenants)))
    if not valid:
        raise ManifestInvalid(report.problems)
    typer.echo(translate("summary.valid", lang, count=len(report.manifests)))
    site_note = translate("summary.site_checked", lang, site=site.site) if site_file else None
    typer.echo(site_note or translate("summary.site_skipped", lang))
