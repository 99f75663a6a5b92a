"""Untrusted YAML to plain data, keeping the line and column of every value.

We compose the parser's event stream ourselves (libyaml's C parser when present) instead of using a
PyYAML constructor, so that every limit is enforced *while* reading, before anything is expanded:
nesting depth, alias count and alias expansion (billion laughs), duplicate keys, and non-standard tags.
Plain scalars resolve with the YAML 1.2 core schema (so `NO` stays text and `0755` is a number), and
no Python object other than dict, list, str, int, float, bool and None is ever built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is ~10x faster; the pure-Python parser gives the same events and marks.
    from yaml import CSafeLoader as _Parser

    _C_READER = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

    _C_READER = False

MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_EXPANDED_VALUES = 10_000  # values in one document once aliases are expanded

FieldPath = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset({"!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))})
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NUMBERS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (_INT, int),
    (_INT_OCT, lambda v: int(v[2:], 8)),
    (_INT_HEX, lambda v: int(v[2:], 16)),
    (_FLOAT, float),
)
_FLOAT_SPECIAL = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}


_DOCUMENT_END = yaml.DocumentEndEvent
_MAPPING_START = yaml.MappingStartEvent
_COLLECTION_START = frozenset({yaml.MappingStartEvent, yaml.SequenceStartEvent})
_COLLECTION_END = frozenset({yaml.MappingEndEvent, yaml.SequenceEndEvent})


@dataclass(frozen=True)
class YamlIssue:
    """A problem found while reading YAML: 1-based position, a catalogue code and its parameters."""

    line: int
    col: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    path: FieldPath = ()  # the field it concerns, when known


class Locator:
    """Field path -> (line, col) of its value (and of its key, for mapping entries)."""

    __slots__ = ("_keys", "_values")

    def __init__(self) -> None:
        self._values: dict[FieldPath, tuple[int, int]] = {}
        self._keys: dict[FieldPath, tuple[int, int]] = {}

    def add(self, path: FieldPath, line: int, col: int, *, key: tuple[int, int] | None = None) -> None:
        # first wins: a duplicate key is reported, and its first value is the one kept
        self._values.setdefault(path, (line, col))
        if key is not None:
            self._keys.setdefault(path, key)

    def find(self, path: FieldPath, *, prefer_key: bool = False) -> tuple[int, int]:
        """The position of `path`, else of its nearest ancestor present in the YAML (e.g. for a missing field)."""
        probe = path
        while True:
            if prefer_key and probe in self._keys:
                return self._keys[probe]
            if probe in self._values:
                return self._values[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]


@dataclass
class RawDocument:
    data: Any
    index: int
    locator: Locator
    issues: list[YamlIssue]


class _StopReadingError(Exception):
    """Stop reading the file: a limit was crossed or the structure cannot be trusted."""

    def __init__(self, issue: YamlIssue) -> None:
        super().__init__(issue.code)
        self.issue = issue


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _pos(event: Any) -> tuple[int, int]:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


def _scalar(event: Any, path: FieldPath, issues: list[YamlIssue]) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is not None and tag not in _ALLOWED_TAGS:
        issues.append(YamlIssue(*_pos(event), "yaml.tag_forbidden", {"tag": _shown_tag(tag)}, path))
        return value
    if tag is None and event.implicit[0]:  # plain scalar: resolve by content
        return _resolve_plain(value)
    if tag in (None, "!", _CORE + "str"):
        return value
    resolved = _resolve_plain(value)
    wanted = {_CORE + "int": int, _CORE + "float": float, _CORE + "bool": bool, _CORE + "null": type(None)}
    kind = wanted.get(tag)
    if kind is float and type(resolved) is int:
        return float(resolved)
    if kind is None or type(resolved) is not kind:
        issues.append(
            YamlIssue(*_pos(event), "yaml.bad_scalar", {"value": value, "tag": tag.removeprefix(_CORE)}, path)
        )
    return resolved


def _resolve_plain(value: str) -> Any:
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    for pattern, convert in _NUMBERS:
        if pattern.match(value):
            return convert(value)
    return _FLOAT_SPECIAL.get(value.lower(), value)


@dataclass(slots=True)
class _Frame:
    container: dict[str, Any] | list[Any]
    path: FieldPath
    anchor: str | None
    is_map: bool
    size: int = 1  # values in this subtree once aliases are expanded
    height: int = 1
    key: str | None = None  # mapping: the key waiting for its value
    key_pos: tuple[int, int] = (0, 0)
    key_lines: dict[str, int] = field(default_factory=dict)


class _Composer:
    """Builds one document's data from events, with its locator, checking every limit on the way."""

    def __init__(self, parser: Any, index: int) -> None:
        self.parser = parser
        self.locator = Locator()
        self.issues: list[YamlIssue] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, size, height)
        self.aliases = 0
        self.expanded = 0
        self.index = index

    def compose(self) -> Any:
        stack: list[_Frame] = []
        root: Any = None
        while True:
            event = self.parser.get_event()
            kind = type(event)
            if kind is _DOCUMENT_END:
                return root
            if kind in _COLLECTION_END:
                done = stack.pop()
                if done.anchor is not None:
                    self.anchors[done.anchor] = (done.container, done.size, done.height)
                if stack:
                    stack[-1].size += done.size
                    stack[-1].height = max(stack[-1].height, done.height + 1)
                continue
            parent = stack[-1] if stack else None
            if parent is not None and parent.is_map and parent.key is None:
                self._take_key(parent, event)
                continue
            path = self._child_path(parent)
            value, size, height = self._value(event, path, len(stack))
            line, col = _pos(event)
            key_pos = parent.key_pos if parent is not None and parent.is_map else None
            self.locator.add(path, line, col, key=key_pos)
            if kind in _COLLECTION_START:
                frame = _Frame(value, path, event.anchor, kind is _MAPPING_START)
                self._attach(parent, value)
                stack.append(frame)
                if parent is None:
                    root = value
                continue
            if parent is None:
                root = value
            else:
                parent.size += size
                parent.height = max(parent.height, height + 1)
                self._attach(parent, value)

    def _take_key(self, frame: _Frame, event: Any) -> None:
        if not isinstance(event, yaml.ScalarEvent):
            raise _StopReadingError(YamlIssue(*_pos(event), "yaml.complex_key"))
        key, pos = event.value, _pos(event)
        path = (*frame.path, key)
        if event.tag is not None and event.tag not in _ALLOWED_TAGS:
            self.issues.append(YamlIssue(*pos, "yaml.tag_forbidden", {"tag": _shown_tag(event.tag)}, path))
        first = frame.key_lines.get(key)
        if first is not None:
            self.issues.append(YamlIssue(*pos, "yaml.duplicate_key", {"key": key, "first_line": first}, path))
        else:
            frame.key_lines[key] = pos[0]
        frame.key, frame.key_pos = key, pos

    @staticmethod
    def _child_path(parent: _Frame | None) -> FieldPath:
        if parent is None:
            return ()
        if parent.is_map:
            return (*parent.path, parent.key or "")
        return (*parent.path, len(parent.container))

    @staticmethod
    def _attach(parent: _Frame | None, value: Any) -> None:
        if parent is None:
            return
        container = parent.container
        if isinstance(container, dict):
            # a duplicate key keeps its first value (and is reported)
            container.setdefault(parent.key or "", value)
            parent.key = None
        else:
            container.append(value)

    def _value(self, event: Any, path: FieldPath, depth: int) -> tuple[Any, int, int]:
        """The value an event starts (an empty container for collections), its expanded size and height."""
        self.expanded += 1
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, path, depth)
        if self.expanded > MAX_EXPANDED_VALUES:
            raise _StopReadingError(
                YamlIssue(*_pos(event), "yaml.too_many_values", {"limit": MAX_EXPANDED_VALUES})
            )
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event, path, self.issues)
            if event.anchor is not None:
                self.anchors[event.anchor] = (value, 1, 0)
            return value, 1, 0
        if depth + 1 > MAX_DEPTH:
            raise _StopReadingError(YamlIssue(*_pos(event), "yaml.too_deep", {"limit": MAX_DEPTH}, path))
        if event.tag is not None and event.tag not in _ALLOWED_TAGS:
            self.issues.append(
                YamlIssue(*_pos(event), "yaml.tag_forbidden", {"tag": _shown_tag(event.tag)}, path)
            )
        if isinstance(event, yaml.MappingStartEvent):
            return {}, 1, 1
        if isinstance(event, yaml.SequenceStartEvent):
            return [], 1, 1
        raise _StopReadingError(YamlIssue(*_pos(event), "yaml.syntax", {"problem": type(event).__name__}))

    def _alias(self, event: Any, path: FieldPath, depth: int) -> tuple[Any, int, int]:
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _StopReadingError(
                YamlIssue(*_pos(event), "yaml.too_many_aliases", {"limit": MAX_ALIASES}, path)
            )
        target = self.anchors.get(event.anchor)
        if target is None:
            raise _StopReadingError(
                YamlIssue(*_pos(event), "yaml.undefined_alias", {"name": event.anchor}, path)
            )
        value, size, height = target
        self.expanded += size - 1
        if self.expanded > MAX_EXPANDED_VALUES:
            raise _StopReadingError(
                YamlIssue(*_pos(event), "yaml.alias_bomb", {"limit": MAX_EXPANDED_VALUES}, path)
            )
        if depth + height > MAX_DEPTH:
            raise _StopReadingError(YamlIssue(*_pos(event), "yaml.too_deep", {"limit": MAX_DEPTH}, path))
        return value, size, height


