"""Load manifests and site files: untrusted YAML in, validated models out, every problem located.

Files are read whole (after a size check), refused when they indent with tabs or are not UTF-8, then
composed by berth_core.safe_yaml, which enforces depth, alias and tag limits and duplicate keys. Each
document is validated against its model and every error is turned into a located Problem; all the
problems of all the files are collected and raised together as one ManifestInvalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from berth_core.errors import Location, ManifestInvalid, Problem
from berth_core.manifest import API_VERSION, TenantManifest
from berth_core.model_errors import format_path, problems_from_validation
from berth_core.safe_text import describe
from berth_core.safe_yaml import FieldPath, Locator, YamlIssue, parse_documents
from berth_core.site import Site

MAX_FILE_BYTES = 256 * 1024
MANIFEST_SUFFIXES = (".yaml", ".yml")
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MAX_TAB_PROBLEMS = 5  # a file indented with tabs has them on every line: name a few, not hundreds

M = TypeVar("M", bound=BaseModel)


def parse_field_path(text: str) -> FieldPath:
    """'spec.networks[1].cidr' -> ('spec', 'networks', 1, 'cidr')."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(text))


@dataclass(frozen=True)
class Document:
    """One YAML document: its plain data, the file it came from, and where each of its values is."""

    data: Any
    file: str
    index: int
    locator: Locator = field(repr=False, compare=False)

    def locate(self, field_path: str | FieldPath = "", *, prefer_key: bool = False) -> Location:
        path = parse_field_path(field_path) if isinstance(field_path, str) else field_path
        line, col = self.locator.find(path, prefer_key=prefer_key)
        return Location(self.file, line, col, format_path(path))

    def find(self, path: FieldPath, prefer_key: bool) -> tuple[int, int]:
        return self.locator.find(path, prefer_key=prefer_key)


@dataclass(frozen=True)
class LoadedManifest:
    manifest: TenantManifest
    file: str
    document_index: int
    document: Document = field(repr=False, compare=False)

    def locate(self, field_path: str) -> Location:
        """Where `spec.networks[1].cidr` (or its nearest written ancestor) is in the manifest's file."""
        return self.document.locate(field_path)


@dataclass
class FileReport:
    file: str
    tenants: list[str] = field(default_factory=list)
    problems: int = 0

    @property
    def valid(self) -> bool:
        return self.problems == 0


@dataclass
class ManifestReport:
    """Everything `berth manifest validate` shows: per file, the valid manifests, all problems."""

    files: list[FileReport]
    manifests: list[LoadedManifest]
    problems: list[Problem]
    _by_file: dict[str, FileReport] = field(default_factory=dict, repr=False)

    def add(self, problems: Iterable[Problem]) -> None:
        """Record problems, counting them against their file."""
        if len(self._by_file) != len(self.files):
            self._by_file = {f.file: f for f in self.files}
        found = list(problems)
        for problem in found:
            report = self._by_file.get(problem.location.file)
            if report is not None:
                report.problems += 1
        if found:
            self.problems = sorted([*self.problems, *found], key=Problem.sort_key)


def _file_problem(file: str, code: str, line: int = 0, col: int = 0, **params: Any) -> Problem:
    return Problem(Location(file, line, col), code, params)


def _yaml_problem(file: str, issue: YamlIssue) -> Problem:
    return Problem(Location(file, issue.line, issue.col, format_path(issue.path)), issue.code, issue.params)


