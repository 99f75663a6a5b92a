"""Global options, and the site context every service takes.

The Typer callback fills `OPTIONS` from the command line; a command turns it into a `SiteContext` once
(`site_context()`) and hands that to the services, which never read a global."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from berth_core import paths
from berth_core.paths import Lang

# markdown: `berth review` only, csv: `berth report` only (site_context refuses them elsewhere)
Output = Literal["text", "json", "markdown", "csv"]


def default_lang() -> Lang:
    return paths.default_lang(os.environ)


def project_root() -> Path:
    return paths.project_root(os.environ, Path.cwd())


@dataclass
class Options:
    """What the command line said (the Typer callback fills it); services get a SiteContext instead."""

    site: str = "aio"
    output: Output = "text"
    lang: Lang = "en"
    debug: bool = False
    cloud: str | None = None  # clouds.yaml cloud name; default: OS_CLOUD, else the site's written admin cloud


OPTIONS = Options()


@dataclass(frozen=True)
class SiteContext:
    """What a service needs to know about the run: which site, where its files and state are, how to
    speak (output, language) and which cloud to log in to."""

    site: str
    root: Path
    state_dir: Path
    output: Output = "text"
    lang: Lang = "en"
    debug: bool = False
    cloud: str | None = None  # clouds.yaml cloud name; default: OS_CLOUD, else the site's admin cloud

    @property
    def site_dir(self) -> Path:
        return self.root / "inventory" / self.site

    @property
    def cloud_yml(self) -> Path:
        return self.site_dir / "cloud.yml"

    @property
    def manifests_dir(self) -> Path:
        return self.root / "manifests"

    @property
    def clouds_yaml(self) -> Path:
        """The admin clouds.yaml `berth cloud deploy` writes for the site."""
        return self.state_dir / "clouds.yaml"


def site_context(options: Options | None = None, *, markdown: bool = False, csv: bool = False) -> SiteContext:
    """The context of this run, from the global options (the only reader of OPTIONS besides main).

    `markdown`, `csv`: the command can speak it (`--output markdown|csv`); every other one refuses it."""
    chosen = OPTIONS if options is None else options
    if chosen.output == "markdown" and not markdown:
        from berth_core.errors import UsageError

        raise UsageError("--output markdown is only for berth review; this command speaks text or json")
    if chosen.output == "csv" and not csv:
        from berth_core.errors import UsageError

        raise UsageError("--output csv is only for berth report usage; this command speaks text or json")
    root = project_root()
    return SiteContext(
        site=chosen.site,
        root=root,
        state_dir=paths.site_state_dir(root, chosen.site, os.environ),
        output=chosen.output,
        lang=chosen.lang,
        debug=chosen.debug,
        cloud=chosen.cloud,
    )
