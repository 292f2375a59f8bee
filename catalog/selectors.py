from django.db.models import Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr

from accounts.models import User
from catalog.models import Course


def course_list_published(*, search: str = "", seller: User | None = None) -> QuerySet[Course]:
    """Published courses (of one seller, if given); a search matches what the catalog shows:
    title, description and the seller's display name. Never the seller's email address: a match
    on it would let anyone guess an address one character at a time."""
    courses = Course.objects.filter(is_published=True).select_related("seller")
    if seller is not None:
        courses = courses.filter(seller=seller)
    search = search.strip()
    if search:
        courses = courses.annotate(
            # User.display_name: the full name, or the part of the email before the "@".
            seller_email_name=Substr("seller__email", 1, StrIndex("seller__email", Value("@")) - 1)
        ).filter(
            Q(title__icontains=search)
            | Q(description__icontains=search)
            | Q(seller__full_name__icontains=search)
            | Q(seller__full_name="", seller_email_name__icontains=search)
        )
    return courses


def course_list_for_seller(*, seller: User) -> QuerySet[Course]:
    return Course.objects.filter(seller=seller).select_related("seller__stripe_account")


def course_get_visible(*, slug: str, user: User) -> Course | None:
    """A course page is public once published; before that only its seller and staff see it."""
    course = Course.objects.select_related("seller").filter(slug=slug).first()
    if course is None:
        return None
    if course.is_published or user.is_staff or course.seller_id == user.pk:
        return course
    return None


def seller_get_visible(*, pk: int, user: User) -> User | None:
    """A seller's public page exists once they publish a course, as their course pages do;
    before that only the seller and staff see it, so nobody can probe who sells."""
    seller = User.objects.filter(pk=pk, is_seller=True).first()
    if seller is None:
        return None
    if user.is_staff or seller.pk == user.pk:
        return seller
    return seller if Course.objects.filter(seller=seller, is_published=True).exists() else None


def course_get(*, slug: str) -> Course | None:
    return Course.objects.select_related("seller").filter(slug=slug).first()


def course_get_owned(*, slug: str, seller: User) -> Course | None:
    """A course its seller may edit; None for anyone else's, so its existence does not leak."""
    return Course.objects.filter(slug=slug, seller=seller).first()


def course_sale_blocker(*, course: Course) -> str | None:
    """Why this course cannot be bought right now, in words for its seller; None when it can."""
    return seller_sale_blocker(seller=course.seller)


def seller_sale_blocker(*, seller: User) -> str | None:
    """Why nothing of this seller's can be bought right now, in words for them; None when it can."""
    if not seller.is_seller:
        return "The seller no longer has selling rights."
    stripe_account = getattr(seller, "stripe_account", None)
    if stripe_account is None:
        return "Connect a Stripe account to start selling."
    if not stripe_account.is_connected:
        return "The Stripe account was disconnected. Connect it again to sell."
    if not stripe_account.charges_enabled:
        return "Stripe has not enabled charges yet: finish onboarding."
    return None
