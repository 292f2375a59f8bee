from django.core.management.base import BaseCommand

from checkout.membership_services import memberships_reconcile


class Command(BaseCommand):
    help = (
        "Re-read open membership checkouts and live subscriptions from Stripe: start the paid "
        "ones, record paid invoices whose webhook never came, and mirror status, period end "
        "and cancellation. Safe to run any time (e.g. next to reconcile_orders in cron)."
    )

    def handle(self, *args, **options):
        counts = memberships_reconcile()
        self.stdout.write(
            "Reconciled memberships: {checked} checked, {errors} could not be checked.".format(
                **counts
            )
        )
