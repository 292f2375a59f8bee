from django.core.management.base import BaseCommand

from checkout.services.sale_totals import sale_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the all-time sale totals the dashboards read from the orders, and say how "
        "many rows disagreed. Safe to run any time; payments recorded meanwhile are kept."
    )

    def handle(self, *args, **options):
        result = sale_totals_rebuild()
        self.stdout.write(
            "Sale totals rebuilt: {rows} rows, {corrected} were wrong or missing.".format(**result)
        )
