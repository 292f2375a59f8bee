"""The catalog's course cards are cached (catalog/fragment_cache.py): a change to a course or a
seller's name shows on the next view, and no visitor's own details are ever in the cache."""

import re

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test import Client

from accounts import services as account_services
from catalog.services import course_update
from tests.accounts.factories import SellerFactory, UserFactory
from tests.catalog.factories import CourseFactory
from tests.catalog.test_views import course_form_data

pytestmark = pytest.mark.django_db


def text(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("url", ["/", "/courses/"])
def test_a_second_view_of_the_cards_runs_no_query(client, django_assert_num_queries, url):
    CourseFactory(title="Cached course")
    text(client, url)

    with django_assert_num_queries(0):
        page = text(client, url)

    assert "Cached course" in page


def test_a_course_its_seller_publishes_shows_on_the_next_view(
    client, django_capture_on_commit_callbacks
):
    draft = CourseFactory(title="Fresh watercolours", is_published=False)
    visitor = Client()
    assert "Fresh watercolours" not in text(visitor, "/courses/")
    assert "Fresh watercolours" not in text(visitor, "/")

    client.force_login(draft.seller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/courses/{draft.slug}/edit/", course_form_data(title="Fresh watercolours")
        )
    assert response.status_code == 302

    assert "Fresh watercolours" in text(visitor, "/courses/")
    assert "Fresh watercolours" in text(visitor, "/")
    assert "Fresh watercolours" in text(visitor, "/courses/", **{"HX-Request": "true"})


def test_an_edited_or_unpublished_course_changes_the_cached_cards(
    client, django_capture_on_commit_callbacks
):
    course = CourseFactory(title="Old title", price_amount=1000)
    assert "Old title" in text(client, "/courses/")

    with django_capture_on_commit_callbacks(execute=True):
        course_update(course=course, title="New title", price_amount=2500)
    page = text(client, "/courses/")
    assert "New title" in page and "$25.00" in page
    assert "Old title" not in page

    with django_capture_on_commit_callbacks(execute=True):
        course_update(course=course, is_published=False)
    assert "New title" not in text(client, "/courses/")
    assert "New title" not in text(client, "/")


def test_a_seller_renaming_themselves_renames_their_cards(
    client, django_capture_on_commit_callbacks
):
    course = CourseFactory(seller=SellerFactory(full_name="Frida K"))
    assert "by Frida K" in text(client, "/courses/")

    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_update_profile(user=course.seller, full_name="Frida Kahlo")

    assert "by Frida Kahlo" in text(client, "/courses/")


def test_a_log_in_keeps_the_cached_cards(client, django_assert_num_queries):
    CourseFactory(title="Kept course")
    text(client, "/courses/")
    seller = SellerFactory()
    user_logged_in.send(sender=type(seller), request=None, user=seller)  # saves last_login only

    with django_assert_num_queries(0):
        text(client, "/courses/")


def test_each_page_of_the_catalog_is_cached_apart(client):
    oldest = CourseFactory(title="The oldest course")
    for _ in range(12):
        CourseFactory()

    first, second = text(client, "/courses/"), text(client, "/courses/?page=2")

    assert oldest.title not in first
    assert oldest.title in second
    assert oldest.title not in text(client, "/courses/")


def test_a_search_is_not_cached(client, django_assert_num_queries):
    CourseFactory(title="Knitting")
    text(client, "/courses/?q=knit")

    with django_assert_num_queries(2):  # the count and the page, again
        assert "Knitting" in text(client, "/courses/?q=knit")


def nonce_of(response) -> str:
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode())[1]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    return nonce


def nonce_and_token(response) -> tuple[str, str]:
    token = re.search(r'"X-CSRFToken": "([^"]+)"', response.content.decode())[1]
    assert response.cookies["csrftoken"].value
    return nonce_of(response), token


def test_no_visitor_details_come_from_the_cache():
    CourseFactory(title="Shared course")
    ada = UserFactory(email="ada.private@example.com")
    grace = UserFactory(email="grace.private@example.com")
    as_ada, as_grace, anonymous = Client(), Client(), Client()
    as_ada.force_login(ada)
    as_grace.force_login(grace)

    ada_page = as_ada.get("/courses/")
    grace_page = as_grace.get("/courses/")
    anonymous_page = anonymous.get("/courses/")

    assert "ada.private@example.com" in ada_page.content.decode()
    assert "grace.private@example.com" in grace_page.content.decode()
    for page in (grace_page, anonymous_page):
        assert "ada.private@example.com" not in page.content.decode()
    assert "grace.private@example.com" not in anonymous_page.content.decode()
    # Each page has its own CSP nonce, and a signed-in person's its own CSRF token.
    found = [nonce_and_token(page) for page in (ada_page, grace_page)]
    assert len({nonce for nonce, _ in found} | {nonce_of(anonymous_page)}) == 3
    assert len({token for _, token in found}) == 2
    # An anonymous visitor posts nothing through htmx: no token, and so no CSRF cookie.
    assert "X-CSRFToken" not in anonymous_page.content.decode()
    assert "csrftoken" not in anonymous_page.cookies
    assert all("Shared course" in page.content.decode() for page in (ada_page, anonymous_page))
