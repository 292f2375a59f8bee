from django.conf import settings


def stripe_mode(request) -> dict:
    return {"stripe_sandbox_enabled": settings.STRIPE_SANDBOX_ENABLED}
