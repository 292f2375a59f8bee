"""Membership figures on the sales and platform dashboards, the kind filter and the CSV."""

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from checkout.models import Membership, MembershipOffer, Order
from tests.accounts.factories import SellerFactory, UserFactory
from tests.catalog.factories import CourseFactory
from tests.dashboards.factories import SaleFactory

pytestmark = pytest.mark.django_db


def _cells(html: str) -> str:
    """The page's table cells without their attributes and emphasis, to compare rows as text."""
    return re.sub(r"</?strong>", "", re.sub(r"<(t[dh])\b[^>]*>", r"<\1>", html))


def _membership(offer, *, interval="month", amount=1900, status="active", **fields):
    return Membership.objects.create(
        buyer=UserFactory(),
        seller=offer.seller,
        offer=offer,
        interval=interval,
        amount=amount,
        currency=offer.currency,
        platform_fee_percent=offer.platform_fee_percent,
        charge_type="destination",
        stripe_account_id="acct_test",
        price_id="price_x",
        status=status,
        started_at=fields.pop("started_at", timezone.now() - dt.timedelta(days=3)),
        **fields,
    )


@pytest.fixture
def memberships():
    seller = SellerFactory(full_name="Sally Seller")
    usd = MembershipOffer.objects.create(seller=seller, currency="usd", monthly_amount=1900)
    eur = MembershipOffer.objects.create(seller=seller, currency="eur", monthly_amount=900)
    long_ago = timezone.now() - dt.timedelta(days=400)
    first = _membership(usd)
    _membership(usd, started_at=long_ago)
    _membership(usd, interval="year", amount=19000, started_at=long_ago)
    _membership(eur, amount=900, status="past_due", started_at=long_ago)
    _membership(
        usd,
        status="canceled",
        started_at=long_ago,
        ended_at=timezone.now() - dt.timedelta(days=1),
    )
    # Someone else's members never count for this seller.
    _membership(
        MembershipOffer.objects.create(seller=SellerFactory(), currency="usd", monthly_amount=5000)
    )
    invoice = SaleFactory(
        course=None,
        seller=seller,
        membership=first,
        invoice_id="in_test1",
        amount=1900,
        fee_amount=190,
        currency="usd",
    )
    one_off = SaleFactory(course=CourseFactory(seller=seller, title="One-off course"), amount=4900)
    return seller, invoice, one_off


def test_the_seller_sees_members_mrr_joined_and_left_per_currency(client, memberships):
    seller, invoice, one_off = memberships
    client.force_login(seller)

    page = _cells(client.get(reverse("dashboards:sales"), {"period": "30d"}).content.decode())

    # USD: 3 live members; 19.00 + 19.00 + 190.00/12 (15.83) = 53.83 a month; 1 joined, 1 left.
    assert (
        "<th>USD</th><td>3</td><td>$53.83</td><td>1</td><td>1</td><td>$19.00</td><td>$1.90</td>"
    ) in page
    # EUR: a past-due member still counts while Stripe retries.
    assert "<th>EUR</th><td>1</td><td>€9.00</td><td>0</td><td>0</td>" in page
    # The per-course table names the membership row.
    assert "<th>Membership</th><td>1</td><td>$19.00</td>" in page


def test_the_sales_table_filters_one_off_and_membership_sales_and_the_csv_follows(
    client, memberships
):
    seller, invoice, one_off = memberships
    client.force_login(seller)
    url = reverse("dashboards:sales")

    only_members = client.get(url, {"kind": "membership"}, headers={"HX-Request": "true"})
    table = only_members.content.decode().split("<table")[1]
    assert "Sally Seller&#x27;s membership" in table and "One-off course" not in table
    one_offs = client.get(url, {"kind": "one_off"}, headers={"HX-Request": "true"})
    assert "One-off course" in one_offs.content.decode()
    assert "membership" not in one_offs.content.decode().split("<table")[1]

    csv = b"".join(
        client.get(reverse("dashboards:sales-export"), {"kind": "membership"}).streaming_content
    ).decode()
    lines = csv.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].split(",")[2:3] == ["Membership"]
    assert ",usd,19.00,0.00,platform,1.90,0.00,0.00,0.00,0.00,17.10," in lines[1]


