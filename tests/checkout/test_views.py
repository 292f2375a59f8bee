"""Pages and the Buy button, with the gateway patched."""

import pytest
from django.urls import reverse

from catalog.money import format_money
from checkout import stripe_payments
from checkout.models import Order
from site_config.stripe_client import StripeGatewayError
from tests.accounts.factories import UserFactory
from tests.checkout.conftest import opened_session, paid_session
from tests.checkout.factories import OrderFactory, PaidOrderFactory, RefundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_create(monkeypatch):
    made = []

    def fake(**kwargs):
        made.append(kwargs)
        return opened_session(
            id=f"cs_test_view{kwargs['order_id']}", url="https://checkout.stripe.test/pay", **kwargs
        )

    monkeypatch.setattr(stripe_payments, "checkout_session_create", fake)
    return made


def buy_url(course) -> str:
    return reverse("checkout:course-buy", kwargs={"slug": course.slug})


def test_course_page_offers_a_buy_form_that_works_with_and_without_htmx(client, buyer, make_course):
    course = make_course()
    client.force_login(buyer)

    html = client.get(course.get_absolute_url()).content.decode()

    assert f'action="{buy_url(course)}"' in html
    assert f'hx-post="{buy_url(course)}"' in html
    assert "Buy for $49.00" in html


def test_plain_post_redirects_to_stripe_with_303(client, buyer, make_course, session_create):
    course = make_course()
    client.force_login(buyer)

    response = client.post(buy_url(course))

    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.test/pay"
    assert len(session_create) == 1
    assert Order.objects.get().status == Order.Status.PENDING


def test_htmx_post_redirects_with_hx_redirect(client, buyer, make_course, session_create):
    course = make_course()
    client.force_login(buyer)

    response = client.post(buy_url(course), headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == "https://checkout.stripe.test/pay"


def test_the_browser_cannot_set_the_price(client, buyer, make_course, session_create):
    course = make_course(price_amount=4900)
    client.force_login(buyer)

    client.post(buy_url(course), {"amount": "1", "price": "1", "fee_amount": "0"})

    assert (session_create[0]["amount"], session_create[0]["fee_amount"]) == (4900, 490)


def test_anonymous_buyers_are_sent_to_log_in_first(client, make_course, session_create):
    course = make_course()

    response = client.post(buy_url(course))
    htmx_response = client.post(buy_url(course), headers={"HX-Request": "true"})

    assert response.status_code == 303
    assert response["Location"].startswith(reverse("account_login"))
    assert htmx_response["HX-Redirect"].startswith(reverse("account_login"))
    assert session_create == []


def test_buying_is_post_only(client, buyer, make_course):
    client.force_login(buyer)
    assert client.get(buy_url(make_course())).status_code == 405


def test_stripe_being_unreachable_shows_a_clear_message(client, buyer, make_course, monkeypatch):
    course = make_course()
    client.force_login(buyer)

    def unreachable(**kwargs):
        raise StripeGatewayError(
            "The payment service could not be reached. Nothing was charged; please try again."
        )

    monkeypatch.setattr(stripe_payments, "checkout_session_create", unreachable)

    response = client.post(buy_url(course), follow=True)

    assert "could not be reached. Nothing was charged" in response.content.decode()
    assert Order.objects.get().status == Order.Status.CANCELLED


def test_the_seller_sees_no_buy_button_and_cannot_post(client, make_course, session_create):
    course = make_course()
    client.force_login(course.seller)

    html = client.get(course.get_absolute_url()).content.decode()
    response = client.post(buy_url(course), follow=True)

    assert buy_url(course) not in html
    assert "Open course content" in html
    assert "You cannot buy your own course." in response.content.decode()
    assert session_create == []


def test_an_owner_sees_owned_open_course(client, buyer, make_course):
    course = make_course()
    PaidOrderFactory(buyer=buyer, course=course)
    client.force_login(buyer)

    html = client.get(course.get_absolute_url()).content.decode()

    assert "Owned — open course" in html
    assert reverse("catalog:course-content", kwargs={"slug": course.slug}) in html
    assert buy_url(course) not in html


def test_an_open_checkout_is_offered_again(client, buyer, make_course, session_create):
    course = make_course()
    client.force_login(buyer)
    client.post(buy_url(course))

    html = client.get(course.get_absolute_url()).content.decode()
    second = client.post(buy_url(course))

    # The same wording as a first purchase: a cancelled payment page is not "continued".
    assert f"Buy for {format_money(course.price_amount, course.currency)}" in html
    assert "Continue to payment" not in html
    assert second["Location"] == "https://checkout.stripe.test/pay"
    assert len(session_create) == 1


def test_an_unavailable_course_has_no_buy_button(client, buyer, make_course, session_create):
    course = make_course()
    course.seller.stripe_account.charges_enabled = False
    course.seller.stripe_account.save()
    client.force_login(buyer)

    html = client.get(course.get_absolute_url()).content.decode()
    response = client.post(buy_url(course), follow=True)

    assert "Not available yet" in html
    assert buy_url(course) not in html
    assert "not available to buy yet" in response.content.decode()
    assert session_create == []


# --- Content page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (Order.Status.PAID, True),
        (Order.Status.PARTIALLY_REFUNDED, True),
        (Order.Status.REFUNDED, False),
        (Order.Status.DISPUTED, False),
        (Order.Status.PENDING, False),
        (Order.Status.CANCELLED, False),
    ],
)
def test_course_content_is_for_paying_buyers_only(client, buyer, make_course, status, allowed):
    course = make_course(content="Lesson 1: the secret content.")
    OrderFactory(buyer=buyer, course=course, status=status)
    client.force_login(buyer)

    response = client.get(reverse("catalog:course-content", kwargs={"slug": course.slug}))

    if allowed:
        assert "the secret content" in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"] == course.get_absolute_url()


