from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import User
from catalog.models import Course

# Words the course URLs use for seller pages, so no course may take them as its slug.
RESERVED_SLUGS = frozenset({"mine", "new"})


def _unique_slug(title: str) -> str:
    base = slugify(title)[:200] or "course"
    candidate, suffix = base, 2
    while candidate in RESERVED_SLUGS or Course.objects.filter(slug=candidate).exists():
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def course_create(
    *,
    seller: User,
    title: str,
    description: str,
    price_amount: int,
    currency: str,
    content: str = "",
    outline: str = "",
    charge_type: str = Course.ChargeType.AUTOMATIC,
    is_published: bool = False,
) -> Course:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return Course.objects.create(
                    seller=seller,
                    title=title,
                    slug=_unique_slug(title),
                    description=description,
                    content=content,
                    outline=outline,
                    price_amount=price_amount,
                    currency=currency,
                    charge_type=charge_type,
                    is_published=is_published,
                )
        except IntegrityError:
            # Another request took the same slug between the check and the insert; pick again.
            continue
    raise IntegrityError("Could not find a free slug for this course.")


def course_update(*, course: Course, **fields) -> Course:
    editable = {
        "title",
        "description",
        "content",
        "outline",
        "price_amount",
        "currency",
        "charge_type",
        "is_published",
    }
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(course, name, value)
    course.full_clean()
    course.save()
    return course
