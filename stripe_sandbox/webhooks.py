"""Webhook delivery: signed like Stripe, sent by a background thread, retried with backoff.

Each event gets one `WebhookDelivery` row (platform or Connect endpoint). A daemon thread, started
lazily in the serving process (on the first request and whenever an event is emitted), posts due
deliveries and sleeps until the next one is due or it is woken. The state lives in the database,
so pending deliveries resume after a restart, and a claim (`locked_until`) keeps two processes
from sending the same attempt. `deliver_due()` does the same work synchronously (tests, the
`sandbox_deliver_webhooks` command).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from .models import Event, WebhookDelivery
from .routers import SANDBOX_DATABASE

logger = logging.getLogger(__name__)

PLATFORM_SECRET = "whsec_sandbox_platform"
CONNECT_SECRET = "whsec_sandbox_connect"
# Seconds to wait after each failed attempt; after the last one the delivery is given up.
DEBUG_RETRY_DELAYS = (1, 2, 5, 10, 30, 60, 120, 300, 600)
# Closer to Stripe's own schedule (it retries for up to three days).
RETRY_DELAYS = (60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600)
LOCK_SECONDS = 60
IDLE_POLL_SECONDS = 30.0


def endpoint_target(endpoint: str) -> tuple[str, str]:
    """(url, signing secret) for an endpoint, read from settings at delivery time."""
    if endpoint == WebhookDelivery.Endpoint.CONNECT:
        return (
            settings.STRIPE_SANDBOX_CONNECT_WEBHOOK_URL,
            settings.STRIPE_CONNECT_WEBHOOK_SECRET or CONNECT_SECRET,
        )
    return (
        settings.STRIPE_SANDBOX_WEBHOOK_URL,
        settings.STRIPE_WEBHOOK_SECRET or PLATFORM_SECRET,
    )


def retry_delays() -> tuple[float, ...]:
    configured = settings.STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS
    if configured is not None:
        return tuple(configured)
    return DEBUG_RETRY_DELAYS if settings.DEBUG else RETRY_DELAYS


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`, as Stripe signs."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _deliveries():
    return WebhookDelivery.objects.using(SANDBOX_DATABASE)


def _due(now) -> Q:
    return Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )


def _claim(delivery: WebhookDelivery, now) -> bool:
    claimed = (
        _deliveries()
        .filter(pk=delivery.pk)
        .filter(_due(now))
        .update(locked_until=now + timedelta(seconds=LOCK_SECONDS))
    )
    return claimed == 1


def attempt(delivery: WebhookDelivery) -> bool:
    """POST the event once and record the outcome. True when the endpoint answered 2xx."""
    url, secret = endpoint_target(delivery.endpoint)
    event = delivery.event
    payload = json.dumps(event.data, indent=2)
    status_code = None
    error = ""
    if not url:
        error = "No endpoint URL configured for this event."
    else:
        try:
            response = requests.post(
                url,
                data=payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": signature_header(payload, secret),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) sandbox",
                },
                timeout=settings.STRIPE_SANDBOX_WEBHOOK_TIMEOUT,
                allow_redirects=False,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {' '.join(response.text.split())[:300]}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"

    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_url = url
    delivery.last_status_code = status_code
    delivery.last_error = error
    delivery.locked_until = None
    if not error:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        delays = retry_delays()
        if delivery.attempts > len(delays):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delays[delivery.attempts - 1])
        logger.info("Webhook %s to %s failed: %s", event.id, url or "-", error)
    delivery.save(using=SANDBOX_DATABASE)
    _update_pending_count(event)
    return not error


def _update_pending_count(event: Event) -> None:
    pending = event.deliveries.filter(status=WebhookDelivery.Status.PENDING).count()
    if event.data.get("pending_webhooks") != pending:
        event.data["pending_webhooks"] = pending
        event.save(using=SANDBOX_DATABASE, update_fields=["data"])


def deliver_due() -> int:
    """Send every delivery that is due now, one attempt each. Returns how many were attempted."""
    now = timezone.now()
    attempted = 0
    due = list(_deliveries().filter(_due(now)).select_related("event").order_by("next_attempt_at"))
    for delivery in due:
        if _claim(delivery, now):
            attempt(delivery)
            attempted += 1
    return attempted


def next_due_in() -> float | None:
    """Seconds until the next pending delivery is due (0 if one is due now), None if none."""
    upcoming = (
        _deliveries()
        .filter(status=WebhookDelivery.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", "locked_until")
        .first()
    )
    if upcoming is None:
        return None
    when = max(filter(None, upcoming))
    return max((when - timezone.now()).total_seconds(), 0.0)


def resend(delivery: WebhookDelivery) -> None:
    """Queue another attempt now (the inspector's Resend button), even after it gave up."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.locked_until = None
    delivery.save(using=SANDBOX_DATABASE)
    _update_pending_count(delivery.event)
    wake_worker()


def wait_for_deliveries(timeout: float = 5.0) -> None:
    """Deliver until nothing is due or in flight (retries scheduled later do not count).

    For tests: call it after an action to have its webhooks delivered before asserting.
    """
    deadline = time.monotonic() + timeout
    while True:
        deliver_due()
        now = timezone.now()
        busy = _deliveries().filter(
            Q(_due(now)) | Q(status=WebhookDelivery.Status.PENDING, locked_until__gte=now)
        )
        if not busy.exists():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("Webhook deliveries still pending after the timeout.")
        time.sleep(0.02)


class _Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid: int | None = None

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and self.pid == os.getpid()

    def ensure_started(self) -> None:
        if self.running() or not settings.STRIPE_SANDBOX_WEBHOOK_WORKER:
            return
        with self.lock:
            if self.running():
                return
            self.stop.clear()
            shared = _shared_in_memory_connection()
            self.thread = threading.Thread(
                target=self.run, args=(shared,), name="stripe-sandbox-webhooks", daemon=True
            )
            self.pid = os.getpid()
            self.thread.start()

    def run(self, shared) -> None:
        if shared is not None:
            connections[SANDBOX_DATABASE] = shared
        while not self.stop.is_set():
            self.wake.clear()
            wait = IDLE_POLL_SECONDS
            try:
                deliver_due()
                due_in = next_due_in()
                if due_in is not None:
                    wait = min(wait, max(due_in, 0.01))
            except Exception:
                logger.debug("Stripe sandbox webhook worker: database not ready", exc_info=True)
                wait = 1.0
            finally:
                if shared is None:
                    connections.close_all()
            self.wake.wait(wait)

    def halt(self, timeout: float = 5.0) -> None:
        with self.lock:
            thread = self.thread
            self.stop.set()
            self.wake.set()
        if thread is not None:
            thread.join(timeout)
        self.thread = None


def _shared_in_memory_connection():
    """The caller's connection when the sandbox DB is in-memory SQLite (the test suite).

    An in-memory database exists only on the connection that made it, so the worker thread uses
    that connection, exactly as Django's live server thread does.
    """
    connection = connections[SANDBOX_DATABASE]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.inc_thread_sharing()
        return connection
    return None


_worker = _Worker()


def ensure_worker() -> None:
    """Start the delivery thread in this process if it is not running."""
    _worker.ensure_started()


def wake_worker() -> None:
    """Start the worker if needed and have it look for due deliveries now."""
    _worker.ensure_started()
    _worker.wake.set()


def stop_worker(timeout: float = 5.0) -> None:
    """Stop the delivery thread (tests; it restarts on the next event or request)."""
    _worker.halt(timeout)