def test_course_content_is_open_to_its_seller_and_staff(client, make_course, staff_user):
    course = make_course(content="Lesson 1: the secret content.")
    url = reverse("catalog:course-content", kwargs={"slug": course.slug})

    client.force_login(course.seller)
    assert "the secret content" in client.get(url).content.decode()
    client.force_login(staff_user)
    assert "the secret content" in client.get(url).content.decode()


def test_course_content_needs_a_login(client, make_course):
    course = make_course()

    response = client.get(reverse("catalog:course-content", kwargs={"slug": course.slug}))

    assert response["Location"].startswith(reverse("account_login"))


# --- Success and cancel pages ---------------------------------------------------------------


def success_url(order) -> str:
    return reverse("checkout:success") + f"?session_id={order.checkout_session_id}"


def test_success_page_fulfils_and_offers_the_course(client, monkeypatch):
    order = OrderFactory(charge_type=Order.ChargeType.DESTINATION)
    monkeypatch.setattr(
        stripe_payments, "checkout_session_retrieve", lambda **kwargs: paid_session(order)
    )
    client.force_login(order.buyer)

    html = client.get(success_url(order)).content.decode()

    assert "Payment received" in html
    assert reverse("catalog:course-content", kwargs={"slug": order.course.slug}) in html
    assert "hx-trigger" not in html


def test_success_page_polls_while_stripe_is_still_processing(client, monkeypatch):
    order = OrderFactory()
    monkeypatch.setattr(
        stripe_payments,
        "checkout_session_retrieve",
        lambda **kwargs: paid_session(order, payment_status="unpaid"),
    )
    client.force_login(order.buyer)

    page = client.get(success_url(order)).content.decode()
    fragment = client.get(success_url(order), headers={"HX-Request": "true"}).content.decode()

    assert "Processing your payment" in page
    assert 'hx-trigger="every 2s"' in page
    assert "<html" in page
    assert fragment.strip().startswith('<section id="order-status"')
    assert "<html" not in fragment
    assert 'hx-trigger="every 2s"' in fragment


def test_success_page_survives_stripe_being_unreachable(client, monkeypatch):
    order = OrderFactory()

    def unreachable(**kwargs):
        raise StripeGatewayError("The payment service could not be reached.")

    monkeypatch.setattr(stripe_payments, "checkout_session_retrieve", unreachable)
    client.force_login(order.buyer)

    html = client.get(success_url(order)).content.decode()

    assert "Processing your payment" in html
    assert "could not be reached" in html
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_success_page_is_only_for_the_buyer(client, monkeypatch):
    order = OrderFactory()
    client.force_login(UserFactory())

    assert client.get(success_url(order)).status_code == 404


def test_cancel_page_says_nothing_was_charged(client):
    order = OrderFactory()
    client.force_login(order.buyer)

    html = client.get(reverse("checkout:cancelled", kwargs={"pk": order.pk})).content.decode()

    assert "Nothing was charged" in html
    assert order.course.get_absolute_url() in html


# --- Refund page ----------------------------------------------------------------------------


def refund_url(order) -> str:
    return reverse("checkout:order-refund", kwargs={"pk": order.pk})


