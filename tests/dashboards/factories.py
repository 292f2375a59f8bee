import datetime as dt

import factory
from django.utils import timezone

from checkout.models import Order, Refund
from checkout.services.sale_totals import sale_contribution, sale_totals_apply
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CourseFactory


class SaleFactory(factory.django.DjangoModelFactory):
    """A paid order: what the dashboards call a sale."""

    class Meta:
        model = Order

    course = factory.SubFactory(CourseFactory)
    seller = factory.LazyAttribute(lambda order: order.course.seller)
    buyer = factory.SubFactory(UserFactory)
    status = Order.Status.PAID
    charge_type = Order.ChargeType.DESTINATION
    amount = factory.LazyAttribute(lambda order: order.course.price_amount)
    fee_amount = factory.LazyAttribute(lambda order: order.amount // 10)
    currency = factory.LazyAttribute(lambda order: order.course.currency)
    stripe_account_id = factory.Sequence(lambda n: f"acct_sale{n:010d}")
    payment_intent_id = factory.Sequence(lambda n: f"pi_test{n:014d}")
    charge_id = factory.Sequence(lambda n: f"ch_test{n:014d}")
    transfer_id = factory.Sequence(lambda n: f"tr_test{n:014d}")
    application_fee_id = factory.Sequence(lambda n: f"fee_test{n:013d}")
    paid_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    created_at = factory.LazyAttribute(lambda order: order.paid_at - dt.timedelta(minutes=5))
    refunded_amount = 0
    # Stripe reverses a destination charge's transfer along with each refund.
    transfer_reversed_amount = factory.LazyAttribute(
        lambda order: (
            order.refunded_amount if order.charge_type == Order.ChargeType.DESTINATION else 0
        )
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Counted in the all-time totals as checkout's services count a payment.
        order = super()._create(model_class, *args, **kwargs)
        order.money_recompute()
        order.save()
        sale_totals_apply(before=None, after=sale_contribution(order=order))
        return order


class PendingOrderFactory(SaleFactory):
    status = Order.Status.PENDING
    paid_at = None
    created_at = factory.LazyFunction(timezone.now)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(SaleFactory)
    amount = factory.LazyAttribute(lambda refund: refund.order.amount)
    currency = factory.LazyAttribute(lambda refund: refund.order.currency)
    stripe_refund_id = factory.Sequence(lambda n: f"re_test{n:014d}")
    status = "succeeded"
