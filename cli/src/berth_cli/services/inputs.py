"""A site's inputs: its cloud.yml and its manifests, validated together, every problem located."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_core.loader import LoadedManifest
    from berth_core.quota import Locate
    from berth_core.site import Site


def shown(path: Path) -> Path:
    """The path as errors should show it: relative to the working directory when it is under it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _site_file(ctx: SiteContext) -> Path:
    from berth_core.errors import UsageError

    if not ctx.cloud_yml.is_file():
        raise UsageError(
            f"site {ctx.site!r} has no {ctx.cloud_yml}", hint="name a site under inventory/ with --site"
        )
    return shown(ctx.cloud_yml)


def load_site_only(ctx: SiteContext) -> tuple[Site, Locate]:
    """The site and a locator for its fields (line numbers of cloud.yml problems)."""
    from berth_core.loader import load_documents, load_site

    site_file = _site_file(ctx)
    return load_site(site_file), load_documents(site_file)[0].locate


def load_inputs(ctx: SiteContext, paths: list[Path] | None) -> tuple[Site, list[LoadedManifest], Locate]:
    """The site, every manifest (given paths, else manifests/) and a locator for the site's fields.

    Validated together: every problem of the site and of the manifests in one ManifestInvalid (exit 3).
    """
    from berth_core.errors import ManifestInvalid, Problem, UsageError
    from berth_core.loader import load_documents, load_manifests, load_site
    from berth_core.validate import check_against_site

    site_file = _site_file(ctx)
    sources = list(paths) if paths else [shown(ctx.manifests_dir)]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    # report the site's problems and the manifests' together, not one file after the other
    site_problems: list[Problem] = []
    try:
        site = load_site(site_file)
    except ManifestInvalid as invalid:
        site_problems = list(invalid.problems)
    try:
        loaded = load_manifests(sources)
    except ManifestInvalid as invalid:
        raise ManifestInvalid([*invalid.problems, *site_problems]) from None
    if site_problems:
        raise ManifestInvalid(site_problems)
    if not loaded:
        raise UsageError(f"no manifests found in {', '.join(str(p) for p in sources)}")
    problems = check_against_site(loaded, site)
    if problems:
        raise ManifestInvalid(problems)
    # the site parsed once already; parse again for line numbers of its fields (quota class problems)
    return site, loaded, load_documents(site_file)[0].locate
