"""Settings for the test suite: the production settings with test-only defaults filled in."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("STRIPE_SANDBOX_ALLOWED", "1")
os.environ.setdefault("EMAIL_MODE", "console")

from .settings import *  # noqa: E402,F403

MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests that need the real queue switch back to the database backend explicitly.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# The sandbox's webhook thread would outlive a test and write into the next one's database;
# tests that want deliveries in the background switch it on for themselves.
STRIPE_SANDBOX_WEBHOOK_WORKER = False
# Tests run with DEBUG off, where a failed delivery would wait a minute before its retry.
STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS = [0.1, 0.2, 0.5]