# libyaml's wording of the syntax errors agencies actually make -> our catalogue codes.
_SYNTAX_CODES = (
    ("mapping values are not allowed", "yaml.syntax.mapping_value"),
    ("could not find expected ':'", "yaml.syntax.missing_colon"),
    ("did not find expected key", "yaml.syntax.bad_indent"),
    ("did not find expected '-' indicator", "yaml.syntax.bad_indent"),
    ("did not find expected node content", "yaml.syntax.missing_value"),
    ("found character that cannot start any token", "yaml.syntax.bad_character"),
    ("found unexpected end of stream", "yaml.syntax.unclosed_quote"),
    ("did not find expected ',' or ']'", "yaml.syntax.unclosed_flow"),
    ("did not find expected ',' or '}'", "yaml.syntax.unclosed_flow"),
    ("did not find expected alphabetic or numeric character", "yaml.syntax.anchor_name"),
    ("did not find expected comment or line break", "yaml.syntax.trailing_text"),
    ("did not find expected whitespace or line break", "yaml.syntax.bad_character"),
    ("directive", "yaml.syntax.directive"),
    ("document start", "yaml.syntax.directive"),
    # the pure-Python parser's wording, for a PyYAML built without libyaml
    ("expected alphabetic or numeric character", "yaml.syntax.anchor_name"),
    ("expected a comment or a line break", "yaml.syntax.trailing_text"),
    ("could not find expected ':'", "yaml.syntax.missing_colon"),
    ("expected <block end>", "yaml.syntax.bad_indent"),
    ("expected ',' or ']'", "yaml.syntax.unclosed_flow"),
    ("expected ',' or '}'", "yaml.syntax.unclosed_flow"),
    ("found unexpected end of stream", "yaml.syntax.unclosed_quote"),
    ("found character '", "yaml.syntax.bad_character"),
    ("expected the node content", "yaml.syntax.missing_value"),
)


