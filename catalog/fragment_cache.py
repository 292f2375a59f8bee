"""The catalog's cached HTML fragments: the course cards of the catalog and the home page.

They show what every visitor sees alike (title, description, price, the seller's display name),
never a user's own details, a CSRF token or a CSP nonce: those stay in the page around them. Each
fragment's cache key carries one version, replaced whenever a course or a user's name changes
(catalog/signals.py), so a published or edited course shows on the next view.

The cache is Django's default one. With REDIS_URL every process and machine shares the version
and the fragments. Without it each process has its own: a change made through one process
replaces only that process's version, so the others show the old cards until their fragments
expire, CATALOG_CACHE_SECONDS later (10 s by default without Redis).
"""

import uuid

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "catalog:fragments:version"


def catalog_fragments_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def catalog_fragments_seconds() -> int:
    return settings.CATALOG_CACHE_SECONDS


def catalog_fragments_invalidate() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
