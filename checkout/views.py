import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from catalog.money import format_money
from catalog.selectors import course_get_visible
from checkout import selectors, stripe_webhooks
from checkout.forms import RefundForm
from checkout.services import refunds
from checkout.services.errors import CheckoutError, CourseAlreadyOwned
from checkout.services.orders import order_checkout_start, order_fulfil
from checkout.services.webhook_handlers import webhook_event_receive
from site_config.stripe_client import StripeGatewayError

logger = logging.getLogger(__name__)


def _redirect_after_post(request, url: str) -> HttpResponse:
    """Redirect after a POST: HX-Redirect for htmx, 303 See Other otherwise."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@require_POST
def course_buy(request, slug: str):
    course = course_get_visible(slug=slug, user=request.user)
    if course is None:
        raise Http404("No such course.")
    if not request.user.is_authenticated:
        login = redirect_to_login(course.get_absolute_url())
        return _redirect_after_post(request, login["Location"])
    try:
        order = order_checkout_start(buyer=request.user, course=course)
    except CourseAlreadyOwned:
        return _redirect_after_post(
            request, reverse("catalog:course-content", kwargs={"slug": course.slug})
        )
    except (CheckoutError, StripeGatewayError) as error:
        messages.error(request, error.user_message)
        return _redirect_after_post(request, course.get_absolute_url())
    return _redirect_after_post(request, order.checkout_url)


@login_required
@require_GET
def checkout_success(request):
    session_id = request.GET.get("session_id", "")
    order = selectors.order_get_for_viewer(user=request.user, session_id=session_id)
    if order is None:
        raise Http404("No such order.")
    problem = ""
    try:
        order = order_fulfil(session_id=session_id) or order
    except StripeGatewayError as error:
        # The webhook will still record the payment; the page keeps polling meanwhile.
        problem = error.user_message
    template = "checkout/success.html"
    if request.htmx:
        template += "#order-status"
    return render(request, template, {"order": order, "course": order.course, "problem": problem})


@login_required
@require_GET
def checkout_cancelled(request, pk: int):
    order = selectors.order_get_for_viewer(user=request.user, pk=pk)
    if order is None:
        raise Http404("No such order.")
    return render(request, "checkout/cancelled.html", {"order": order, "course": order.course})


@login_required
@require_http_methods(["GET", "POST"])
def order_refund(request, pk: int):
    order = selectors.order_get(pk=pk)
    if order is None:
        raise Http404("No such order.")
    permission = selectors.order_refund_permission(order=order, user=request.user)
    if not permission.may_manage:
        # Someone else's sale is reported as missing, so its existence does not leak.
        raise Http404("No such order.")
    # The amount is typed, never pre-filled: a second click must not refund the rest by accident.
    form = RefundForm(
        request.POST or None, currency=order.currency, amount_left=permission.amount_left
    )
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            refunds.order_refund(order_id=order.pk, amount=amount, requested_by=request.user)
        except (CheckoutError, StripeGatewayError) as error:
            form.add_error(None, error.user_message)
        else:
            messages.success(
                request,
                f"Refund of {format_money(amount, order.currency)} for sale #{order.pk} sent to "
                "Stripe. It shows as pending until Stripe confirms it.",
            )
            return _redirect_after_post(
                request, next_url or reverse("dashboards:sale-detail", kwargs={"pk": pk})
            )
    return render(
        request,
        "checkout/refund.html",
        {
            "order": order,
            "course": order.course,
            "form": form,
            "refund_permission": permission,
            "refund_progress": selectors.order_refund_progress(order=order),
            "refunds": order.refunds.all(),
            "next": next_url,
        },
    )


def _receive_webhook(request, *, endpoint: str) -> HttpResponse:
    try:
        event = stripe_webhooks.webhook_event_parse(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            endpoint=endpoint,
        )
    except stripe_webhooks.WebhookEventRejected as error:
        logger.warning("Rejected a %s webhook: %s", endpoint, error)
        return HttpResponseBadRequest("Not a valid signed Stripe event.")
    try:
        webhook_event_receive(event=event, endpoint=endpoint)
    except Exception:
        # Stripe retries non-2xx answers with backoff; the stored event keeps the error.
        logger.exception("Handling %s %s failed", event.type, event.id)
        return HttpResponse("Handler failed; retry later.", status=500)
    return HttpResponse("ok")


@csrf_exempt
@require_POST
def webhook(request):
    return _receive_webhook(request, endpoint=stripe_webhooks.PLATFORM)


@csrf_exempt
@require_POST
def webhook_connect(request):
    return _receive_webhook(request, endpoint=stripe_webhooks.CONNECT)
