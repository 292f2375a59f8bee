import time

from django.core.management.base import BaseCommand

from stripe_sandbox.webhooks import IDLE_POLL_SECONDS, deliver_due, next_due_in


class Command(BaseCommand):
    help = (
        "Send the Stripe sandbox's due webhook deliveries now. With --loop, keep sending them "
        "(the web server does this by itself in a background thread)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep delivering until stopped.")

    def handle(self, *args, loop: bool = False, **options) -> None:
        while True:
            attempted = deliver_due()
            if attempted:
                self.stdout.write(f"Attempted {attempted} webhook deliveries.")
            if not loop:
                return
            due_in = next_due_in()
            time.sleep(
                min(IDLE_POLL_SECONDS, due_in if due_in is not None else IDLE_POLL_SECONDS) or 0.05
            )
