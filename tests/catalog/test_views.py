import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Course
from checkout.models import Membership, MembershipOffer
from tests.accounts.factories import SellerFactory, StripeAccountFactory, UserFactory
from tests.catalog.factories import CourseFactory


def course_form_data(**overrides):
    data = {
        "title": "Async Python",
        "description": "Event loops explained.",
        "content": "Lesson one",
        "price": "25.50",
        "currency": "usd",
        "charge_type": "auto",
        "is_published": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_home_page_links_to_the_catalog_and_shows_new_courses(client):
    CourseFactory(title="Visible course")
    page = client.get("/").content.decode()
    assert 'href="/courses/"' in page
    assert "Visible course" in page


@pytest.mark.django_db
def test_catalog_lists_only_published_courses(client):
    CourseFactory(title="Published one")
    CourseFactory(title="Draft one", is_published=False)
    page = client.get("/courses/").content.decode()
    assert "Published one" in page
    assert "Draft one" not in page


@pytest.mark.django_db
def test_search_matches_title_or_seller_name(client):
    CourseFactory(title="Watercolour basics", seller=SellerFactory(full_name="Frida K"))
    CourseFactory(title="Knitting", seller=SellerFactory(full_name="Ada L"))
    assert "Knitting" not in client.get("/courses/?q=water").content.decode()
    by_seller = client.get("/courses/?q=ada").content.decode()
    assert "Knitting" in by_seller and "Watercolour" not in by_seller


@pytest.mark.django_db
def test_search_matches_the_description(client):
    CourseFactory(title="Colour", description="Mixing pigments for watercolour washes")
    assert "Colour" in client.get("/courses/?q=pigments").content.decode()


@pytest.mark.django_db
def test_search_never_matches_a_seller_email_address(client):
    seller = SellerFactory(full_name="Frida K", email="frida.kahlo.secret@example.com")
    CourseFactory(title="Portraits", seller=seller)
    for probe in ["frida.kahlo", "kahlo.secret@", "@example.com", "frida.kahlo.secret@example.com"]:
        assert "Portraits" not in client.get("/courses/", {"q": probe}).content.decode(), probe
    assert "Portraits" in client.get("/courses/", {"q": "frida k"}).content.decode()


@pytest.mark.django_db
def test_search_matches_a_nameless_seller_by_the_name_the_catalog_shows(client):
    CourseFactory(
        title="Pottery", seller=SellerFactory(full_name="", email="clay.maker@example.com")
    )
    assert "Pottery" in client.get("/courses/?q=clay.maker").content.decode()
    assert "Pottery" not in client.get("/courses/?q=example.com").content.decode()


@pytest.mark.django_db
def test_htmx_search_returns_only_the_results_fragment(client):
    CourseFactory(title="Watercolour basics")
    full = client.get("/courses/?q=water").content.decode()
    fragment = client.get("/courses/?q=water", headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and 'id="course-results"' in full
    assert "<html" not in fragment
    assert fragment.strip().startswith('<section id="course-results"')
    assert "Watercolour basics" in fragment


@pytest.mark.django_db
def test_search_after_a_history_cache_miss_gets_the_whole_page(client):
    CourseFactory(title="Watercolour basics", is_published=True)

    response = client.get(
        "/courses/?q=water",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    html = response.content.decode()
    assert "<title>Courses matching “water”" in html
    assert "<search>" in html
    assert "Watercolour basics" in html


@pytest.mark.django_db
def test_search_page_and_fragment_are_cached_apart(client):
    response = client.get("/courses/?q=water", headers={"HX-Request": "true"})

    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_catalog_paginates_and_keeps_the_search_in_page_links(client):
    CourseFactory.create_batch(13, title="Python course")
    first = client.get("/courses/?q=python").content.decode()
    assert "Page 1 of 2" in first
    assert "?q=python&amp;page=2" in first
    second = client.get("/courses/?q=python&page=2").content.decode()
    assert second.count("<article>") == 1


@pytest.mark.django_db
def test_course_page_shows_price_description_and_seller(client):
    course = CourseFactory(
        price_amount=6000, currency="jpy", seller=SellerFactory(full_name="Sen Rikyu")
    )
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert "¥6,000" in page
    assert "Sen Rikyu" in page
    assert course.description in page


@pytest.mark.django_db
def test_unpublished_course_is_hidden_from_everyone_but_its_seller(client, buyer):
    course = CourseFactory(is_published=False)
    assert client.get(f"/courses/{course.slug}/").status_code == 404
    client.force_login(buyer)
    assert client.get(f"/courses/{course.slug}/").status_code == 404
    client.force_login(course.seller)
    assert client.get(f"/courses/{course.slug}/").status_code == 200


@pytest.mark.django_db
def test_seller_creates_a_course_priced_in_minor_units(client, seller):
    client.force_login(seller)
    response = client.post("/courses/new/", course_form_data())
    assert response.status_code == 302
    course = Course.objects.get(title="Async Python")
    assert (course.price_amount, course.currency, course.seller) == (2550, "usd", seller)
    assert course.is_published


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"price": "0.10"}, "price", "The lowest price Stripe can charge in USD is $0.50."),
        ({"price": "10.5", "currency": "jpy"}, "price", "at most 0 decimal places"),
        ({"price": "abc"}, "price", "Enter a number."),
        ({"currency": "xyz"}, "currency", "Select a valid choice"),
        ({"title": "Line one\nline two"}, "title", "no line breaks"),
        ({"title": "Tab\tseparated"}, "title", "no line breaks"),
        ({"title": "Bell\x07"}, "title", "no line breaks"),
        ({"title": "Para\u2029graph"}, "title", "no line breaks"),
    ],
)
def test_invalid_course_form_shows_field_errors_and_saves_nothing(
    client, seller, overrides, field, message
):
    client.force_login(seller)
    response = client.post("/courses/new/", course_form_data(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Course.objects.exists()


@pytest.mark.django_db
def test_buyers_cannot_create_courses(client, buyer):
    client.force_login(buyer)
    assert client.get("/courses/new/").status_code == 403
    assert client.post("/courses/new/", course_form_data()).status_code == 403
    assert not Course.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/courses/new/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_seller_edits_and_unpublishes_their_course(client):
    course = CourseFactory(price_amount=1000)
    client.force_login(course.seller)
    response = client.post(
        f"/courses/{course.slug}/edit/",
        course_form_data(title="Renamed", price="12.00", is_published=""),
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.price_amount, course.is_published) == ("Renamed", 1200, False)


@pytest.mark.django_db
def test_another_seller_cannot_edit_a_course(client):
    course = CourseFactory(title="Mine")
    client.force_login(SellerFactory())
    assert client.get(f"/courses/{course.slug}/edit/").status_code == 404
    assert client.post(f"/courses/{course.slug}/edit/", course_form_data()).status_code == 404
    course.refresh_from_db()
    assert course.title == "Mine"


@pytest.mark.django_db
def test_my_courses_lists_drafts_and_says_why_a_course_cannot_sell(client, seller):
    CourseFactory(seller=seller, title="Draft here", is_published=False)
    client.force_login(seller)
    page = client.get("/courses/mine/").content.decode()
    assert "Draft here" in page
    assert "Connect a Stripe account to start selling." in page


@pytest.mark.django_db
def test_course_of_an_unconnected_seller_is_not_available_yet(client):
    course = CourseFactory()
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert "Not available yet" in page


def test_fee_preview_shows_what_the_seller_receives_after_the_platform_fee(client, seller):
    client.force_login(seller)

    html = client.get(
        "/courses/new/fee-preview/", {"price": "49.00", "currency": "usd"}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "<html" not in html
    assert "You receive <strong>$44.10</strong> after the platform fee of $4.90 (10%)" in html


def test_fee_preview_uses_the_courses_own_fee_and_whole_yen(client, db):
    course = CourseFactory(platform_fee_percent="15.00", currency="jpy", price_amount=150)
    client.force_login(course.seller)

    preview = client.get(
        "/courses/new/fee-preview/", {"price": "150", "currency": "jpy", "course": course.slug}
    ).content.decode()
    page = client.get(f"/courses/{course.slug}/edit/").content.decode()

    # 15 % of ¥150 is ¥22.5, rounded half up to ¥23 by the same function that charges it.
    for html in (preview, page):
        assert "You receive <strong>¥127</strong> after the platform fee of ¥23 (15%)" in html


def test_fee_preview_asks_for_a_price_until_one_is_valid(client, seller):
    client.force_login(seller)

    html = client.get("/courses/new/fee-preview/", {"price": "abc", "currency": "usd"})

    assert "Type a price to see what you receive" in html.content.decode()


def test_fee_preview_is_for_sellers_only(client, buyer):
    client.force_login(buyer)

    response = client.get("/courses/new/fee-preview/", {"price": "10", "currency": "usd"})

    assert response.status_code == 403


def test_a_seller_without_courses_gets_one_next_step_not_an_empty_table(client, seller):
    client.force_login(seller)

    html = client.get("/courses/mine/").content.decode()

    assert "Create your first course" in html
    assert "<table" not in html


# --- A seller's public page -----------------------------------------------------------------


@pytest.fixture
def sally(db):
    """A connected seller with a membership ($19/month or $190/year) and one course of each
    kind: published, draft."""

    seller = StripeAccountFactory(seller__full_name="Sally Seller").seller
    MembershipOffer.objects.create(
        seller=seller,
        currency="usd",
        monthly_amount=1900,
        yearly_amount=19000,
        charge_type="direct",
        stripe_account_id=seller.stripe_account.stripe_account_id,
        monthly_price_id="price_test_month",
        yearly_price_id="price_test_year",
    )
    CourseFactory(seller=seller, title="Watercolour basics", price_amount=4900)
    CourseFactory(seller=seller, title="Secret draft", is_published=False)
    return seller


def _seller_page(client, seller, **params):
    return client.get(reverse("sellers:detail", args=[seller.pk]), params)


def test_seller_page_shows_only_their_published_courses_and_their_membership(client, sally):

    CourseFactory(title="Someone else's course")
    offer = MembershipOffer.objects.get(seller=sally)

    response = _seller_page(client, sally)
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Sally Seller</h1>" in page
    assert [course.title for course in response.context["page"]] == ["Watercolour basics"]
    assert "Watercolour basics" in page and "$49.00" in page
    assert "Secret draft" not in page and "Someone else's course" not in page
    assert "Included in Sally Seller's membership — $19.00/month</strong> or $190.00/year" in page
    # The course page's Subscribe form, coming back here afterwards.
    assert f'hx-post="/checkout/memberships/{offer.pk}/subscribe/"' in page
    assert f'<input type="hidden" name="next" value="/sellers/{sally.pk}/">' in page


def test_course_page_links_to_its_sellers_page(client, sally):
    course = Course.objects.get(title="Watercolour basics")

    page = client.get(course.get_absolute_url()).content.decode()

    assert f'by <a href="/sellers/{sally.pk}/">Sally Seller</a>' in page
    assert f'<a href="/sellers/{sally.pk}/">every course Sally Seller publishes</a>' in page


def test_seller_page_tells_a_member_they_are_in_and_offers_no_subscribe(client, sally):

    offer = MembershipOffer.objects.get(seller=sally)
    buyer = UserFactory()
    Membership.objects.create(
        buyer=buyer,
        seller=sally,
        offer=offer,
        interval="month",
        amount=1900,
        currency="usd",
        platform_fee_percent=offer.platform_fee_percent,
        charge_type="direct",
        stripe_account_id=offer.stripe_account_id,
        price_id="price_test_month",
        status=Membership.Status.ACTIVE,
        current_period_end=timezone.now() + dt.timedelta(days=20),
    )
    client.force_login(buyer)

    page = _seller_page(client, sally).content.decode()

    assert "You're a member" in page
    assert "subscribe/" not in page


def test_seller_page_of_a_seller_who_cannot_take_payments_says_so_and_offers_no_subscribe(
    client, sally
):
    sally.stripe_account.charges_enabled = False
    sally.stripe_account.save()

    page = _seller_page(client, sally).content.decode()

    assert "Not available yet." in page
    assert "Sally Seller cannot take payments at the moment" in page
    assert "Watercolour basics" in page
    assert "subscribe/" not in page


@pytest.mark.django_db
def test_seller_page_without_published_courses_is_missing_except_for_the_seller(client):
    seller = SellerFactory(full_name="New Teacher")
    CourseFactory(seller=seller, title="Still a draft", is_published=False)
    other_seller = SellerFactory()

    assert _seller_page(client, seller).status_code == 404
    client.force_login(other_seller)
    assert _seller_page(client, seller).status_code == 404

    client.force_login(seller)
    own = _seller_page(client, seller)
    assert own.status_code == 200
    page = own.content.decode()
    assert "No published courses yet" in page and "Still a draft" not in page
    assert 'href="/courses/mine/"' in page


@pytest.mark.django_db
def test_a_buyer_has_no_seller_page(client):

    buyer = UserFactory()
    CourseFactory()  # someone sells; the buyer does not

    assert _seller_page(client, buyer).status_code == 404


@pytest.mark.django_db
def test_the_outline_a_seller_writes_is_listed_on_the_course_page(client, seller):
    client.force_login(seller)
    client.post("/courses/new/", course_form_data(outline="Event loops\n\n  Tasks and timeouts \n"))
    course = Course.objects.get(title="Async Python")

    html = client.get(course.get_absolute_url()).content.decode()

    assert course.outline_items == ["Event loops", "Tasks and timeouts"]
    assert "<h2>What you will learn</h2>" in html
    assert "<li>Event loops</li><li>Tasks and timeouts</li>" in html


@pytest.mark.django_db
def test_a_course_without_an_outline_shows_no_empty_list(client, seller):
    client.force_login(seller)
    client.post("/courses/new/", course_form_data())

    html = client.get(Course.objects.get(title="Async Python").get_absolute_url()).content.decode()

    assert "What you will learn" not in html
