"""Membership pages: the seller's offer, subscribing, the return from Checkout, cancel/resume."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checkout import membership_selectors, membership_services
from checkout.forms import MembershipOfferForm, MembershipSubscribeForm
from checkout.models import MembershipOffer
from checkout.views import _redirect_after_post
from site_config.stripe_client import StripeGatewayError


@login_required
@require_http_methods(["GET", "POST"])
def membership_offer(request):
    """The seller's membership: one per currency, edited here."""
    if not request.user.is_seller:
        raise PermissionDenied("Only sellers can offer a membership.")
    offers = membership_selectors.membership_offer_list_for_seller(seller=request.user)
    current = offers.filter(currency=request.GET.get("currency", "")).first() or offers.first()
    form = MembershipOfferForm(
        request.POST or None,
        initial=MembershipOfferForm.initial_for(current) if current else {"is_active": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership_services.membership_offer_save(seller=request.user, **form.offer_fields())
        except membership_services.MembershipError as error:
            form.add_error(None, error.user_message)
        except StripeGatewayError as error:
            messages.warning(
                request,
                "The membership was saved, but Stripe could not create its price yet "
                f"({error.user_message}). It is created when the first member subscribes.",
            )
            return _redirect_after_post(request, reverse("checkout:membership-offer"))
        else:
            messages.success(request, "Your membership was saved.")
            return _redirect_after_post(request, reverse("checkout:membership-offer"))
    return render(
        request,
        "checkout/membership_offer.html",
        {
            "form": form,
            "offers": offers,
            "current": current,
            "sale_blocker": membership_selectors.membership_sale_blocker(seller=request.user),
        },
    )


@require_POST
def membership_subscribe(request, pk: int):
    offer = get_object_or_404(
        MembershipOffer.objects.select_related("seller"), pk=pk, is_active=True
    )
    back = request.POST.get("next") or reverse("home")
    if not back.startswith("/"):
        back = reverse("home")
    if not request.user.is_authenticated:
        return _redirect_after_post(request, redirect_to_login(back)["Location"])
    form = MembershipSubscribeForm(request.POST)
    interval = form.cleaned_data["interval"] if form.is_valid() else "month"
    try:
        membership = membership_services.membership_checkout_start(
            buyer=request.user, offer=offer, interval=interval
        )
    except membership_services.AlreadyMember:
        messages.info(request, "You are already a member: every course of this seller is open.")
        return _redirect_after_post(request, back)
    except (membership_services.MembershipError, StripeGatewayError) as error:
        messages.error(request, error.user_message)
        return _redirect_after_post(request, back)
    return _redirect_after_post(request, membership.checkout_url)


@login_required
@require_GET
def membership_success(request):
    """Where Checkout returns: confirms the subscription at once (the webhook may be late)."""
    session_id = request.GET.get("session_id", "")
    membership = (
        membership_selectors.membership_get_by_session(buyer=request.user, session_id=session_id)
        if session_id
        else None
    )
    if membership is None:
        raise Http404("No such membership.")
    problem = ""
    try:
        membership = (
            membership_services.membership_session_completed(
                session_id=session_id,
                stripe_account_id=membership_services.membership_api_account(membership=membership),
            )
            or membership
        )
    except StripeGatewayError as error:
        problem = error.user_message
    template = "checkout/membership_success.html"
    if request.htmx:
        template += "#membership-status"
    return render(
        request,
        template,
        {
            "membership": membership,
            "has_access": membership_selectors.membership_grants_access(membership=membership),
            "courses": membership_selectors.membership_courses(seller=membership.seller),
            "problem": problem,
        },
    )


@login_required
@require_GET
def membership_courses(request, pk: int):
    """The member's way in: the seller's courses this membership opens."""
    membership = membership_selectors.membership_get_for_buyer(buyer=request.user, pk=pk)
    if membership is None:
        raise Http404("No such membership.")
    return render(
        request,
        "checkout/membership_success.html",
        {
            "membership": membership,
            "has_access": membership_selectors.membership_grants_access(membership=membership),
            "courses": membership_selectors.membership_courses(seller=membership.seller),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def membership_cancel(request, pk: int, cancel: bool = True):
    """Cancel at period end (or resume): a confirmation page, then the POST that does it."""
    membership = membership_selectors.membership_get_for_buyer(buyer=request.user, pk=pk)
    if membership is None:
        raise Http404("No such membership.")
    error = ""
    if request.method == "POST":
        try:
            membership_services.membership_cancel_set(membership=membership, cancel=cancel)
        except (membership_services.MembershipError, StripeGatewayError) as failure:
            error = failure.user_message
        else:
            if cancel:
                messages.success(
                    request,
                    "Your membership is cancelled. You keep access until "
                    f"{membership.current_period_end:%-d %B %Y}.",
                )
            else:
                messages.success(request, "Your membership continues. Welcome back!")
            return _redirect_after_post(request, reverse("dashboards:purchases"))
    return render(
        request,
        "checkout/membership_cancel.html",
        {"membership": membership, "cancel": cancel, "error": error},
    )


@login_required
@require_http_methods(["GET", "POST"])
def membership_update_card(request, pk: int):
    """The link in the failed-payment email: a page that explains, then Stripe's card page."""
    membership = membership_selectors.membership_get_for_buyer(buyer=request.user, pk=pk)
    if membership is None:
        raise Http404("No such membership.")
    error = ""
    if request.method == "POST":
        try:
            url = membership_services.membership_card_update_start(membership=membership)
        except (membership_services.MembershipError, StripeGatewayError) as failure:
            error = failure.user_message
        else:
            return _redirect_after_post(request, url)
    return render(
        request,
        "checkout/membership_update_card.html",
        {"membership": membership, "error": error},
    )


@login_required
@require_GET
def membership_card_updated(request, pk: int):
    """Where the card page returns: use the card now and say whether the payment went through."""
    membership = membership_selectors.membership_get_for_buyer(buyer=request.user, pk=pk)
    if membership is None:
        raise Http404("No such membership.")
    try:
        membership_services.membership_card_updated(
            membership_id=membership.pk,
            session_id=request.GET.get("session_id", ""),
            stripe_account_id=membership_services.membership_api_account(membership=membership),
        )
    except StripeGatewayError as error:
        messages.error(
            request, f"Your card was saved, but the payment failed: {error.user_message}"
        )
    else:
        membership.refresh_from_db()
        if membership.status == membership.Status.ACTIVE:
            messages.success(request, "Your card was updated and the payment went through.")
        else:
            messages.info(request, "Your card was saved. We will use it for the next attempt.")
    return _redirect_after_post(request, reverse("dashboards:purchases"))
