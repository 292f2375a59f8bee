from django.core.management.base import BaseCommand

from checkout.services.orders import orders_reconcile


class Command(BaseCommand):
    help = (
        "Re-read open Checkout Sessions from Stripe: fulfil the paid ones, cancel the expired "
        "ones, and finish transfers to sellers that did not go through. Safe to run any time."
    )

    def handle(self, *args, **options):
        counts = orders_reconcile()
        self.stdout.write(
            "Reconciled orders: {paid} paid, {cancelled} cancelled, {open} still open, "
            "{errors} could not be checked.".format(**counts)
        )
