import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from checkout.services.money_reconcile import money_reconcile
from site_config.stripe_client import StripeGatewayError


class Command(BaseCommand):
    help = (
        "Compare a seller's sale figures (Stripe fee, refunds, fees returned, disputes, nets) "
        "with what Stripe's records say, and what their sales netted with what their Stripe "
        "account holds plus what it paid out; print each difference. Changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seller", required=True, help="The seller's email.")
        parser.add_argument(
            "--since", required=True, help="First day to compare, YYYY-MM-DD (UTC)."
        )

    def handle(self, *args, seller: str, since: str, **options):
        user = User.objects.filter(email__iexact=seller.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email {seller}.")
        try:
            day = dt.date.fromisoformat(since)
        except ValueError as error:
            raise CommandError(f"--since must be a date like 2026-03-01, not {since!r}.") from error
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        try:
            report = money_reconcile(seller=user, since=start)
        except StripeGatewayError as error:
            raise CommandError(f"Stripe could not be asked: {error.user_message}") from error
        for difference in report.differences:
            self.stdout.write(
                f"Sale #{difference.order_id}: {difference.field} is {difference.app} here, "
                f"{difference.stripe} at Stripe."
            )
        for account in report.account_differences:
            self.stdout.write(
                f"Account {account.stripe_account_id} ({account.currency.upper()}): sales netted "
                f"{account.app} here; Stripe holds {account.balance} and paid out "
                f"{account.paid_out}, {account.stripe} in all."
            )
        total = len(report.differences) + len(report.account_differences)
        self.stdout.write(
            f"Compared {report.count} sales since {day.isoformat()} and "
            f"{report.accounts_compared} Stripe accounts with their payouts "
            f"({timezone.now():%Y-%m-%d %H:%M} UTC): {total} differences."
        )
        if total:
            raise SystemExit(1)
