"""The door to Stripe for connected accounts: OAuth, accounts, account links, login links.

It also builds the project's one `StripeClient`, which the payments gateway shares.
"""

import functools
import logging

import stripe
from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)


class StripeGatewayError(Exception):
    """A Stripe call failed. `user_message` is safe to show; the raw error is logged."""

    def __init__(self, user_message: str, *, code: str | None = None):
        super().__init__(user_message)
        self.user_message = user_message
        self.code = code


@functools.cache
def stripe_client() -> stripe.StripeClient:
    """The one client, built from settings on first use (sandbox or real Stripe alike)."""
    options: dict = {"client_id": settings.STRIPE_CONNECT_CLIENT_ID, "max_network_retries": 2}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {
            "api": settings.STRIPE_API_BASE,
            "connect": settings.STRIPE_API_BASE,
        }
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def _forget_client_when_settings_change(*, setting: str, **kwargs) -> None:
    if setting.startswith("STRIPE_") or setting == "SITE_URL":
        stripe_client.cache_clear()


setting_changed.connect(_forget_client_when_settings_change)
