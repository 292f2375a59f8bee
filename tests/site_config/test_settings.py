"""Settings read from the environment for production: shared cache, lasting DB connections.

Each case imports the settings in a fresh interpreter, as a server process would.
"""

import json
import os
import subprocess
import sys
import uuid

from tests.site_config.redis import redis_url_or_skip

BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "site_config.settings",
    "DJANGO_SECRET_KEY": "settings-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "STRIPE_SANDBOX_ALLOWED": "1",
    "PATH": os.environ.get("PATH", ""),
}


def run_in_new_process(code: str, **env: str) -> dict:
    """Run `code` after django.setup() in a new interpreter; it prints one JSON value."""
    program = "import django, json\ndjango.setup()\n" + code
    completed = subprocess.run(
        [sys.executable, "-c", program],
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


READ_SETTINGS = """
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"cache": settings.CACHES["default"]["BACKEND"],
                  "max_age": db["CONN_MAX_AGE"], "health": db["CONN_HEALTH_CHECKS"]}))
"""


def test_without_redis_url_the_cache_is_this_process_own():
    found = run_in_new_process(READ_SETTINGS)

    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_postgresql_connections_last_and_are_checked_before_reuse():
    found = run_in_new_process(
        READ_SETTINGS, DATABASE_URL="postgres://app@db.invalid:5432/marketplace"
    )

    assert found["max_age"] == 600
    assert found["health"] is True


def test_sqlite_connections_last_and_set_their_pragmas_once(tmp_path):
    found = run_in_new_process(
        """
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    pragmas = [cursor.execute(f"PRAGMA {name}").fetchone()[0]
               for name in ("journal_mode", "synchronous")]
print(json.dumps({"max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
                  "pragmas": pragmas}))
""",
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}",
    )

    assert found["max_age"] == 600
    # WAL, and synchronous NORMAL (1): a commit no longer waits for the disk.
    assert found["pragmas"] == ["wal", 1]


def test_with_redis_url_a_rate_limit_counted_in_one_process_holds_in_another():
    url = redis_url_or_skip()
    prefix = f"ratelimit-test-{uuid.uuid4().hex}"
    hit = """
from django.core.cache import caches
cache = caches["default"]
key = "login_failed:buyer@example.com"
cache.add(key, 0, 60)
print(json.dumps({"count": cache.incr(key), "backend": type(cache).__name__}))
"""
    first = run_in_new_process(hit, REDIS_URL=url, CACHE_KEY_PREFIX=prefix)
    second = run_in_new_process(hit, REDIS_URL=url, CACHE_KEY_PREFIX=prefix)

    assert first == {"count": 1, "backend": "RedisCache"}
    assert second == {"count": 2, "backend": "RedisCache"}
