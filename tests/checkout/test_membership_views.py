"""Membership pages: the course page's offer, Subscribe, the seller's form, cancel and resume.

Our gateway functions are patched (never `stripe.*`); the sandbox tests cover Stripe itself.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checkout import stripe_payments
from checkout.models import Membership, MembershipOffer
from tests.accounts.factories import StripeAccountFactory, UserFactory
from tests.catalog.factories import CourseFactory

PERIOD_END = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def offer(db):
    seller = StripeAccountFactory(seller__full_name="Sally Seller").seller
    return MembershipOffer.objects.create(
        seller=seller,
        currency="usd",
        monthly_amount=1900,
        yearly_amount=19000,
        charge_type="direct",
        stripe_account_id=seller.stripe_account.stripe_account_id,
        stripe_product_id="prod_test1",
        monthly_price_id="price_test_month",
        yearly_price_id="price_test_year",
    )


@pytest.fixture
def session_calls(monkeypatch):
    calls = []

    def fake_create(**kwargs):
        calls.append(kwargs)
        return stripe_payments.MembershipCheckout(
            id=f"cs_test_m{len(calls)}",
            url=f"https://checkout.stripe.test/c/pay/cs_test_m{len(calls)}",
            status="open",
            mode="subscription",
            expires_at=timezone.now() + timedelta(minutes=30),
            subscription_id="",
            customer_id="",
            setup_intent_id="",
            membership_id=kwargs["membership_id"],
        )

    monkeypatch.setattr(stripe_payments, "membership_checkout_session_create", fake_create)
    return calls


def _member(offer, buyer, **fields) -> Membership:
    values = {
        "buyer": buyer,
        "seller": offer.seller,
        "offer": offer,
        "interval": "month",
        "amount": 1900,
        "currency": "usd",
        "platform_fee_percent": offer.platform_fee_percent,
        "charge_type": "direct",
        "stripe_account_id": offer.stripe_account_id,
        "price_id": offer.monthly_price_id,
        "status": Membership.Status.ACTIVE,
        "subscription_id": "sub_test1",
        "current_period_end": PERIOD_END,
    }
    values.update(fields)
    return Membership.objects.create(**values)


def test_course_page_says_the_course_is_included_in_the_sellers_membership(client, offer):
    course = CourseFactory(seller=offer.seller, is_published=True)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Included in Sally Seller's membership — $19.00/month" in page
    assert "$190.00/year" in page
    assert reverse("checkout:membership-subscribe", args=[offer.pk]) in page


def test_subscribe_sends_the_buyer_to_checkout_with_the_fee_and_price_from_the_server(
    client, offer, session_calls
):
    buyer = UserFactory()
    client.force_login(buyer)
    url = reverse("checkout:membership-subscribe", args=[offer.pk])

    response = client.post(url, {"interval": "year", "next": "/courses/x/"})
    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.test/c/pay/cs_test_m1"
    [call] = session_calls
    assert call["price_id"] == "price_test_year"
    assert call["fee_percent"] == "10.00"
    assert call["charge_type"] == "direct"
    assert call["stripe_account_id"] == offer.stripe_account_id
    membership = Membership.objects.get(buyer=buyer)
    assert (membership.amount, membership.interval) == (19000, "year")

    # A second click (htmx) reuses the open page instead of asking Stripe again.
    again = client.post(url, {"interval": "year"}, headers={"HX-Request": "true"})
    assert again["HX-Redirect"] == "https://checkout.stripe.test/c/pay/cs_test_m1"
    assert len(session_calls) == 1


def test_a_seller_cannot_subscribe_to_themselves_and_a_member_is_sent_back(
    client, offer, session_calls
):
    url = reverse("checkout:membership-subscribe", args=[offer.pk])
    client.force_login(offer.seller)
    response = client.post(url, {"interval": "month", "next": "/courses/"}, follow=True)
    assert "You cannot subscribe to your own membership." in response.content.decode()

    buyer = UserFactory()
    _member(offer, buyer)
    client.force_login(buyer)
    response = client.post(url, {"interval": "month", "next": "/courses/"})
    assert response["Location"] == "/courses/"
    assert session_calls == []


def test_anonymous_subscribe_asks_to_log_in(client, offer):
    response = client.post(
        reverse("checkout:membership-subscribe", args=[offer.pk]), {"next": "/courses/a/"}
    )
    assert response.status_code == 303
    assert response["Location"].startswith(reverse("account_login"))


def test_purchases_page_lists_memberships_with_renewal_and_a_failed_payment_notice(client, offer):
    buyer = UserFactory()
    _member(offer, buyer)
    other = StripeAccountFactory(seller__full_name="Olga Other").seller
    other_offer = MembershipOffer.objects.create(seller=other, currency="eur", monthly_amount=900)
    _member(
        other_offer,
        buyer,
        amount=900,
        currency="eur",
        subscription_id="sub_test2",
        status=Membership.Status.PAST_DUE,
        past_due_since=timezone.now() - timedelta(days=2),
    )
    client.force_login(buyer)
    page = client.get(reverse("dashboards:purchases")).content.decode()
    assert "Sally Seller" in page and "$19.00 per month" in page and "Renews 1 Jan 2030" in page
    assert "Olga Other" in page and "Payment failed" in page
    assert "Your last payment failed." in page
    grace_end = timezone.localtime(timezone.now() + timedelta(days=5))
    assert f"You keep access until {grace_end:%-d %b %Y}" in page


def test_cancel_asks_first_then_cancels_at_period_end_and_resume_takes_it_back(
    client, offer, monkeypatch
):
    buyer = UserFactory()
    membership = _member(offer, buyer)
    calls = []

    def fake_set(**kwargs):
        calls.append(kwargs)
        return stripe_payments.SubscriptionState(
            id="sub_test1",
            status="active",
            customer_id="cus_1",
            current_period_end=PERIOD_END,
            cancel_at_period_end=kwargs["cancel"],
            ended_at=None,
            latest_invoice_id="",
            membership_id=membership.pk,
        )

    monkeypatch.setattr(stripe_payments, "subscription_cancel_at_period_end_set", fake_set)
    client.force_login(buyer)
    cancel_url = reverse("checkout:membership-cancel", args=[membership.pk])

    confirm = client.get(cancel_url).content.decode()
    assert "You keep access to every course until <strong>1 January 2030</strong>" in confirm
    assert calls == []

    response = client.post(cancel_url, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("dashboards:purchases")
    assert calls == [
        {
            "subscription_id": "sub_test1",
            "stripe_account_id": offer.stripe_account_id,
            "cancel": True,
        }
    ]
    membership.refresh_from_db()
    assert membership.cancel_at_period_end is True
    page = client.get(reverse("dashboards:purchases")).content.decode()
    assert "Access until 1 Jan 2030, no further payment" in page

    client.post(reverse("checkout:membership-resume", args=[membership.pk]))
    membership.refresh_from_db()
    assert membership.cancel_at_period_end is False
    assert calls[-1]["cancel"] is False


def test_someone_elses_membership_cannot_be_cancelled(client, offer):
    membership = _member(offer, UserFactory())
    client.force_login(UserFactory())
    assert (
        client.post(reverse("checkout:membership-cancel", args=[membership.pk])).status_code == 404
    )


def test_the_seller_saves_a_membership_and_a_new_price_replaces_the_old_one(
    client, offer, monkeypatch
):
    created = []

    def fake_price(**kwargs):
        created.append(kwargs)
        return f"price_new_{kwargs['interval']}"

    monkeypatch.setattr(stripe_payments, "membership_price_create", fake_price)
    client.force_login(offer.seller)
    page = client.get(reverse("checkout:membership-offer")).content.decode()
    assert "keep paying their old price" in page

    response = client.post(
        reverse("checkout:membership-offer"),
        {"currency": "usd", "monthly_price": "24.00", "yearly_price": "190.00", "is_active": "on"},
    )
    assert response.status_code == 303
    offer.refresh_from_db()
    assert offer.monthly_amount == 2400
    assert offer.monthly_price_id == "price_new_month"
    assert offer.yearly_price_id == "price_test_year"  # unchanged amount, same price
    assert [(c["amount"], c["interval"], c["stripe_account_id"]) for c in created] == [
        (2400, "month", offer.stripe_account_id)
    ]

    bad = client.post(
        reverse("checkout:membership-offer"), {"currency": "jpy", "monthly_price": "1.5"}
    )
    assert bad.status_code == 200
    assert "JPY amounts have at most 0 decimal places." in bad.content.decode()
    assert not MembershipOffer.objects.filter(currency="jpy").exists()


def test_a_membership_opens_only_its_sellers_published_courses_while_it_lasts(client, offer):
    from checkout.selectors import course_access_allowed

    buyer = UserFactory()
    membership = _member(offer, buyer)
    published = CourseFactory(seller=offer.seller, is_published=True)
    draft = CourseFactory(seller=offer.seller, is_published=False)
    elsewhere = CourseFactory(is_published=True)
    assert course_access_allowed(course=published, user=buyer)
    assert not course_access_allowed(course=draft, user=buyer)
    assert not course_access_allowed(course=elsewhere, user=buyer)

    client.force_login(buyer)
    content = reverse("catalog:course-content", args=[published.slug])
    assert client.get(content).status_code == 200

    Membership.objects.filter(pk=membership.pk).update(status=Membership.Status.CANCELED)
    assert client.get(content).status_code == 302


def test_a_membership_invoice_is_listed_with_its_receipt_among_purchases(client, offer):
    from tests.dashboards.factories import SaleFactory

    buyer = UserFactory()
    membership = _member(offer, buyer)
    sale = SaleFactory(
        course=None,
        seller=offer.seller,
        buyer=buyer,
        membership=membership,
        invoice_id="in_test9",
        amount=1900,
        currency="usd",
    )
    client.force_login(buyer)
    page = client.get(reverse("dashboards:purchases")).content.decode()
    assert "Sally Seller&#x27;s membership" in page
    receipt = client.get(reverse("dashboards:purchase-receipt", args=[sale.pk])).content.decode()
    assert "Sally Seller&#x27;s membership" in receipt and "$19.00" in receipt


def test_staff_set_the_membership_fee_in_the_admin_and_new_members_pay_it(
    client, offer, staff_user, session_calls
):
    client.force_login(staff_user)
    url = reverse("admin:checkout_membershipoffer_change", args=[offer.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"platform_fee_percent": "15.00"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.platform_fee_percent == 15

    client.force_login(UserFactory())
    client.post(reverse("checkout:membership-subscribe", args=[offer.pk]), {"interval": "month"})
    assert session_calls[0]["fee_percent"] == "15.00"
