from django.core.management.base import BaseCommand

from stripe_sandbox.resources.accounts import demo_account_ensure

DEMO_ACCOUNT_ID = "acct_1DemoSellerSandbox"
DEMO_EMAIL = "seller@example.com"
# The demo seller's name in the app's demo data, so the payment page says who the course is by.
DEMO_BUSINESS_NAME = "Grace Hopper"


class Command(BaseCommand):
    help = (
        f"Create the demo seller's onboarded Standard account {DEMO_ACCOUNT_ID} in the Stripe "
        "sandbox (safe to run again)."
    )

    def handle(self, *args, **options) -> None:
        _, created = demo_account_ensure(
            account_id=DEMO_ACCOUNT_ID, email=DEMO_EMAIL, name=DEMO_BUSINESS_NAME
        )
        verb = "Created" if created else "Already present:"
        self.stdout.write(f"{verb} {DEMO_ACCOUNT_ID} ({DEMO_EMAIL})")
