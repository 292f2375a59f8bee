"""Membership figures on the sales and platform dashboards, the kind filter and the CSV."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from checkout.models import Membership, MembershipOffer
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
    assert ",usd,19.00,0.00,platform,1.90,0.00,0.00,17.10," in lines[1]


def test_the_platform_sees_membership_mrr_and_fees(client, memberships, staff_user):
    client.force_login(staff_user)
    page = _cells(client.get(reverse("dashboards:platform"), {"period": "all"}).content.decode())
    # All sellers: 4 live USD members, 53.83 + 19.00 MRR; fees from the one invoice.
    assert "<th>USD</th><td>4</td><td>$72.83</td>" in page
    assert "<td>$19.00</td><td>$1.90</td>" in page
