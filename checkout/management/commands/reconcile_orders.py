from django.core.management.base import BaseCommand

from checkout.services.orders import orders_reconcile


class Command(BaseCommand):
    help = (
        "Re-read open Checkout Sessions from Stripe: fulfil the paid ones, cancel the expired "
        "ones, finish transfers to sellers that did not go through, and retry taking a seller's "
        "share of a refund back where that failed. Safe to run any time."
    )

    def handle(self, *args, **options):
        counts = orders_reconcile()
        line = (
            "Reconciled orders: {paid} paid, {cancelled} cancelled, {open} still open, "
            "{errors} could not be checked.".format(**counts)
        )
        if counts["reversed"] or counts["still_failing"]:
            line += (
                " Sellers' shares of refunds taken back: {reversed}; still failing: "
                "{still_failing}.".format(**counts)
            )
        self.stdout.write(line)
