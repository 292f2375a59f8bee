import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods

from catalog.forms import CourseForm, CoursePriceForm, CourseSearchForm
from catalog.fragment_cache import catalog_fragments_seconds, catalog_fragments_version
from catalog.models import Course
from catalog.selectors import (
    course_get,
    course_get_owned,
    course_get_visible,
    course_list_for_seller,
    course_list_published,
    course_sale_blocker,
    seller_get_visible,
    seller_sale_blocker,
)
from catalog.services import course_create, course_update
from checkout.membership_selectors import membership_box_for_course, membership_box_for_seller
from checkout.selectors import course_access_allowed, course_buy_box
from checkout.services.orders import order_fee_amount

COURSES_PER_PAGE = 12
# The catalog's pages whose cards are cached: plain page numbers, so the keys stay few.
CACHED_PAGE = re.compile(r"[1-9][0-9]{0,2}")


@require_GET
def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            # A queryset runs only if the cached cards are missing.
            "featured_courses": course_list_published()[:6],
            "cards_version": catalog_fragments_version(),
            "cards_seconds": catalog_fragments_seconds(),
        },
    )


@require_GET
def course_list(request):
    search_form = CourseSearchForm(request.GET)
    search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    page_number = request.GET.get("page") or "1"
    # Paginating runs two queries (count, page); lazily, so a cached list runs neither.
    page = SimpleLazyObject(
        lambda: Paginator(course_list_published(search=search), COURSES_PER_PAGE).get_page(
            page_number
        )
    )
    template = "catalog/course_list.html"
    # A history restore after htmx's cache missed replaces the whole body: it needs the page.
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template += "#course-results"
    response = render(
        request,
        template,
        {
            "search_form": search_form,
            "search": search,
            "page": page,
            # Searches are not cached: any text makes a new key, so they could fill the cache.
            "cards_page": page_number if not search and CACHED_PAGE.fullmatch(page_number) else "",
            "cards_version": catalog_fragments_version(),
            "cards_seconds": catalog_fragments_seconds(),
        },
    )
    # The same URL answers with a page or a fragment, so caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
def course_detail(request, slug: str):
    course = course_get_visible(slug=slug, user=request.user)
    if course is None:
        raise Http404("No such course.")
    return render(
        request,
        "catalog/course_detail.html",
        {
            "course": course,
            "sale_blocker": course_sale_blocker(course=course),
            "buy_box": course_buy_box(course=course, user=request.user),
            "membership_box": membership_box_for_course(course=course, user=request.user),
        },
    )


@require_GET
def seller_detail(request, pk: int):
    """A seller's public page: their published courses and their membership."""
    seller = seller_get_visible(pk=pk, user=request.user)
    if seller is None:
        raise Http404("No such seller.")
    page = Paginator(course_list_published(seller=seller), COURSES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "catalog/seller_detail.html",
        {
            "seller": seller,
            "page": page,
            "sale_blocker": seller_sale_blocker(seller=seller),
            "membership_box": membership_box_for_seller(seller=seller, user=request.user),
        },
    )


@login_required
@require_GET
def course_content(request, slug: str):
    """The course itself: for paying buyers (not fully refunded), its seller and staff."""
    course = course_get(slug=slug)
    if course is None:
        raise Http404("No such course.")
    if not course_access_allowed(course=course, user=request.user):
        messages.info(request, "Buy this course to open its content.")
        return redirect(course.get_absolute_url())
    return render(request, "catalog/course_content.html", {"course": course})


def _require_seller(user) -> None:
    if not user.is_seller:
        raise PermissionDenied("Only sellers can manage courses.")


@login_required
@require_GET
def my_courses(request):
    _require_seller(request.user)
    courses = [
        (course, course_sale_blocker(course=course))
        for course in course_list_for_seller(seller=request.user)
    ]
    return render(request, "catalog/my_courses.html", {"courses": courses})


def _fee_preview(*, data, course: Course | None) -> dict | None:
    """What the seller receives for the price being typed: the platform fee is worked out by the
    same function that charges it, at this course's fee (or a new course's default)."""
    form = CoursePriceForm(data)
    if not form.is_valid():
        return None
    priced = Course(
        price_amount=form.cleaned_data["price_amount"],
        currency=form.cleaned_data["currency"],
        platform_fee_percent=(
            course.platform_fee_percent
            if course
            else Course._meta.get_field("platform_fee_percent").default
        ),
    )
    fee = order_fee_amount(course=priced)
    return {
        "currency": priced.currency,
        "fee": fee,
        "fee_percent": priced.platform_fee_percent,
        "net": priced.price_amount - fee,
    }


def _course_form_page(request, *, form: CourseForm, course: Course | None):
    data = form.data if form.is_bound else form.initial
    context = {"form": form, "course": course, "preview": _fee_preview(data=data, course=course)}
    return render(request, "catalog/course_form.html", context)


@login_required
@require_GET
def course_fee_preview(request):
    """The course form's live "You receive" line, refreshed by htmx as the price changes."""
    _require_seller(request.user)
    slug = request.GET.get("course", "")
    course = course_get_owned(slug=slug, seller=request.user) if slug else None
    context = {"preview": _fee_preview(data=request.GET, course=course)}
    return render(request, "catalog/course_form.html#fee-preview", context)


@login_required
@require_http_methods(["GET", "POST"])
def course_new(request):
    _require_seller(request.user)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = course_create(seller=request.user, **form.course_fields())
        messages.success(request, f"“{course.title}” was created.")
        return redirect("catalog:my-courses")
    return _course_form_page(request, form=form, course=None)


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request, slug: str):
    _require_seller(request.user)
    course = course_get_owned(slug=slug, seller=request.user)
    if course is None:
        # Another seller's course is reported as missing, so its existence does not leak.
        raise Http404("No such course.")
    form = CourseForm(request.POST or None, initial=CourseForm.initial_for(course))
    if request.method == "POST" and form.is_valid():
        course_update(course=course, **form.course_fields())
        messages.success(request, f"“{course.title}” was saved.")
        return redirect("catalog:my-courses")
    return _course_form_page(request, form=form, course=course)
