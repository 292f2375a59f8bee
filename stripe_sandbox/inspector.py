"""What the inspector page at /stripe-sandbox/ shows.

The page renders each entry of `SECTIONS` in order: a template (included with the context its
function returns) under a heading. Add a section by appending `Section(...)` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import store
from .models import Event
from .routers import SANDBOX_DATABASE

EVENTS_SHOWN = 50


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    template: str
    context: Callable[[], dict[str, Any]]


def accounts_context() -> dict[str, Any]:
    rows = store.objects().filter(object_type="account", account="").order_by("-created_at")
    return {"accounts": [{**row.data, "connected": row.internal.get("connected")} for row in rows]}


def payments_context() -> dict[str, Any]:
    """Filled in by the payments half of the sandbox (checkout sessions, charges, refunds)."""
    return {}


def events_context() -> dict[str, Any]:
    events = (
        Event.objects.using(SANDBOX_DATABASE)
        .prefetch_related("deliveries")
        .order_by("-created_at", "-id")[:EVENTS_SHOWN]
    )
    return {"events": events}


SECTIONS: list[Section] = [
    Section(
        "accounts",
        "Connected accounts",
        "stripe_sandbox/inspector/_accounts.html",
        accounts_context,
    ),
    Section("payments", "Payments", "stripe_sandbox/inspector/_payments.html", payments_context),
    Section(
        "events", "Events and webhooks", "stripe_sandbox/inspector/_events.html", events_context
    ),
]


def page_context() -> dict[str, Any]:
    return {
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "template": section.template,
                "context": section.context(),
            }
            for section in SECTIONS
        ]
    }
