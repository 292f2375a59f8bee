"""Two task workers (`manage.py db_worker`) on one queue never send an email twice.

Needs PostgreSQL: the workers are separate processes and must reach the test database, which on
SQLite lives in this process's memory. CI runs the suite on PostgreSQL too.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from checkout import tasks
from checkout.models import OrderEmail
from tests.checkout.factories import PaidOrderFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate worker processes need a shared database: set DATABASE_URL to PostgreSQL.",
    ),
]

BASE_DIR = Path(__file__).resolve().parents[2]
ORDERS = 30
COPIES = 3  # each email is queued three times, as a retried webhook or fulfilment might


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_two_workers_send_each_queued_email_exactly_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    orders = PaidOrderFactory.create_batch(ORDERS)
    for order in orders:
        for _ in range(COPIES):
            tasks.order_email_send.enqueue(order_id=order.pk, kind="receipt")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_config.settings",
        "DJANGO_SECRET_KEY": "worker-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "STRIPE_SANDBOX_ALLOWED": "1",
        "EMAIL_MODE": "console",
        "DATABASE_URL": _database_url(),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]

    sent_per_worker = [output.count("Subject: Your receipt for") for output in outputs]
    assert sum(sent_per_worker) == ORDERS
    assert all(count > 0 for count in sent_per_worker), "one worker did all the work"
    for order in orders:
        record = OrderEmail.objects.get(order=order, kind="receipt")
        assert record.sent_at is not None
        assert record.attempts == 1
