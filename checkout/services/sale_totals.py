"""Running sale totals per seller, course, currency and charge type."""

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum

from checkout.models import Order, SaleTotal

# The all-time dashboards read `SaleTotal` instead of every order. Each service that changes an
# order's money (payment, refunded total) applies the difference its change makes, inside the
# transaction that holds the order's row lock, so a repeated event changes nothing twice. A
# dispute changes the status only: a disputed sale stays a sale, with the same amounts.

SaleKey = tuple[int, int, str, str]
SaleAmounts = tuple[int, int, int, int]


def sale_contribution(*, order: Order) -> tuple[SaleKey, SaleAmounts] | None:
    """What an order adds to the sale totals: None until it is paid."""
    if order.paid_at is None:
        return None
    key = (order.seller_id, order.course_id, order.currency, order.charge_type)
    return key, (1, order.amount, order.fee_amount, order.refunded_amount)


def sale_totals_apply(
    *,
    before: tuple[SaleKey, SaleAmounts] | None,
    after: tuple[SaleKey, SaleAmounts] | None,
) -> None:
    """Move the totals from an order's old contribution to its new one (call under its lock)."""
    if before == after:
        return
    changes: dict[SaleKey, list[int]] = {}
    for contribution, sign in ((before, -1), (after, 1)):
        if contribution is not None:
            key, amounts = contribution
            totals = changes.setdefault(key, [0, 0, 0, 0])
            for index, amount in enumerate(amounts):
                totals[index] += sign * amount
    for (seller_id, course_id, currency, charge_type), delta in changes.items():
        if any(delta):
            _sale_total_add(
                key={
                    "seller_id": seller_id,
                    "course_id": course_id,
                    "currency": currency,
                    "charge_type": charge_type,
                },
                delta=delta,
            )


def _sale_total_add(*, key: dict, delta: list[int]) -> None:
    count, gross, fees, refunds = delta
    increments = {
        "count": F("count") + count,
        "gross": F("gross") + gross,
        "fees": F("fees") + fees,
        "refunds": F("refunds") + refunds,
    }
    if SaleTotal.objects.filter(**key).update(**increments):
        return
    try:
        # A savepoint, so losing a race to create the same row leaves the transaction usable.
        with transaction.atomic():
            SaleTotal.objects.create(**key, count=count, gross=gross, fees=fees, refunds=refunds)
    except IntegrityError:
        SaleTotal.objects.filter(**key).update(**increments)


def sale_totals_rebuild() -> dict[str, int]:
    """Recompute every sale total from the orders; returns how many rows were wrong or missing.

    For data written before the totals existed, and as a reconciliation check. On PostgreSQL the
    table is locked for the rebuild, so a payment recorded meanwhile waits and then adds to the
    rebuilt rows; SQLite writers are serialised anyway.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {SaleTotal._meta.db_table} IN EXCLUSIVE MODE")
        expected = {
            (row["seller_id"], row["course_id"], row["currency"], row["charge_type"]): (
                row["count"],
                row["gross"],
                row["fees"],
                row["refunds"],
            )
            for row in Order.objects.filter(paid_at__isnull=False)
            .values("seller_id", "course_id", "currency", "charge_type")
            .annotate(
                count=Count("id"),
                gross=Sum("amount"),
                fees=Sum("fee_amount"),
                refunds=Sum("refunded_amount"),
            )
            .order_by()
        }
        found = {
            (row.seller_id, row.course_id, row.currency, row.charge_type): (
                row.count,
                row.gross,
                row.fees,
                row.refunds,
            )
            for row in SaleTotal.objects.all()
        }
        wrong = sum(
            1 for key in expected.keys() | found.keys() if expected.get(key) != found.get(key)
        )
        SaleTotal.objects.all().delete()
        SaleTotal.objects.bulk_create(
            [
                SaleTotal(
                    seller_id=seller_id,
                    course_id=course_id,
                    currency=currency,
                    charge_type=charge_type,
                    count=count,
                    gross=gross,
                    fees=fees,
                    refunds=refunds,
                )
                for (seller_id, course_id, currency, charge_type), (
                    count,
                    gross,
                    fees,
                    refunds,
                ) in expected.items()
            ],
            batch_size=1000,
        )
    return {"rows": len(expected), "corrected": wrong}
