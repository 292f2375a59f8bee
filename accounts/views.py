from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import ConnectAccountTypeForm, ProfileForm
from accounts.selectors import stripe_account_for_seller
from accounts.services import (
    StripeConnectRefused,
    connect_oauth_state_consume,
    stripe_account_connect_standard,
    stripe_account_dashboard_link,
    stripe_account_disconnect_for_seller,
    stripe_account_oauth_url,
    stripe_account_onboarding_link,
    stripe_account_refresh,
    stripe_account_refresh_if_stale,
    stripe_account_start_onboarding,
    user_update_profile,
)
from site_config.stripe_client import StripeGatewayError

# How often a polling card may trigger a fresh read from Stripe, whatever the poll interval.
CARD_REFRESH_MAX_AGE = timedelta(seconds=10)
SELLERS_ONLY_MESSAGE = (
    "Only sellers can connect a Stripe account. Ask an administrator for selling rights."
)


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            user_update_profile(
                user=request.user,
                full_name=form.cleaned_data["full_name"],
                time_zone=form.cleaned_data["time_zone"],
            )
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:account")
    else:
        form = _profile_form(request.user)
    return _render_account(request, form=form)


def _profile_form(user) -> ProfileForm:
    return ProfileForm(initial={"full_name": user.full_name, "time_zone": user.time_zone})


def _render_account(request, *, form: ProfileForm | None = None, card_only: bool = False):
    stripe_account = stripe_account_for_seller(seller=request.user)
    context = {"stripe_account": stripe_account}
    if card_only:
        return render(request, "accounts/account.html#stripe-connection", context)
    form = form or _profile_form(request.user)
    return render(request, "accounts/account.html", {**context, "form": form})


def _redirect_to_stripe(request, stripe_url: Callable[[], str]) -> HttpResponse:
    """Send the seller to the Stripe page `stripe_url` makes, or back to their account page with
    the reason it could not be made."""
    try:
        url = stripe_url()
    except (StripeConnectRefused, StripeGatewayError) as failure:
        messages.error(request, failure.user_message)
        return redirect("accounts:account")
    return redirect(url)


def sellers_only(view):
    """A buyer following a Connect link is told why, and never sent to Stripe."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_seller:
            if request.htmx:
                return HttpResponse("")
            messages.error(request, SELLERS_ONLY_MESSAGE)
            return redirect("accounts:account")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_GET
def connect_card(request):
    """The connection card: a fragment for HTMX polling, the account page otherwise."""
    stripe_account = stripe_account_for_seller(seller=request.user)
    if stripe_account is not None:
        stripe_account_refresh_if_stale(stripe_account=stripe_account, max_age=CARD_REFRESH_MAX_AGE)
    return _render_account(request, card_only=bool(request.htmx and not request.htmx.boosted))


@login_required
@sellers_only
@require_GET
def connect_authorize(request):
    return _redirect_to_stripe(
        request, lambda: stripe_account_oauth_url(seller=request.user, session=request.session)
    )


@login_required
@sellers_only
@require_GET
def connect_oauth_callback(request):
    """Where Stripe sends the seller back after the consent page."""
    if not connect_oauth_state_consume(
        session=request.session, user=request.user, state=request.GET.get("state", "")
    ):
        messages.error(
            request,
            "This Stripe connection request is invalid, expired or was already used, so nothing "
            "was connected. Please start again with “Connect with Stripe”.",
        )
        return redirect("accounts:account")
    error = request.GET.get("error")
    if error == "access_denied":
        messages.warning(request, "You declined the connection on Stripe. Nothing was connected.")
        return redirect("accounts:account")
    code = request.GET.get("code")
    if error or not code:
        messages.error(request, "Stripe did not complete the connection. Please try again.")
        return redirect("accounts:account")
    try:
        stripe_account = stripe_account_connect_standard(seller=request.user, code=code)
    except (StripeConnectRefused, StripeGatewayError) as failure:
        messages.error(request, failure.user_message)
    else:
        messages.success(
            request, f"Your Stripe account {stripe_account.stripe_account_id} is connected."
        )
    return redirect("accounts:account")


@login_required
@sellers_only
@require_POST
def connect_onboard(request):
    """Create an Express or Custom account and send the seller to Stripe's onboarding."""
    form = ConnectAccountTypeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an Express or a Custom account.")
        return redirect("accounts:account")
    return _redirect_to_stripe(
        request,
        lambda: stripe_account_start_onboarding(
            seller=request.user, account_type=form.cleaned_data["account_type"]
        ),
    )


@login_required
@sellers_only
@require_GET
def connect_return(request):
    """Stripe's onboarding `return_url`: show what Stripe now says, not what the URL implies."""
    stripe_account = stripe_account_for_seller(seller=request.user)
    if stripe_account is None or not stripe_account.is_connected:
        messages.error(request, "There is no connected Stripe account to check.")
        return redirect("accounts:account")
    try:
        stripe_account = stripe_account_refresh(stripe_account_id=stripe_account.stripe_account_id)
    except StripeGatewayError as failure:
        messages.error(request, failure.user_message)
        return redirect("accounts:account")
    if stripe_account.can_take_charges:
        messages.success(request, "Your Stripe account is ready: you can sell courses now.")
    elif stripe_account.details_submitted:
        messages.info(request, "Stripe is reviewing your details; this page updates by itself.")
    else:
        messages.warning(
            request, "Onboarding is not finished yet. Continue whenever you are ready."
        )
    return redirect("accounts:account")


@login_required
@sellers_only
@require_GET
def connect_refresh(request):
    """Stripe's onboarding `refresh_url`: the link expired or was used, so issue a fresh one."""
    return _redirect_to_stripe(request, lambda: stripe_account_onboarding_link(seller=request.user))


@login_required
@sellers_only
@require_POST
def connect_dashboard(request):
    return _redirect_to_stripe(request, lambda: stripe_account_dashboard_link(seller=request.user))


@login_required
@sellers_only
@require_http_methods(["GET", "POST"])
def connect_disconnect(request):
    """GET asks for confirmation (no script needed); POST disconnects."""
    stripe_account = stripe_account_for_seller(seller=request.user)
    if stripe_account is None or not stripe_account.is_connected:
        messages.info(request, "There is no connected Stripe account.")
        return redirect("accounts:account")
    if request.method == "GET":
        return render(
            request, "accounts/connect_disconnect.html", {"stripe_account": stripe_account}
        )
    try:
        stripe_account = stripe_account_disconnect_for_seller(seller=request.user)
    except (StripeConnectRefused, StripeGatewayError) as failure:
        messages.error(request, failure.user_message)
    else:
        messages.success(
            request,
            f"Stripe account {stripe_account.stripe_account_id} was disconnected. Your courses "
            "stay, but they cannot be bought until you connect an account again.",
        )
    return redirect("accounts:account")