def _read_text(path: Path, file: str) -> tuple[str | None, list[Problem]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [_file_problem(file, "file.too_large", size=size, limit=MAX_FILE_BYTES)]
        raw = path.read_bytes()
    except OSError as error:
        return None, [_file_problem(file, "file.unreadable", reason=error.strerror or type(error).__name__)]
    return decode_text(raw, file)  # checks the size again: the file may have grown between stat and read


def decode_text(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """A file's bytes as text, or the problems that refuse it: too large, binary, not UTF-8, tab-indented."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [_file_problem(file, "file.too_large", size=len(raw), limit=MAX_FILE_BYTES)]
    if b"\0" in raw:  # valid UTF-8 can hold NUL, but no YAML text does: an image or an archive
        return None, [_file_problem(file, "file.binary")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return None, [_file_problem(file, "file.not_utf8", line, col)]
    tabs = [m.end() for m in _TAB_INDENT.finditer(text)][:_MAX_TAB_PROBLEMS]
    if tabs:
        return None, [
            _file_problem(
                file, "yaml.tab_indent", text.count("\n", 0, end) + 1, end - text.rfind("\n", 0, end - 1) - 1
            )
            for end in tabs
        ]
    return text, []


def _documents(text: str, name: str) -> tuple[list[Document], list[Problem]]:
    raw_documents, stop = parse_documents(text)
    documents: list[Document] = []
    problems: list[Problem] = []
    for raw in raw_documents:
        if raw.data is None and not raw.issues:
            continue  # an empty document, e.g. after a trailing `---`: nothing asked, nothing to refuse
        if raw.issues:
            problems += [_yaml_problem(name, issue) for issue in raw.issues]
        else:
            documents.append(Document(raw.data, name, raw.index, raw.locator))
    problems += [_yaml_problem(name, issue) for issue in stop]
    if not documents and not problems:
        problems.append(_file_problem(name, "file.empty"))
    return documents, problems


def read_documents(path: Path, file: str | None = None) -> tuple[list[Document], list[Problem]]:
    """The well-formed documents of a file and the problems of the others (never raises for bad input)."""
    name = str(path) if file is None else file
    text, problems = _read_text(path, name)
    if text is None:
        return [], problems
    return _documents(text, name)


def manifests_from_bytes(raw: bytes, name: str) -> tuple[list[LoadedManifest], list[Problem]]:
    """The tenant manifests of one file's content that is not on disk (an older git revision), located
    as `name`, with the same limits and problems as a file read from disk."""
    text, problems = decode_text(raw, name)
    if text is None:
        return [], problems
    documents, problems = _documents(text, name)
    manifests: list[LoadedManifest] = []
    for document in documents:
        manifest, found = validate_document(document, TenantManifest, "Tenant")
        problems += found
        if manifest is not None:
            manifests.append(LoadedManifest(manifest, document.file, document.index, document))
    return manifests, sorted(problems, key=Problem.sort_key)


def load_documents(path: Path) -> list[Document]:
    """Every document of a YAML file; raises ManifestInvalid with all of the file's YAML problems."""
    documents, problems = read_documents(path)
    if problems:
        raise ManifestInvalid(problems)
    return documents


def _header_problem(document: Document, kind: str) -> Problem | None:
    """Refuse a document that is not a mapping or not of the expected apiVersion/kind before field checks."""
    data = document.data
    if not isinstance(data, dict):
        return Problem(document.locate(), "doc.not_mapping")
    if "apiVersion" in data and data["apiVersion"] != API_VERSION:
        got = describe(data["apiVersion"])
        return Problem(
            document.locate("apiVersion"), "manifest.api_version", {"expected": API_VERSION, "got": got}
        )
    if "kind" in data and data["kind"] != kind:
        return Problem(
            document.locate("kind"), "manifest.kind", {"expected": kind, "got": describe(data["kind"])}
        )
    return None


def _null_paths(data: Any, path: FieldPath = ()) -> list[FieldPath]:
    """Every place the document holds null (`key: ~`, `key:` with nothing, `- null`)."""
    if data is None:
        return [path]
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in _null_paths(value, (*path, key))]
    if isinstance(data, list):
        return [p for index, value in enumerate(data) for p in _null_paths(value, (*path, index))]
    return []


def _lineage(upper: str, lower: str) -> bool:
    """`upper` is `lower` or one of its ancestors (as formatted field paths; "" is the document)."""
    return not upper or lower == upper or lower.startswith((upper + ".", upper + "["))


def _related(field: str, null: str) -> bool:
    """A problem at, above or below a null is the null's consequence (`remote: ~` -> 'no source')."""
    return _lineage(field, null) or _lineage(null, field)


def validate_document(document: Document, model: type[M], kind: str) -> tuple[M | None, list[Problem]]:
    """The document as `model`, or None and every problem found in it.

    null is never a value: an optional field left out means its default, but `remote: ~` or `key:` with
    nothing must not silently mean "none" (a rule without a source is open to every source). Each null is
    refused on its own; the model's problems that are only its consequences are left out.
    """
    header = _header_problem(document, kind)
    if header is not None:
        return None, [header]
    nulls = _null_paths(document.data)
    try:
        result: M | None = model.model_validate(document.data)
        problems: list[Problem] = []
    except ValidationError as error:
        result = None
        problems = problems_from_validation(error, document.data, model, document.file, document.find)
    if not nulls:
        return result, problems
    shown = [format_path(n) for n in nulls]
    kept = [p for p in problems if not any(_related(p.location.field, n) for n in shown)]
    found = [Problem(document.locate(n, prefer_key=True), "value.null") for n in nulls]
    return None, kept + found


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files as given, and folders walked for *.yaml / *.yml in sorted order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if _is_manifest_file(p, path))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(_file_problem(str(path), "file.not_found"))
    unique: dict[Path, Path] = {}  # a file named twice (as a file and inside a folder) is read once
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values()), problems


