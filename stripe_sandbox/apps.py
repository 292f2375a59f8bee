from django.apps import AppConfig


class StripeSandboxConfig(AppConfig):
    name = "stripe_sandbox"
    verbose_name = "Stripe sandbox"

    def ready(self) -> None:
        from django.core.signals import request_started

        # The first request to a serving process starts webhook delivery, so deliveries left
        # pending when the server stopped go out again after a restart.
        request_started.connect(_start_worker, dispatch_uid="stripe_sandbox_webhook_worker")


def _start_worker(sender, **kwargs) -> None:
    from .webhooks import ensure_worker

    ensure_worker()
