from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from tests.catalog.factories import CourseFactory


@pytest.mark.django_db
@pytest.mark.parametrize("fee", [Decimal("-1"), Decimal("100.01")])
def test_fee_percent_outside_0_to_100_is_invalid(fee):
    course = CourseFactory.build(platform_fee_percent=fee, seller=CourseFactory().seller)
    with pytest.raises(ValidationError) as error:
        course.full_clean()
    assert "platform_fee_percent" in error.value.message_dict


@pytest.mark.django_db
def test_database_refuses_a_fee_over_100_percent():
    course = CourseFactory()
    course.platform_fee_percent = Decimal("150")
    with pytest.raises(IntegrityError):
        course.save()