def _is_manifest_file(path: Path, folder: Path) -> bool:
    """*.yaml / *.yml, skipping hidden files and folders (editor backups, .git)."""
    hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
    return path.suffix in MANIFEST_SUFFIXES and not hidden and path.is_file()


def _duplicate_slugs(manifests: list[LoadedManifest]) -> list[Problem]:
    first: dict[str, LoadedManifest] = {}
    problems: list[Problem] = []
    for loaded in manifests:
        slug = loaded.manifest.slug
        if slug in first:
            where = first[slug].locate("metadata.name")
            other = f"{where.file}:{where.line}"
            problems.append(
                Problem(
                    loaded.locate("metadata.name"), "manifest.duplicate_slug", {"slug": slug, "other": other}
                )
            )
        else:
            first[slug] = loaded
    return problems


def check_manifests(paths: Iterable[Path]) -> ManifestReport:
    """Validate every manifest under `paths` without raising: the report holds files, manifests, problems."""
    files, missing = collect_files(paths)
    report = ManifestReport([FileReport(str(f)) for f in files], [], [])
    report.add(missing)
    for path, file_report in zip(files, report.files, strict=True):
        documents, problems = read_documents(path, file_report.file)
        for document in documents:
            manifest, found = validate_document(document, TenantManifest, "Tenant")
            problems += found
            if manifest is not None:
                report.manifests.append(LoadedManifest(manifest, document.file, document.index, document))
                file_report.tenants.append(manifest.slug)
        report.add(problems)
    report.add(_duplicate_slugs(report.manifests))
    return report


def load_manifests(paths: Iterable[Path]) -> list[LoadedManifest]:
    """Every tenant manifest in the files and folders given; one ManifestInvalid with all problems otherwise."""
    report = check_manifests(paths)
    if report.problems:
        raise ManifestInvalid(report.problems)
    return report.manifests


def load_site(path: Path) -> Site:
    """The site description (inventory/<site>/cloud.yml); ManifestInvalid with located problems otherwise."""
    file = str(path)
    if not path.is_file():
        raise ManifestInvalid([_file_problem(file, "file.not_found")])
    documents, problems = read_documents(path)
    if not problems and len(documents) != 1:
        problems.append(_file_problem(file, "site.one_document", count=len(documents)))
    if problems:
        raise ManifestInvalid(problems)
    site, problems = validate_document(documents[0], Site, "Site")
    if site is None:
        raise ManifestInvalid(problems)
    return site
