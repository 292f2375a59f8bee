"""`/healthz/` for load balancers and process managers: cheap, unauthenticated, no secrets.

Answered by a middleware ahead of the host check and the HTTPS redirect: a load balancer probes
a machine by its own address over plain HTTP, and must get the health, not a 400 or a 301.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz/"
HEALTH_CACHE_KEY = "healthz"


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: the database does not answer")
        return False


def _cache_answers() -> bool:
    try:
        cache.set(HEALTH_CACHE_KEY, "ok", timeout=10)
        return cache.get(HEALTH_CACHE_KEY) == "ok"
    except Exception:
        logger.exception("Health check: the cache does not answer")
        return False


def health_response() -> JsonResponse:
    checks = {"database": "ok" if _database_answers() else "down"}
    if settings.REDIS_URL:
        # The local-memory cache lives in this process and cannot be down.
        checks["cache"] = "ok" if _cache_answers() else "down"
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
