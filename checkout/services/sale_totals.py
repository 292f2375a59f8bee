"""Running sale totals per seller, course, currency and charge type."""

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum

from checkout.models import Order, SaleTotal
from checkout.selectors import ORDER_FIGURES_SQL

# Each running figure and the order column it sums; `count` counts the order once.
SALE_TOTAL_SOURCES = {
    "gross": "amount",
    "fees": "fee_amount",
    "refunds": "refunded_amount",
    "stripe_fees": "stripe_fee_amount",
    "fees_returned": "fee_returned_amount",
    "seller_net": "seller_net_amount",
    "platform_net": "platform_net_amount",
    "seller_disputes": "seller_dispute_loss_amount",
    "platform_disputes": "platform_dispute_loss_amount",
}
SALE_TOTAL_FIELDS = ("count", *SALE_TOTAL_SOURCES)

# The all-time dashboards read `SaleTotal` instead of every order. Each service that changes an
# order's money (payment, refunded total) applies the difference its change makes, inside the
# transaction that holds the order's row lock, so a repeated event changes nothing twice. A
# disputed sale stays a sale; what the dispute took moves its nets (`Order.money_recompute`).

SaleKey = tuple[int, int, str, str]
SaleAmounts = tuple[int, ...]


def sale_contribution(*, order: Order) -> tuple[SaleKey, SaleAmounts] | None:
    """What an order adds to the sale totals: None until it is paid."""
    if order.paid_at is None:
        return None
    key = (order.seller_id, order.course_id, order.currency, order.charge_type)
    return key, (1, *(getattr(order, source) for source in SALE_TOTAL_SOURCES.values()))


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
            totals = changes.setdefault(key, [0] * len(SALE_TOTAL_FIELDS))
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
    values = dict(zip(SALE_TOTAL_FIELDS, delta, strict=True))
    increments = {name: F(name) + value for name, value in values.items()}
    if SaleTotal.objects.filter(**key).update(**increments):
        return
    try:
        # A savepoint, so losing a race to create the same row leaves the transaction usable.
        with transaction.atomic():
            SaleTotal.objects.create(**key, **values)
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
        key_fields = ("seller_id", "course_id", "currency", "charge_type")
        expected = {
            tuple(row[name] for name in key_fields): tuple(row[name] for name in SALE_TOTAL_FIELDS)
            for row in _order_sums()
        }
        found = {
            tuple(getattr(row, name) for name in key_fields): tuple(
                getattr(row, name) for name in SALE_TOTAL_FIELDS
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
                    **dict(zip(key_fields, key, strict=True)),
                    **dict(zip(SALE_TOTAL_FIELDS, amounts, strict=True)),
                )
                for key, amounts in expected.items()
            ],
            batch_size=1000,
        )
    return {"rows": len(expected), "corrected": wrong}


def _order_sums():
    """Each sale total as the orders give it, in one aggregate query."""
    sums = {
        name: Sum(ORDER_FIGURES_SQL[source]() if source in ORDER_FIGURES_SQL else source)
        for name, source in SALE_TOTAL_SOURCES.items()
    }
    return (
        Order.objects.filter(paid_at__isnull=False)
        .values("seller_id", "course_id", "currency", "charge_type")
        .annotate(count=Count("id"), **sums)
        .order_by()
    )
