"""Several server processes share the sandbox's deliveries, as gunicorn workers do under
`make serve`: each delivery is claimed atomically and sent once, and pending ones survive a
restart (they are rows, not memory)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.stripe_sandbox.conftest import Receiver

BASE_DIR = Path(__file__).resolve().parents[2]
EVENTS = 40
PROCESSES = 3


def _env(tmp_path: Path, receiver_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_config.settings",
        "DJANGO_SECRET_KEY": "delivery-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "STRIPE_SANDBOX_ALLOWED": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "STRIPE_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        "SITE_URL": receiver_url,
    }


QUEUE_EVENTS = f"""
import django
django.setup()
from django.conf import settings
from django.db import transaction
# No server runs: nothing may send them before the racing processes start.
settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
from stripe_sandbox.events import emit_event
from stripe_sandbox.routers import SANDBOX_DATABASE
for n in range({EVENTS}):
    with transaction.atomic(using=SANDBOX_DATABASE):
        emit_event("charge.succeeded", {{"id": f"ch_{{n}}", "object": "charge"}})
"""

COUNT_STATUSES = """
import django, json
django.setup()
from stripe_sandbox.models import WebhookDelivery
print(json.dumps(sorted(WebhookDelivery.objects.using("stripe_sandbox")
                        .values_list("status", flat=True).distinct())))
"""


def _python(code: str, env: dict) -> str:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def test_processes_racing_over_the_same_deliveries_send_each_event_once(tmp_path):
    receiver = Receiver()
    receiver.delay = 0.02  # a slow endpoint keeps every process busy at the same time
    try:
        env = _env(tmp_path, receiver.url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--database", "stripe_sandbox", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=120,
        )
        # Queued with no server running: they wait in the database for the next start.
        _python(QUEUE_EVENTS, env)

        racers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "sandbox_deliver_webhooks"],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for _ in range(PROCESSES)
        ]
        for racer in racers:
            assert racer.wait(timeout=120) == 0

        delivered = [
            json.loads(request["body"])["data"]["object"]["id"] for request in receiver.requests
        ]
        assert sorted(delivered) == sorted(f"ch_{n}" for n in range(EVENTS))
        assert json.loads(_python(COUNT_STATUSES, env)) == ["succeeded"]
    finally:
        receiver.close()
