"""Stripe's Search API (`/v1/customers/search?query=email:'a@b.c'` and friends).

https://docs.stripe.com/search#search-query-language: clauses `field:value` (exact),
`field~"sub"` (substring, at least 3 characters), `field>1`, `<`, `>=`, `<=`, `-field:value`
(negation), `metadata['key']:'value'`, `field:null`, joined by `AND` or by `OR` (not both).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .errors import InvalidRequestError

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
    (?P<field>[a-z_]+(?:\[['"][^'"]+['"]\])?(?:\.[a-z_]+)*)
    \s*(?P<op>:|~|>=|<=|>|<)\s*
    (?P<value>'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|null)\s*""",
    re.VERBOSE,
)
_CONNECTOR = re.compile(r"\s+(AND|OR)\s+")


@dataclass(frozen=True)
class Clause:
    negated: bool
    path: tuple[str, ...]
    op: str
    value: Any


def parse_query(query: str) -> tuple[list[Clause], str]:
    """Clauses and how they combine ("AND" or "OR"). Raises Stripe's 400 for a bad query."""
    parts = _CONNECTOR.split(query.strip())
    clauses_text, connectors = parts[::2], set(parts[1::2])
    if len(connectors) > 1:
        raise InvalidRequestError(
            "Mixing AND and OR in a search query is not supported.", param="query"
        )
    clauses = []
    for text in clauses_text:
        match = _CLAUSE.fullmatch(text)
        if not match:
            raise InvalidRequestError(
                f"We were unable to parse your search query. Try using the format "
                f'`metadata["key"]:"value"` to query for metadata or key:"value" to query '
                f"for other fields. Clause: {text!r}",
                param="query",
            )
        clauses.append(_clause(match))
    return clauses, connectors.pop() if connectors else "AND"


def _clause(match: re.Match) -> Clause:
    field = match.group("field")
    metadata = re.fullmatch(r"metadata\[['\"]([^'\"]+)['\"]\]", field)
    path = ("metadata", metadata.group(1)) if metadata else tuple(field.split("."))
    raw = match.group("value")
    if raw == "null":
        value = None
    elif raw[0] in "'\"":
        value = raw[1:-1]
    else:
        value = float(raw) if "." in raw else int(raw)
    op = match.group("op")
    if op == "~" and (not isinstance(value, str) or len(value) < 3):
        raise InvalidRequestError(
            "Substring (~) searches need a quoted value of at least 3 characters.", param="query"
        )
    return Clause(bool(match.group("neg")), path, op, value)


def _lookup(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _matches(data: dict[str, Any], clause: Clause) -> bool:
    actual = _lookup(data, clause.path)
    expected = clause.value
    if clause.op == ":":
        if isinstance(actual, str) and isinstance(expected, str):
            result = actual.lower() == expected.lower()
        else:
            result = actual == expected
    elif clause.op == "~":
        result = isinstance(actual, str) and expected.lower() in actual.lower()
    else:
        try:
            result = {
                ">": actual > expected,
                "<": actual < expected,
                ">=": actual >= expected,
                "<=": actual <= expected,
            }[clause.op]
        except TypeError:
            result = False
    return result != clause.negated


def search_response(queryset: QuerySet, params: dict[str, Any], *, url: str) -> dict[str, Any]:
    """Stripe's `search_result` for rows whose `data` match `params["query"]`, newest first.

    `limit` (default 10, at most 100) and the opaque `page` cursor from `next_page`.
    """
    clauses, connector = parse_query(params.get("query") or "")
    combine = all if connector == "AND" else any
    limit = params.get("limit", 10)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise InvalidRequestError("Invalid limit: must be between 1 and 100", param="limit")
    offset = _decode_page(params.get("page"))
    rows = [
        row.data
        for row in queryset.order_by("-created_at", "-id")
        if combine(_matches(row.data, clause) for clause in clauses)
    ]
    page = rows[offset : offset + limit]
    has_more = offset + limit < len(rows)
    return {
        "object": "search_result",
        "data": page,
        "has_more": has_more,
        "next_page": _encode_page(offset + limit) if has_more else None,
        "url": url,
    }


def _encode_page(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_page(page: str | None) -> int:
    if not page:
        return 0
    try:
        return int(base64.urlsafe_b64decode(page.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise InvalidRequestError(
            "Invalid page: use the next_page of a search result.", param="page"
        ) from None
