import factory

from catalog.models import Course
from tests.accounts.factories import SellerFactory


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course number {n}")
    slug = factory.Sequence(lambda n: f"course-number-{n}")
    description = "A course about things worth knowing."
    content = "Lesson 1: the secret content."
    price_amount = 4900
    currency = "usd"
    seller = factory.SubFactory(SellerFactory)
    is_published = True
