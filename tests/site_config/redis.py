"""The Redis the tests may use: a database number of their own on the local server."""

import os

import pytest

# Tests own this database number and flush it; nothing else on the machine should use it.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def redis_url_or_skip() -> str:
    """The test Redis URL; skips when no Redis answers, unless CI requires one (REDIS_REQUIRED)."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("REDIS_REQUIRED"):
            raise
        pytest.skip(f"No Redis at {TEST_REDIS_URL} ({error}); start redis-server to run this.")
    return TEST_REDIS_URL
