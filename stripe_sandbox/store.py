"""The object store: ids, create/get/save, list pagination and `expand[]`.

Every Stripe object is a `SandboxObject` whose `data` is the exact JSON the API returns. Handlers
build `data` as a plain dict shaped after `fixtures3.json` and keep sandbox-only state in
`internal`.
"""

from __future__ import annotations

import copy
import secrets
import string
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet

from .errors import InvalidRequestError, resource_missing
from .models import SandboxObject
from .routers import SANDBOX_DATABASE

_ALPHABET = string.ascii_letters + string.digits

# Stripe's id prefixes. Resources not listed use the prefix given to `new_id` directly.
PREFIXES = {
    "account": "acct",
    "application_fee": "fee",
    "balance_transaction": "txn",
    "charge": "ch",
    "checkout.session": "cs_test",
    "customer": "cus",
    "event": "evt",
    "fee_refund": "fr",
    "invoice": "in",
    "payment_intent": "pi",
    "payment_method": "pm",
    "setup_intent": "seti",
    "price": "price",
    "product": "prod",
    "refund": "re",
    "subscription": "sub",
    "subscription_item": "si",
    "transfer": "tr",
    "transfer_reversal": "trr",
    "payout": "po",
    "line_item": "li",
}


# Objects whose API JSON has no `livemode` field (fixtures3.json).
WITHOUT_LIVEMODE = frozenset(
    {
        "account",
        "application",
        "balance_transaction",
        "bank_account",
        "capability",
        "card",
        "discount",
        "fee_refund",
        "item",
        "oauth_access_token",
        "person",
        "refund",
        "subscription_item",
        "transfer_reversal",
    }
)


def new_id(prefix: str, length: int = 24) -> str:
    """`new_id("cus")` -> "cus_1Qx..." (Stripe's ids start with a digit after the prefix)."""
    return f"{prefix}_1" + "".join(secrets.choice(_ALPHABET) for _ in range(length - 1))


def now() -> int:
    return int(time.time())


def objects() -> QuerySet[SandboxObject]:
    return SandboxObject.objects.using(SANDBOX_DATABASE)


def create_object(
    object_type: str,
    data: dict[str, Any],
    *,
    account: str = "",
    internal: dict[str, Any] | None = None,
    object_id: str | None = None,
) -> SandboxObject:
    """Store a new object. `data` gets `id`, `object`, `created` (and `livemode` where Stripe has
    it) filled in if missing.

    `object_type` is Stripe's `object` value ("customer", "checkout.session", ...).
    """
    if object_id is None:
        object_id = data.get("id") or new_id(
            PREFIXES.get(object_type, object_type.split(".")[-1]),
            length=16 if object_type == "account" else 24,
        )
    payload = {"id": object_id, "object": object_type}
    payload.update({key: value for key, value in data.items() if key not in ("id", "object")})
    payload.setdefault("created", now())
    if object_type not in WITHOUT_LIVEMODE:
        payload.setdefault("livemode", False)
    return objects().create(
        id=object_id,
        object_type=object_type,
        account=account,
        data=payload,
        internal=internal or {},
    )


def find_object(object_type: str, object_id: str, *, account: str | None = "") -> SandboxObject:
    """The stored object, or None. `account=None` looks across all accounts (sandbox-internal)."""
    queryset = objects().filter(object_type=object_type, id=object_id)
    if account is not None:
        queryset = queryset.filter(account=account)
    return queryset.first()


def get_object(
    object_type: str,
    object_id: str,
    *,
    account: str = "",
    label: str | None = None,
    param: str = "id",
) -> SandboxObject:
    """The object owned by `account`, else Stripe's 404 `No such <label>: '<id>'`.

    An object of another account is missing too, exactly as Stripe scopes by Stripe-Account.
    """
    found = find_object(object_type, object_id, account=account)
    if found is None:
        raise resource_missing(label or object_type, object_id, param=param)
    return found


def save_object(obj: SandboxObject, **changes: Any) -> dict[str, Any]:
    """Apply top-level `changes` to `obj.data`, save, and return Stripe's `previous_attributes`."""
    previous = {}
    for key, value in changes.items():
        if obj.data.get(key) != value:
            previous[key] = obj.data.get(key)
            obj.data[key] = value
    obj.save(using=SANDBOX_DATABASE)
    return previous