def _syntax_issue(error: yaml.MarkedYAMLError) -> YamlIssue:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = str(error.problem or error.context or "")
    if "maximum nesting depth" in problem:  # libyaml's own guard (1000 levels) can fire before ours
        return YamlIssue(line, col, "yaml.too_deep", {"limit": MAX_DEPTH})
    for needle, code in _SYNTAX_CODES:
        if needle in problem:
            return YamlIssue(line, col, code)
    return YamlIssue(line, col, "yaml.syntax", {"problem": problem})


def parse_documents(text: str) -> tuple[list[RawDocument], list[YamlIssue]]:
    """Every document of a YAML stream; issues that stopped the reading are returned separately."""
    parser = None
    documents: list[RawDocument] = []
    try:
        parser = _Parser(text)  # the pure-Python reader checks characters here already
        parser.get_event()  # StreamStart
        while not parser.check_event(yaml.StreamEndEvent):
            parser.get_event()  # DocumentStart
            composer = _Composer(parser, len(documents))
            data = composer.compose()
            documents.append(RawDocument(data, composer.index, composer.locator, composer.issues))
        return documents, []
    except _StopReadingError as abort:
        return documents, [abort.issue]
    except yaml.MarkedYAMLError as error:
        return documents, [_syntax_issue(error)]
    except yaml.reader.ReaderError as error:  # a character YAML forbids: control characters, mostly
        position = error.position
        if _C_READER:  # libyaml counts bytes of the UTF-8 text, the Python reader characters
            position = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        line = text.count("\n", 0, position) + 1
        col = position - text.rfind("\n", 0, position)
        char = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or " ")
        return documents, [YamlIssue(line, col, "yaml.bad_character", {"char": f"U+{char:04X}"})]
    except yaml.YAMLError as error:  # pragma: no cover - every YAML error is one of the above
        return documents, [YamlIssue(1, 1, "yaml.syntax", {"problem": str(error)})]
    finally:
        if parser is not None:
            parser.dispose()
