import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from checkout.services.money_reconcile import money_reconcile
from site_config.stripe_client import StripeGatewayError


class Command(BaseCommand):
    help = (
        "Compare a seller's sale figures (Stripe fee, refunds, fees returned, nets) with what "
        "Stripe's records say, and print each difference. Changes nothing."
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
            count, differences = money_reconcile(seller=user, since=start)
        except StripeGatewayError as error:
            raise CommandError(f"Stripe could not be asked: {error.user_message}") from error
        for difference in differences:
            self.stdout.write(
                f"Sale #{difference.order_id}: {difference.field} is {difference.app} here, "
                f"{difference.stripe} at Stripe."
            )
        self.stdout.write(
            f"Compared {count} sales since {day.isoformat()} "
            f"({timezone.now():%Y-%m-%d %H:%M} UTC): {len(differences)} differences."
        )
        if differences:
            raise SystemExit(1)
