"""Claim a row for one process for a while: the guard around work that must not run twice (a
transfer to a seller, an email), which is done outside any transaction.

A claim is a timestamp set by one UPDATE, so of two processes racing only one wins. A claim older
than its timeout was left by a process that died mid-work, and another may take it over.
"""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone


def row_claim(*, rows: QuerySet, field: str, timeout: timedelta, **also) -> bool:
    """Stamp `field` on `rows` with now (and set `also`) unless a claim younger than `timeout`
    holds them; True when this call claimed. Narrow `rows` to what must still be done."""
    now = timezone.now()
    unclaimed = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now - timeout})
    return bool(rows.filter(unclaimed).update(**{field: now}, **also))
