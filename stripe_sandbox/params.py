"""Request parameters: Stripe's form encoding in, checked against the installed SDK's typed params.

The SDK's `stripe.params` TypedDicts are generated from Stripe's OpenAPI spec for the API version
the SDK pins, so validating against them keeps the sandbox from drifting from the SDK: an unknown
parameter is refused exactly where Stripe would refuse it, and a missing required one too.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from dataclasses import dataclass
from typing import Any

from stripe._request_options import RequestOptions
from typing_extensions import is_typeddict

from .errors import (
    InvalidRequestError,
    parameter_invalid,
    parameter_missing,
    parameter_unknown,
)

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][c]=1&a[0][d]=2&expand[]=x` -> nested dicts.

    Arrays stay dicts keyed "0", "1", ... here (`expand[]` appends the next index); `validate`
    turns them into lists where the SDK's params say a list, and `as_list` does it by hand.
    """
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise InvalidRequestError(f"Invalid parameter name: {raw_key}", param=raw_key)
        segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = root
        for index, segment in enumerate(segments):
            last = index == len(segments) - 1
            if segment == "":
                segment = str(len(node))
            if last:
                node[segment] = value
            else:
                child = node.get(segment)
                if not isinstance(child, dict):
                    child = node[segment] = {}
                node = child
    return root


def as_list(value: Any) -> list:
    """A decoded array (a dict keyed "0", "1", ..., or already a list) as a list."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    return [value]


@dataclass(frozen=True)
class _Field:
    typeddicts: tuple[type, ...]
    is_list: bool
    is_map: bool
    has_str: bool
    has_int: bool
    has_bool: bool
    has_float: bool
    literals: tuple[Any, ...]


_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_FORWARD_REF = re.compile(r"ForwardRef\((['\"])(.*?)\1(?:, module=[^)]*)?\)")
_LITERAL = re.compile(r"Literal\[([^\]]*)\]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _annotation_text(annotation: Any) -> str:
    return _FORWARD_REF.sub(lambda match: match.group(2), str(annotation))


def _field(owner: type, annotation: Any) -> _Field:
    text = _annotation_text(annotation)
    literals: list[Any] = []
    for literal in _LITERAL.findall(text):
        try:
            value = ast.literal_eval(f"[{literal}]")
        except (ValueError, SyntaxError):
            continue
        literals.extend(value)
    bare = _LITERAL.sub(" ", text)
    names = set(_NAME.findall(bare))
    namespace = vars(sys.modules[owner.__module__])
    typeddicts = tuple(
        namespace[name] for name in sorted(names) if is_typeddict(namespace.get(name))
    )
    return _Field(
        typeddicts=typeddicts,
        is_list="List" in names,
        is_map=bool(names & {"Dict", "Mapping", "UntypedStripeObject"}),
        has_str="str" in names,
        has_int="int" in names,
        has_bool="bool" in names,
        has_float="float" in names,
        literals=tuple(literals),
    )


@functools.cache
def _fields(params_class: type) -> dict[str, _Field]:
    top_level = RequestOptions in getattr(params_class, "__orig_bases__", ())
    return {
        name: _field(params_class, annotation)
        for name, annotation in params_class.__annotations__.items()
        if not (top_level and name in _REQUEST_OPTION_KEYS)
    }


def _required(params_class: type) -> frozenset[str]:
    return frozenset(params_class.__required_keys__) - _REQUEST_OPTION_KEYS


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def validate(data: dict[str, Any], params_class: type) -> dict[str, Any]:
    """Check decoded params against an SDK params TypedDict; return them with types coerced.

    Integers become `int`, booleans `bool`, arrays `list`; strings stay strings ("" is kept: it
    means "unset" to Stripe). Raises a Stripe-shaped 400 for unknown, missing or invalid params.
    """
    return _validate_dict(data, (params_class,), "")


def _validate_dict(value: dict[str, Any], classes: tuple[type, ...], prefix: str) -> dict:
    chosen = _choose(value, classes)
    fields = _fields(chosen)
    for key in value:
        if key not in fields:
            raise parameter_unknown(_name(prefix, key))
    for key in sorted(_required(chosen)):
        if key not in value:
            raise parameter_missing(_name(prefix, key))
    return {key: _coerce(item, fields[key], _name(prefix, key)) for key, item in value.items()}


def _choose(value: dict[str, Any], classes: tuple[type, ...]) -> type:
    """Of a union of TypedDicts, the one whose keys fit the given dict (the first otherwise)."""
    if len(classes) == 1:
        return classes[0]
    for params_class in classes:
        fields = _fields(params_class)
        if set(value) <= set(fields) and _required(params_class) <= set(value):
            return params_class
    return classes[0]


def _coerce(value: Any, field: _Field, name: str) -> Any:
    if isinstance(value, dict):
        if field.is_list and all(key.isdigit() for key in value):
            return [
                _coerce_item(item, field, f"{name}[{index}]")
                for index, item in enumerate(as_list(value))
            ]
        if field.typeddicts:
            return _validate_dict(value, field.typeddicts, name)
        if field.is_map:
            return value
        raise parameter_invalid(name, f"Invalid {_scalar_label(field)}: {name} must not be a hash")
    return _coerce_scalar(value, field, name)


def _coerce_item(value: Any, field: _Field, name: str) -> Any:
    if isinstance(value, dict):
        if field.typeddicts:
            return _validate_dict(value, field.typeddicts, name)
        return value
    return _coerce_scalar(value, field, name)


def _scalar_label(field: _Field) -> str:
    if field.has_int and not field.has_str:
        return "integer"
    if field.has_bool and not field.has_str:
        return "boolean"
    return "string"


def _coerce_scalar(value: str, field: _Field, name: str) -> Any:
    if value == "" and (field.has_str or "" in field.literals or field.is_map or field.is_list):
        return ""
    if field.has_str:
        return value
    if field.literals and not (field.has_int or field.has_bool or field.has_float):
        if value not in field.literals:
            allowed = ", ".join(str(item) for item in field.literals if item != "")
            raise parameter_invalid(
                name, f"Invalid {name}: must be one of {allowed}", code="parameter_invalid"
            )
        return value
    if field.has_int:
        try:
            return int(value)
        except ValueError:
            if not field.has_float:
                raise parameter_invalid(
                    name, f"Invalid integer: {value}", code="parameter_invalid_integer"
                ) from None
    if field.has_bool:
        if value in ("true", "false"):
            return value == "true"
        raise parameter_invalid(name, f"Invalid boolean: {value}")
    if field.has_float:
        try:
            return float(value)
        except ValueError:
            raise parameter_invalid(name, f"Invalid decimal: {value}") from None
    if field.typeddicts:
        raise parameter_invalid(name, f"Invalid hash: {name}")
    if field.is_list:
        raise parameter_invalid(name, f"Invalid array: {name}")
    return value
