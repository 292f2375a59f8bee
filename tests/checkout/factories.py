import factory
from django.utils import timezone

from checkout.models import Order, Refund
from tests.accounts.factories import StripeAccountFactory, UserFactory
from tests.catalog.factories import CourseFactory


class OrderFactory(factory.django.DjangoModelFactory):
    """A pending order for a course whose seller has a connected Standard account."""

    class Meta:
        model = Order

    buyer = factory.SubFactory(UserFactory)
    course = factory.SubFactory(
        CourseFactory, seller=factory.LazyFunction(lambda: StripeAccountFactory().seller)
    )
    seller = factory.SelfAttribute("course.seller")
    charge_type = Order.ChargeType.DIRECT
    amount = factory.SelfAttribute("course.price_amount")
    fee_amount = 490
    currency = factory.SelfAttribute("course.currency")
    stripe_account_id = factory.LazyAttribute(
        lambda o: o.course.seller.stripe_account.stripe_account_id
    )
    checkout_session_id = factory.Sequence(lambda n: f"cs_test_order{n:06d}")
    checkout_url = factory.LazyAttribute(
        lambda o: f"https://checkout.stripe.test/c/pay/{o.checkout_session_id}"
    )
    checkout_expires_at = factory.LazyFunction(
        lambda: timezone.now() + timezone.timedelta(minutes=30)
    )


class PaidOrderFactory(OrderFactory):
    status = Order.Status.PAID
    payment_intent_id = factory.Sequence(lambda n: f"pi_test{n:06d}")
    charge_id = factory.Sequence(lambda n: f"ch_test{n:06d}")
    application_fee_id = factory.Sequence(lambda n: f"fee_test{n:06d}")
    paid_at = factory.LazyFunction(timezone.now)


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(PaidOrderFactory)
    amount = 1000
    currency = factory.LazyAttribute(lambda refund: refund.order.currency)
    stripe_refund_id = factory.Sequence(lambda n: f"re_test{n:06d}")
    status = "succeeded"
