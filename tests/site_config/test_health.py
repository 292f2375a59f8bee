"""`/healthz/`: 200 with a small JSON body when the database (and Redis, when set) answer."""

import socket

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.site_config.redis import redis_url_or_skip

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-store" in response["Cache-Control"]


def test_health_answers_a_probe_by_ip_address_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz/", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200


def test_health_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)

    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "down"}}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_cache(settings, url: str) -> None:
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_health_is_503_when_redis_does_not_answer(client, settings):
    _redis_cache(settings, f"redis://127.0.0.1:{_closed_port()}/0")

    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "down"}


def test_health_checks_redis_when_it_is_the_cache(client, settings):
    _redis_cache(settings, redis_url_or_skip())

    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}
