import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from checkout.membership_selectors import membership_list_for_buyer
from checkout.selectors import order_refund_permission
from checkout.services.payouts import payout_detail_for_seller, payouts_for_seller
from dashboards.charts import revenue_bar_chart
from dashboards.exports import sale_csv_lines
from dashboards.forms import PeriodForm, PurchaseFilterForm, SaleFilterForm
from dashboards.membership_selectors import (
    membership_figures_for_platform,
    membership_figures_for_seller,
)
from dashboards.periods import zone_for
from dashboards.selectors.buyer import (
    purchase_get_visible,
    purchase_list_for_buyer,
    purchase_totals_for_buyer,
)
from dashboards.selectors.common import SALE_SORTS
from dashboards.selectors.platform import (
    platform_dispute_totals,
    platform_fees_by_charge_type,
    platform_kpis,
    platform_pending_sellers,
    platform_recent_disputes,
    platform_refund_totals,
    platform_top_sellers,
)
from dashboards.selectors.seller import (
    SALES_PER_PAGE,
    refund_list_for_order,
    sale_course_choices_for_seller,
    sale_get_visible,
    sale_kpis_for_seller,
    sale_latest_paid_at_for_seller,
    sale_list_for_seller,
    sale_list_new_for_seller,
    sale_revenue_series_for_seller,
    sale_table_rows,
    sale_totals_by_course_for_seller,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def login_required_htmx(view):
    """Django's login_required, except that an htmx request (a table swap, the new-sales poll)
    sends the whole window to the login page instead of swapping the login form into a table."""
    plain = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            back_to = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(back_to).url)
        return plain(request, *args, **kwargs)

    return wrapper


def seller_required(view):
    @login_required_htmx
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_seller:
            raise PermissionDenied("Only sellers have a sales dashboard.")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @login_required_htmx
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Only staff see the platform dashboard.")
        return view(request, *args, **kwargs)

    return wrapper