def test_refund_url_is_the_documented_path():
    assert reverse("checkout:order-refund", kwargs={"pk": 12}) == "/checkout/orders/12/refund/"


def test_refund_page_asks_for_an_amount_and_shows_what_is_left(client):
    order = PaidOrderFactory()
    RefundFactory(order=order, amount=1000, status="succeeded")
    client.force_login(order.seller)

    html = client.get(refund_url(order)).content.decode()

    amount_input = html[html.index('name="amount"') :]
    amount_input = amount_input[: amount_input.index(">")]
    # Never pre-filled: a second click must not refund the rest by accident.
    assert "value=" not in amount_input
    assert "Up to $39.00, what is left to refund." in html
    # The succeeded refund counts as refunded even before Stripe's webhook raises the order's total.
    assert "<dt>Refunded</dt><dd>$10.00</dd>" in html
    assert reverse("dashboards:sale-detail", kwargs={"pk": order.pk}) in html


def test_a_pending_refund_counts_as_pending_not_refunded(client):
    order = PaidOrderFactory()
    RefundFactory(order=order, amount=1500, status="pending")
    RefundFactory(order=order, amount=700, status="failed")
    client.force_login(order.seller)

    html = client.get(refund_url(order)).content.decode()

    assert "<dt>Refunded</dt><dd>$0.00</dd>" in html
    assert "<dt>Pending</dt><dd>$15.00" in html
    assert "Up to $34.00, what is left to refund." in html


