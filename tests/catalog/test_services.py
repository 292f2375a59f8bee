import pytest

from catalog.services import course_create, course_update


@pytest.mark.django_db
def test_slugs_are_unique_and_never_shadow_seller_pages(seller):
    first = course_create(
        seller=seller, title="Intro", description="d", price_amount=1000, currency="usd"
    )
    second = course_create(
        seller=seller, title="Intro", description="d", price_amount=1000, currency="usd"
    )
    reserved = course_create(
        seller=seller, title="New", description="d", price_amount=1000, currency="usd"
    )
    assert (first.slug, second.slug) == ("intro", "intro-2")
    assert reserved.slug == "new-2"


@pytest.mark.django_db
def test_course_update_refuses_fields_sellers_may_not_change(seller):
    course = course_create(
        seller=seller, title="Intro", description="d", price_amount=1000, currency="usd"
    )
    with pytest.raises(ValueError, match="platform_fee_percent"):
        course_update(course=course, platform_fee_percent=0)