def merge_update(target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Stripe's update semantics, returning a new dict: nested hashes merge, "" unsets a field,
    and `metadata` merges key by key, a key set to "" being removed."""
    merged = copy.deepcopy(target)
    for key, value in changes.items():
        if key == "metadata":
            metadata = {} if value == "" else {**(merged.get("metadata") or {}), **value}
            merged[key] = {k: v for k, v in metadata.items() if v != ""}
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_update(merged[key], value)
        elif value == "":
            merged[key] = None
        else:
            merged[key] = value
    return merged


def list_response(
    queryset: QuerySet,
    params: dict[str, Any],
    *,
    url: str,
    serialize=lambda row: row.data,
) -> dict[str, Any]:
    """Stripe's list object for a queryset of rows with `created_at` and `id` (newest first).

    Honours `limit` (1-100, default 10), `starting_after` and `ending_before`.
    """
    limit = params.get("limit", 10)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise InvalidRequestError(
            "Invalid limit: must be an integer between 1 and 100",
            param="limit",
            code="parameter_invalid_integer",
        )
    ordered = queryset.order_by("-created_at", "-id")
    starting_after = params.get("starting_after")
    ending_before = params.get("ending_before")
    if starting_after:
        cursor = _cursor(queryset, starting_after, "starting_after")
        rows = list(ordered.filter(_older_than(cursor))[: limit + 1])
    elif ending_before:
        cursor = _cursor(queryset, ending_before, "ending_before")
        newer = queryset.filter(_newer_than(cursor)).order_by("created_at", "id")
        rows = list(newer[: limit + 1])
        has_more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        return _list(rows, has_more, url, serialize)
    else:
        rows = list(ordered[: limit + 1])
    return _list(rows[:limit], len(rows) > limit, url, serialize)


def filter_created(queryset, created):
    """Stripe's `created` list filter: an exact timestamp or a hash of gt/gte/lt/lte."""
    if created in (None, ""):
        return queryset
    if isinstance(created, int):
        created = {"gte": created, "lt": created + 1}
    for op, value in created.items():
        when = datetime.fromtimestamp(int(value), tz=UTC)
        queryset = queryset.filter(**{f"created_at__{op}": when})
    return queryset


def _list(rows: list, has_more: bool, url: str, serialize) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [serialize(row) for row in rows],
        "has_more": has_more,
        "url": url,
    }


def _cursor(queryset: QuerySet, object_id: str, param: str):
    row = queryset.filter(id=object_id).first()
    if row is None:
        raise resource_missing("object", object_id, param=param)
    return row


def _older_than(row) -> Q:
    return Q(created_at__lt=row.created_at) | Q(created_at=row.created_at, id__lt=row.id)


def _newer_than(row) -> Q:
    return Q(created_at__gt=row.created_at) | Q(created_at=row.created_at, id__gt=row.id)


def expand(data: dict[str, Any], paths: Iterable[str], *, account: str = "") -> dict[str, Any]:
    """Replace id strings at dotted `paths` with the objects they name (Stripe's `expand[]`).

    `data.x` paths apply to each item of a list object. Only objects visible to `account` expand;
    an id that is not in the store stays a string.
    """
    result = dict(data)
    for path in paths:
        result = _expand_path(result, path.split("."), account)
    return result


def _expand_path(value: Any, parts: list[str], account: str) -> Any:
    if not parts:
        return value
    if isinstance(value, list):
        return [_expand_path(item, parts, account) for item in value]
    if not isinstance(value, dict):
        return value
    head, rest = parts[0], parts[1:]
    if head not in value:
        return value
    child = value[head]
    if isinstance(child, str):
        found = objects().filter(id=child).first()
        if found is not None and found.account in (account, ""):
            child = found.data
    result = dict(value)
    result[head] = _expand_path(child, rest, account)
    return result


def filter_exact(queryset: QuerySet, params: dict, *keys: str) -> QuerySet:
    """Narrow a list to objects whose field equals each list filter the request gave."""
    for key in keys:
        if params.get(key):
            queryset = queryset.filter(**{f"data__{key}": params[key]})
    return queryset


def record_partial_return(
    obj: SandboxObject,
    *,
    child: dict,
    amount: int,
    list_field: str,
    total_field: str,
    done_field: str,
) -> dict:
    """Add a refund or reversal to its parent as Stripe shows it; returns previous_attributes.

    The parent embeds its newest ten children (`refunds`, `reversals`), keeps a running total
    (`amount_refunded`, `amount_reversed`) and flags itself done once the total reaches its amount.
    """
    embedded = dict(obj.data[list_field])
    embedded["data"] = [child, *embedded["data"]][:10]
    total = obj.data[total_field] + amount
    return save_object(
        obj,
        **{total_field: total, done_field: total >= obj.data["amount"], list_field: embedded},
    )
