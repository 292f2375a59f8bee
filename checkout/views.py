import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.stripe_connect import StripeGatewayError
from catalog.money import from_minor_units
from catalog.selectors import course_get_visible
from checkout import selectors, services, stripe_webhooks
from checkout.forms import RefundForm
from checkout.models import Order

logger = logging.getLogger(__name__)


def _go(request, url: str) -> HttpResponse:
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
        return _go(request, login["Location"])
    try:
        order = services.order_checkout_start(buyer=request.user, course=course)
    except services.CourseAlreadyOwned:
        return _go(request, reverse("catalog:course-content", kwargs={"slug": course.slug}))
    except (services.CheckoutError, StripeGatewayError) as error:
        messages.error(request, error.user_message)
        return _go(request, course.get_absolute_url())
    return _go(request, order.checkout_url)


@login_required
@require_GET
def checkout_success(request):
    session_id = request.GET.get("session_id", "")
    order = selectors.order_get_for_viewer(user=request.user, session_id=session_id)
    if order is None:
        raise Http404("No such order.")
    problem = ""
    try:
        order = services.order_fulfil(session_id=session_id) or order
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
    order = get_object_or_404(Order.objects.select_related("course", "buyer", "seller"), pk=pk)
    if not selectors.order_can_refund(order=order, user=request.user):
        # Someone else's sale is reported as missing, so its existence does not leak.
        raise Http404("No such order.")
    refundable = services.order_refundable_amount(order=order)
    form = RefundForm(
        request.POST or None,
        currency=order.currency,
        initial={"amount": from_minor_units(refundable, order.currency)},
    )
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.order_refund(
                order_id=order.pk, amount=form.cleaned_data["amount"], requested_by=request.user
            )
        except (services.CheckoutError, StripeGatewayError) as error:
            form.add_error(None, error.user_message)
        else:
            messages.success(
                request,
                f"Refund of {form.data['amount']} {order.currency.upper()} sent to Stripe. "
                "The order is updated when Stripe confirms it.",
            )
            return _go(request, next_url or reverse("checkout:order-refund", kwargs={"pk": pk}))
    return render(
        request,
        "checkout/refund.html",
        {
            "order": order,
            "course": order.course,
            "form": form,
            "refundable": refundable,
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
        services.webhook_event_receive(event=event, endpoint=endpoint)
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