def test_the_seller_refunds_part_of_a_sale(client, monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    sent = []
    monkeypatch.setattr(
        stripe_payments,
        "refund_create",
        lambda **kwargs: (
            sent.append(kwargs)
            or stripe_payments.RefundResult(id="re_v", status="succeeded", amount=kwargs["amount"])
        ),
    )
    client.force_login(order.seller)

    response = client.post(refund_url(order), {"amount": "10.50"}, follow=True)

    assert response.redirect_chain == [
        (reverse("dashboards:sale-detail", kwargs={"pk": order.pk}), 303)
    ]
    assert "Refund of $10.50 for sale #" in response.content.decode()
    assert sent[0]["amount"] == 1050
    assert order.refunds.get().stripe_refund_id == "re_v"


def test_a_refund_above_the_paid_amount_is_refused_with_a_message(client, monkeypatch):
    order = PaidOrderFactory()
    monkeypatch.setattr(stripe_payments, "refund_create", lambda **kwargs: pytest.fail("called"))
    client.force_login(order.seller)

    html = client.post(refund_url(order), {"amount": "49.01"}).content.decode()

    assert "larger than what is left to refund" in html
    assert not order.refunds.exists()


def test_a_refund_after_the_standard_seller_disconnected_says_what_to_do(client, monkeypatch):
    order = PaidOrderFactory()  # a direct charge on the seller's Standard account
    order.seller.stripe_account.mark_disconnected()
    monkeypatch.setattr(stripe_payments, "refund_create", lambda **kwargs: pytest.fail("called"))
    client.force_login(order.seller)

    html = client.post(refund_url(order), {"amount": "10.00"}).content.decode()

    assert "no longer connected to the marketplace" in html
    assert "Stripe Dashboard" in html
    assert "misconfigured" not in html
    assert not order.refunds.exists()


def test_an_express_seller_who_unlinked_can_still_be_refunded(client, monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    order.seller.stripe_account.account_type = "express"
    order.seller.stripe_account.save()
    order.seller.stripe_account.mark_disconnected()
    monkeypatch.setattr(
        stripe_payments,
        "refund_create",
        lambda **kwargs: stripe_payments.RefundResult(id="re_x", status="succeeded", amount=1000),
    )
    client.force_login(order.seller)

    response = client.post(refund_url(order), {"amount": "10.00"})

    assert response.status_code == 303
    assert order.refunds.get().stripe_refund_id == "re_x"


def test_zero_and_too_precise_refunds_are_refused(client):
    order = PaidOrderFactory()
    client.force_login(order.seller)

    assert "more than zero" in client.post(refund_url(order), {"amount": "0"}).content.decode()
    assert (
        "at most 2 decimal" in client.post(refund_url(order), {"amount": "1.005"}).content.decode()
    )


def test_staff_may_refund_any_sale(client, staff_user):
    order = PaidOrderFactory()
    client.force_login(staff_user)

    assert client.get(refund_url(order)).status_code == 200


@pytest.mark.parametrize("who", ["buyer", "other_seller"])
def test_others_cannot_see_or_refund_a_sale(client, who, make_course):
    order = PaidOrderFactory()
    user = order.buyer if who == "buyer" else make_course().seller
    client.force_login(user)

    assert client.get(refund_url(order)).status_code == 404
    assert client.post(refund_url(order), {"amount": "1.00"}).status_code == 404
    assert not order.refunds.exists()


def test_staff_who_are_not_superusers_may_refund(client, monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    monkeypatch.setattr(
        stripe_payments,
        "refund_create",
        lambda **kwargs: stripe_payments.RefundResult(
            id="re_staff", status="succeeded", amount=kwargs["amount"]
        ),
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=False))

    response = client.post(refund_url(order), {"amount": "1.00"})

    assert response.status_code == 303
    assert order.refunds.get().amount == 100


def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_is_refunded(client, monkeypatch):
    order = PaidOrderFactory()
    monkeypatch.setattr(stripe_payments, "refund_create", lambda **kwargs: pytest.fail("called"))

    response = client.post(refund_url(order), {"amount": "1.00"})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not order.refunds.exists()


@pytest.mark.parametrize(
    ("status", "refunded_amount", "reason"),
    [
        (Order.Status.DISPUTED, 0, "A disputed order cannot be refunded"),
        (Order.Status.REFUNDED, 4900, "Only paid orders can be refunded"),
        (Order.Status.PENDING, 0, "Only paid orders can be refunded"),
    ],
)
def test_the_refund_page_offers_no_form_for_orders_that_cannot_be_refunded(
    client, monkeypatch, status, refunded_amount, reason
):
    factory = OrderFactory if status == Order.Status.PENDING else PaidOrderFactory
    order = factory(status=status, refunded_amount=refunded_amount)
    monkeypatch.setattr(stripe_payments, "refund_create", lambda **kwargs: pytest.fail("called"))
    client.force_login(order.seller)

    page = client.get(refund_url(order)).content.decode()
    refused = client.post(refund_url(order), {"amount": "1.00"}).content.decode()

    assert reason in page
    assert "Confirm refund" not in page
    assert reason in refused
    assert not order.refunds.exists()


def test_once_refunds_in_flight_cover_the_sale_no_further_refund_is_offered(client, monkeypatch):
    order = PaidOrderFactory(charge_type=Order.ChargeType.DESTINATION)
    monkeypatch.setattr(
        stripe_payments,
        "refund_create",
        lambda **kwargs: stripe_payments.RefundResult(
            id="re_all", status="pending", amount=kwargs["amount"]
        ),
    )
    client.force_login(order.seller)
    client.post(refund_url(order), {"amount": "49.00"})

    page = client.get(refund_url(order)).content.decode()
    sale_page = client.get(reverse("dashboards:sale-detail", args=[order.pk])).content.decode()

    assert "Nothing is left to refund" in page
    assert "Confirm refund" not in page
    assert "Refund this sale" not in sale_page


def test_yen_refunds_are_whole_yen(client, make_course, monkeypatch):
    course = make_course(price_amount=1500, currency="jpy")
    order = PaidOrderFactory(course=course)
    sent = []
    monkeypatch.setattr(
        stripe_payments,
        "refund_create",
        lambda **kwargs: (
            sent.append(kwargs)
            or stripe_payments.RefundResult(
                id="re_jpy", status="succeeded", amount=kwargs["amount"]
            )
        ),
    )
    client.force_login(order.seller)

    page = client.get(refund_url(order)).content.decode()
    refused = client.post(refund_url(order), {"amount": "500.5"}).content.decode()
    client.post(refund_url(order), {"amount": "500"})

    assert "Up to ¥1,500, what is left to refund." in page and 'step="1"' in page
    assert "at most 0 decimal places" in refused
    assert sent[0]["amount"] == 500


@pytest.mark.parametrize("session_id", ["\x00", "cs_test_\x00", "cs_test_a'b", "x" * 5000, "cs_"])
def test_a_malformed_session_id_on_the_success_page_is_not_found(client, buyer, session_id):
    client.force_login(buyer)

    response = client.get("/checkout/success/", {"session_id": session_id})

    assert response.status_code == 404


def test_a_malformed_session_id_never_reaches_the_database(buyer, django_assert_num_queries):
    from checkout import selectors

    with django_assert_num_queries(0):
        assert selectors.order_get_for_viewer(user=buyer, session_id="cs_test_\x00") is None