def without_empty_params(view):
    """A GET form sends every field, filled or not (`?q=&status=&kind=`); answer such a URL with
    a redirect to the same page without the empty ones, so the address bar, history and shared
    links carry only the filters in use. htmx follows the redirect and pushes the short URL."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "GET" and "" in (v for _, vs in request.GET.lists() for v in vs):
            kept = [(key, v) for key, values in request.GET.lists() for v in values if v != ""]
            return HttpResponseRedirect(
                f"{request.path}?{urlencode(kept)}" if kept else request.path
            )
        return view(request, *args, **kwargs)

    return wrapper


def _wants_fragment(request) -> bool:
    # A history restore after a cache miss replaces the whole body, so it needs the full page.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, template: str, context: dict, *, zone) -> HttpResponse:
    with timezone.override(zone):
        response = render(request, template, context)
    # The same URL answers with a page or a fragment, so caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _micros(moment: dt.datetime | None) -> int:
    return 0 if moment is None else (moment - EPOCH) // dt.timedelta(microseconds=1)


def _sort_columns(current: str) -> list[dict]:
    active_key, descending = current.lstrip("-"), current.startswith("-")
    columns = []
    for key, sort in SALE_SORTS.items():
        active = key == active_key
        if active:
            next_sort = key if descending else f"-{key}"
        else:
            next_sort = f"-{key}" if sort.descending_first else key
        columns.append(
            {
                "key": key,
                "label": sort.label,
                "next_sort": next_sort,
                "aria_sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    return columns


def _sales_filtered(request) -> dict:
    """The seller's sales as the table's filters in the URL narrow them (the CSV exports these)."""
    seller = request.user
    zone = zone_for(seller.time_zone)
    form = SaleFilterForm(request.GET, courses=sale_course_choices_for_seller(seller=seller))
    filters = form.filters(zone=zone)
    return {
        "zone": zone,
        "filters": filters,
        "filter_form": form,
        "sales": sale_list_for_seller(seller=seller, filters=filters),
    }


def _sales_table_context(request) -> dict:
    context = _sales_filtered(request)
    return {
        **context,
        "page": Paginator(sale_table_rows(context["sales"]), SALES_PER_PAGE).get_page(
            request.GET.get("page")
        ),
        "sort_columns": _sort_columns(context["filters"].sort),
        "period_params": {key: request.GET.get(key, "") for key in ("period", "start", "end")},
    }


@seller_required
@require_GET
@without_empty_params
def sales(request):
    context = _sales_table_context(request)
    zone = context["zone"]
    if _wants_fragment(request):
        return _render(request, "dashboards/sales.html#sales-table", context, zone=zone)
    seller = request.user
    now = timezone.now()
    period_form = PeriodForm(request.GET)
    period = period_form.period_for(zone=zone, now=now)
    latest = sale_latest_paid_at_for_seller(seller=seller)
    series = sale_revenue_series_for_seller(
        seller=seller, period=period, today=now.astimezone(zone).date()
    )
    context.update(
        period_form=period_form,
        period=period,
        kpis=sale_kpis_for_seller(seller=seller, period=period),
        charts=[(revenue_bar_chart(series=one), one) for one in series],
        course_totals=sale_totals_by_course_for_seller(seller=seller, period=period),
        membership_figures=membership_figures_for_seller(seller=seller, period=period),
        has_sales=latest is not None,
        since=_micros(latest),
        poll_seconds=settings.DASHBOARD_POLL_SECONDS,
    )
    return _render(request, "dashboards/sales.html", context, zone=zone)


@seller_required
@require_GET
def sales_export(request):
    context = _sales_filtered(request)
    response = StreamingHttpResponse(
        sale_csv_lines(sales=context["sales"], zone=context["zone"]),
        content_type="text/csv; charset=utf-8",
    )
    today = timezone.now().astimezone(context["zone"]).date()
    response["Content-Disposition"] = f'attachment; filename="sales-{today:%Y-%m-%d}.csv"'
    return response


@seller_required
@require_GET
def sales_new(request):
    """Sales paid since the dashboard last looked; 204 (htmx swaps nothing) when there are none."""
    try:
        since_micros = int(request.GET.get("since", "0"))
        since = EPOCH + dt.timedelta(microseconds=max(since_micros, 0))
    except (ValueError, OverflowError):
        return HttpResponseBadRequest("since must be a whole number of microseconds.")
    new_sales = sale_list_new_for_seller(seller=request.user, since=since)
    if not new_sales:
        return HttpResponse(status=204)
    context = {
        "new_sales": new_sales,
        "since": _micros(new_sales[0].paid_at),
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
    }
    return _render(
        request, "dashboards/_new_sales.html", context, zone=zone_for(request.user.time_zone)
    )


@login_required_htmx
@require_GET
def sale_detail(request, pk: int):
    user = request.user
    if not (user.is_seller or user.is_staff):
        raise PermissionDenied("Only sellers and staff see sales.")
    order = sale_get_visible(pk=pk, user=user)
    if order is None:
        raise Http404("No such sale.")
    context = {
        "order": order,
        "refunds": refund_list_for_order(order=order),
        "refund_permission": order_refund_permission(order=order, user=user),
    }
    return _render(request, "dashboards/sale_detail.html", context, zone=zone_for(user.time_zone))


@login_required_htmx
@require_GET
@without_empty_params
def purchases(request):
    buyer = request.user
    zone = zone_for(buyer.time_zone)
    form = PurchaseFilterForm(request.GET)
    context = {
        "filter_form": form,
        "page": Paginator(
            purchase_list_for_buyer(buyer=buyer, filters=form.filters(zone=zone)), SALES_PER_PAGE
        ).get_page(request.GET.get("page")),
    }
    if _wants_fragment(request):
        return _render(request, "dashboards/purchases.html#purchases-table", context, zone=zone)
    context["totals"] = purchase_totals_for_buyer(buyer=buyer)
    context["memberships"] = membership_list_for_buyer(buyer=buyer)
    return _render(request, "dashboards/purchases.html", context, zone=zone)


@login_required_htmx
@require_GET
def purchase_receipt(request, pk: int):
    order = purchase_get_visible(pk=pk, user=request.user)
    if order is None:
        raise Http404("No such purchase.")
    context = {
        "order": order,
        "refunds": refund_list_for_order(order=order),
        "owned": order.grants_access,
    }
    return _render(
        request, "dashboards/receipt.html", context, zone=zone_for(request.user.time_zone)
    )


@staff_required
@require_GET
@without_empty_params
def platform(request):
    zone = zone_for(request.user.time_zone)
    period_form = PeriodForm(request.GET)
    period = period_form.period_for(zone=zone, now=timezone.now())
    pending_sellers, pending_count = platform_pending_sellers()
    context = {
        "period_form": period_form,
        "period": period,
        "kpis": platform_kpis(period=period),
        "fees_by_charge_type": platform_fees_by_charge_type(period=period),
        "top_sellers": platform_top_sellers(period=period),
        "pending_sellers": pending_sellers,
        "pending_count": pending_count,
        "refund_totals": platform_refund_totals(period=period),
        "dispute_totals": platform_dispute_totals(),
        "recent_disputes": platform_recent_disputes(),
        "membership_figures": membership_figures_for_platform(period=period),
    }
    return _render(request, "dashboards/platform.html", context, zone=zone)


@seller_required
@require_http_methods(["GET", "POST"])
def payouts(request):
    """The seller's balances and payouts; a POST is "Refresh now" (Stripe is asked at most every
    few minutes, whatever the seller clicks)."""
    view = payouts_for_seller(seller=request.user, refresh=request.method == "POST")
    context = {"view": view, "now": timezone.now()}
    return _render(
        request, "dashboards/payouts.html", context, zone=zone_for(request.user.time_zone)
    )


@seller_required
@require_GET
def payout_detail(request, payout_id: str):
    detail = payout_detail_for_seller(seller=request.user, payout_id=payout_id)
    if detail is None:
        raise Http404("No such payout.")
    return _render(
        request,
        "dashboards/payout_detail.html",
        {"detail": detail},
        zone=zone_for(request.user.time_zone),
    )