def test_the_platform_sees_membership_mrr_and_fees(client, memberships, staff_user):
    client.force_login(staff_user)
    page = _cells(client.get(reverse("dashboards:platform"), {"period": "all"}).content.decode())
    # All sellers: 4 live USD members, 53.83 + 19.00 MRR; fees from the one invoice.
    assert "<th>USD</th><td>4</td><td>$72.83</td>" in page
    assert "<td>$19.00</td><td>$1.90</td>" in page


def test_total_spent_names_membership_payments_apart_from_courses(client):
    seller = SellerFactory(full_name="Sally Seller")
    offer = MembershipOffer.objects.create(seller=seller, currency="usd", monthly_amount=1900)
    membership = _membership(offer)
    buyer = membership.buyer
    for number in (1, 2):  # the first invoice and one renewal
        SaleFactory(
            course=None,
            seller=seller,
            buyer=buyer,
            membership=membership,
            invoice_id=f"in_spent{number}",
            amount=1900,
            currency="usd",
        )
    SaleFactory(course=CourseFactory(seller=seller, price_amount=4900), buyer=buyer)
    client.force_login(buyer)

    page = client.get(reverse("dashboards:purchases")).content.decode()

    spent = page.split('id="spent-heading"')[1].split("</section>")[0]
    assert "<dt>In USD, on 1 course and 2 membership payments</dt>" in spent
    assert '<dd class="kpi-value">$87.00</dd>' in spent


def test_total_spent_on_a_membership_alone_mentions_no_course(client):
    offer = MembershipOffer.objects.create(
        seller=SellerFactory(), currency="eur", monthly_amount=900
    )
    membership = _membership(offer, amount=900)
    SaleFactory(
        course=None,
        seller=offer.seller,
        buyer=membership.buyer,
        membership=membership,
        invoice_id="in_alone",
        amount=900,
        currency="eur",
    )
    client.force_login(membership.buyer)

    page = client.get(reverse("dashboards:purchases")).content.decode()

    spent = page.split('id="spent-heading"')[1].split("</section>")[0]
    assert "<dt>In EUR, on 1 membership payment</dt>" in spent
    assert '<dd class="kpi-value">€9.00</dd>' in spent
    assert "course" not in spent


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/dashboard/sales/?kind=membership", {"HTTP_HX_REQUEST": "true"}),
        ("/dashboard/sales/", {}),
        ("/dashboard/sales/new/?since=0", {}),
    ],
)
def test_sales_of_both_kinds_are_listed_without_a_query_per_row(
    client, url, headers, django_assert_max_num_queries
):
    seller = SellerFactory(full_name="Sally Seller")
    offer = MembershipOffer.objects.create(seller=seller, currency="usd", monthly_amount=1900)

    def invoices(count: int) -> None:
        """`count` membership sales and as many one-off sales, each of another course."""
        for _ in range(count):
            membership = _membership(offer)
            SaleFactory(
                course=None,
                seller=seller,
                buyer=membership.buyer,
                membership=membership,
                invoice_id=f"in_rows{membership.pk}",
                amount=1900,
                currency="usd",
            )
            SaleFactory(course=CourseFactory(seller=seller), charge_type="direct")

    def queries() -> int:
        with django_assert_max_num_queries(20) as captured:
            response = client.get(url, **headers)
        assert response.content.decode().count("Sally Seller&#x27;s membership") >= 1
        return len(captured)

    client.force_login(seller)
    invoices(1)
    with_one = queries()
    invoices(9)

    assert queries() == with_one


def test_an_order_is_a_course_sale_or_a_membership_invoice_never_neither_or_both(memberships):
    seller, invoice, one_off = memberships

    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=one_off.pk).update(course=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=invoice.pk).update(course=one_off.course)
