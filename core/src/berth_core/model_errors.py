"""pydantic validation errors -> located, translatable Problems.

pydantic's own messages are English and change between releases; agencies need stable Vietnamese
and English text. So each pydantic error type maps to a catalogue code (berth_core.i18n) with
parameters, and our own validators raise PydanticCustomError whose type already is a code.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from berth_core.errors import Location, Problem
from berth_core.manifest import (
    AGENCY_CODE_PATTERN,
    FLAVOR_NAME_PATTERN,
    PRINCIPAL_PATTERN,
    RESOURCE_NAME_PATTERN,
)
from berth_core.safe_text import describe
from berth_core.safe_yaml import FieldPath
from berth_core.showback_policy import CURRENCY_PATTERN

# (field path, prefer the key's position) -> (line, col)
Finder = Callable[[FieldPath, bool], tuple[int, int]]

_SIMPLE: dict[str, str] = {
    "missing": "field.missing",
    "int_type": "type.int",
    "int_parsing": "type.int",
    "int_from_float": "type.int",
    "float_type": "type.number",
    "float_parsing": "type.number",
    "bool_type": "type.bool",
    "bool_parsing": "type.bool",
    "string_type": "type.str",
    "model_type": "type.mapping",
    "model_attributes_type": "type.mapping",
    "dict_type": "type.mapping",
    "tuple_type": "type.list",
    "list_type": "type.list",
    "iterable_type": "type.list",
    "ip_v4_network": "value.ipv4_network",
    "ip_v4_address": "value.ipv4_address",
}
_LIMITS: dict[str, tuple[str, str]] = {  # pydantic type -> (code, ctx key of the limit)
    "greater_than_equal": ("value.min", "ge"),
    "greater_than": ("value.above", "gt"),
    "less_than_equal": ("value.max", "le"),
    "less_than": ("value.below", "lt"),
    "string_too_short": ("value.too_short", "min_length"),
    "string_too_long": ("value.too_long", "max_length"),
    "too_short": ("value.too_few", "min_length"),
    "too_long": ("value.too_many", "max_length"),
}
_QUOTED = re.compile(r"'[^']*'")
_PATTERNS: dict[str, str] = {
    AGENCY_CODE_PATTERN: "value.agency_code",
    RESOURCE_NAME_PATTERN: "value.resource_name",
    PRINCIPAL_PATTERN: "value.principal",
    FLAVOR_NAME_PATTERN: "value.flavor_name",
    CURRENCY_PATTERN: "report.currency",
}


def format_path(path: Sequence[str | int]) -> str:
    """('spec', 'networks', 1, 'cidr') -> 'spec.networks[1].cidr'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _data_path(loc: Sequence[Any], data: Any) -> FieldPath:
    """Keep the parts of pydantic's loc that exist in the data (drops union-branch tags like 'str')."""
    path: list[str | int] = []
    for i, part in enumerate(loc):
        in_dict = isinstance(data, dict) and part in data
        if in_dict or (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)):
            data = data[part]
        elif i == len(loc) - 1 and isinstance(part, str | int):
            path.append(part)  # a missing or unknown field: name it even though it is not there
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside Optional[...], tuple[..., ...], dict[str, ...] or Annotated[...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list, dict):
        for arg in reversed(typing.get_args(annotation)):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _is_mapping_of_models(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_mapping_of_models(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_mapping_of_models(a) for a in typing.get_args(annotation))
    return origin is dict


def _model_at(root: type[BaseModel], path: FieldPath) -> type[BaseModel] | None:
    """The model whose fields are valid at `path` (list indexes and dict keys keep the item model)."""
    model: type[BaseModel] | None = root
    skip_key = False
    for part in path:
        if model is None:
            return None
        if isinstance(part, int) or skip_key:
            skip_key = False
            continue
        by_alias = {(f.alias or name): f for name, f in model.model_fields.items()}
        if part not in by_alias:
            return None
        annotation = by_alias[part].annotation
        model, skip_key = _unwrap_model(annotation), _is_mapping_of_models(annotation)
    return model


def _unknown_field(root: type[BaseModel], path: FieldPath) -> tuple[str, dict[str, Any]]:
    name = str(path[-1]) if path else ""
    model = _model_at(root, path[:-1])
    allowed = [f.alias or n for n, f in model.model_fields.items()] if model else []
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return "field.unknown.suggest", {"name": name, "suggestion": close[0]}
    return "field.unknown", {"name": name, "allowed": ", ".join(allowed)}


def _choices(expected: str) -> str:
    """pydantic's "'ingress' or 'egress'" without the English 'or': "'ingress', 'egress'"."""
    return ", ".join(_QUOTED.findall(expected)) or expected


def _limit_code(kind: str, ctx: dict[str, Any], got: str) -> tuple[str, dict[str, Any]]:
    code, key = _LIMITS[kind]
    limit = ctx.get(key)
    if code == "value.min" and limit == -1:
        return "quota.negative", {"got": got}
    return code, {"limit": limit, "got": got}


def _code_and_params(error: Any, root: type[BaseModel], path: FieldPath) -> tuple[str, dict[str, Any]]:
    kind: str = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    got = describe(error.get("input"))
    if "." in kind:  # our own validators already speak in catalogue codes
        ctx.pop("at", None)
        result: tuple[str, dict[str, Any]] = (kind, ctx)
    elif kind == "extra_forbidden":
        result = _unknown_field(root, path)
    elif kind == "literal_error" and path and path[-1] == "role" and error.get("input") == "admin":
        result = ("member.admin", {})
    elif kind == "literal_error":
        result = ("value.choice", {"expected": _choices(str(ctx.get("expected", ""))), "got": got})
    elif kind == "string_pattern_mismatch":
        code = _PATTERNS.get(str(ctx.get("pattern")))
        result = (
            (code, {"got": got}) if code else ("value.pattern", {"got": got, "pattern": ctx.get("pattern")})
        )
    elif kind in _LIMITS:
        result = _limit_code(kind, ctx, got)
    elif kind in _SIMPLE:
        result = (_SIMPLE[kind], {"got": got})
    else:  # site.py's plain ValueErrors, and pydantic types we never expected: English, but never lost
        result = ("value.invalid", {"message": str(ctx.get("error", error.get("msg", kind)))})
    return result


def problems_from_validation(
    error: ValidationError, data: Any, root: type[BaseModel], file: str, find: Finder
) -> list[Problem]:
    """Every error of one validation, located at the YAML node of its field."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        base = _data_path(item["loc"], data)
        ctx = item.get("ctx") or {}
        if item["type"] == "berth.issues":
            entries = [(base + tuple(sub), code, params) for sub, code, params in ctx["issues"]]
        else:
            entries = [(base + tuple(ctx.get("at", ())), "", {})]
        for path, own_code, own_params in entries:
            code, params = (own_code, own_params) if own_code else _code_and_params(item, root, path)
            line, col = find(path, code.startswith("field.unknown"))
            problems.append(Problem(Location(file, line, col, format_path(path)), code, params))
    return problems
