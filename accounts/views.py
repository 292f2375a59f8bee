import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import requirements
from accounts.forms import STEP_FORMS, BankAccountForm, ConnectAccountTypeForm, ProfileForm
from accounts.selectors import stripe_account_for_seller
from accounts.services import (
    CustomOnboarding,
    StripeConnectRefused,
    connect_oauth_state_consume,
    custom_bank_account_replace,
    custom_onboarding_read,
    custom_onboarding_submit,
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
from site_config.stripe_client import StripeFieldRejected, StripeGatewayError

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
    """Create an Express account and send the seller to Stripe's onboarding, or a Custom one
    and continue on the marketplace's own form (the service says where)."""
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


# --- Custom accounts onboarded in-app -----------------------------------------------------------


def _custom_onboarding_or_account_page(request, read):
    """Run `read` (a service returning CustomOnboarding) or go back to the account page with
    the reason it failed."""
    try:
        return read(), None
    except (StripeConnectRefused, StripeGatewayError) as failure:
        messages.error(request, failure.user_message)
        return None, redirect("accounts:account")


@login_required
@sellers_only
@require_GET
def custom_onboarding(request):
    """The in-app onboarding: the next step Stripe needs, or the summary when nothing is due."""
    onboarding, failed = _custom_onboarding_or_account_page(
        request, lambda: custom_onboarding_read(seller=request.user)
    )
    if failed:
        return failed
    next_step = onboarding.plan.next_step
    if next_step is not None:
        return redirect("accounts:custom-onboarding-step", step=next_step)
    return render(request, "accounts/custom_onboarding.html", _custom_context(onboarding))


@login_required
@sellers_only
@require_http_methods(["GET", "POST"])
def custom_onboarding_step(request, step: str):
    """One step of the form. An htmx POST gets the next step's fragment (and its URL pushed);
    a plain POST is redirected to it. Errors come back next to their fields."""
    if step not in STEP_FORMS:
        raise Http404("No such step.")
    onboarding, failed = _custom_onboarding_or_account_page(
        request, lambda: custom_onboarding_read(seller=request.user)
    )
    if failed:
        return failed
    fields = onboarding.plan.fields[step]
    if not fields:
        # Stripe has everything this step asks: a page with nothing to fill in, or the next step.
        if request.method == "POST":
            return redirect("accounts:custom-onboarding")
        return _render_step(request, onboarding=onboarding, step=step, form=None)
    form_class = STEP_FORMS[step]
    if request.method == "POST":
        form = form_class(request.POST, fields=fields)
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "submission"}
            try:
                onboarding = custom_onboarding_submit(
                    seller=request.user,
                    step=step,
                    values=values,
                    submission=str(form.cleaned_data["submission"]),
                    client_ip=request.META.get("REMOTE_ADDR", ""),
                    user_agent=request.headers.get("User-Agent", ""),
                )
            except StripeFieldRejected as rejected:
                field = requirements.param_field(rejected.param)
                form.add_error(field if field in form.fields else None, rejected.user_message)
            except (StripeConnectRefused, StripeGatewayError) as failure:
                form.add_error(None, failure.user_message)
            else:
                return _after_step(request, onboarding=onboarding, step=step)
        form = _fresh_submission(form)
    else:
        form = _step_form(onboarding, step)
    return _render_step(request, onboarding=onboarding, step=step, form=form)


def _after_step(request, *, onboarding: CustomOnboarding, step: str) -> HttpResponse:
    next_step = onboarding.plan.next_step
    url = (
        reverse("accounts:custom-onboarding-step", kwargs={"step": next_step})
        if next_step
        else reverse("accounts:custom-onboarding")
    )
    if not request.htmx:
        return redirect(url)
    if next_step is None:
        return HttpResponseClientRedirect(url)
    form = _step_form(onboarding, next_step)
    response = _render_step(request, onboarding=onboarding, step=next_step, form=form)
    response["HX-Push-Url"] = url
    return response


def _step_form(onboarding: CustomOnboarding, step: str):
    """A step's form with what Stripe has prefilled and Stripe's errors on their fields."""
    form = STEP_FORMS[step](
        initial={**_initial(onboarding), "submission": uuid.uuid4()},
        fields=onboarding.plan.fields[step],
    )
    form.add_stripe_errors(onboarding.plan.errors)
    return form


def _fresh_submission(form):
    """A form shown again after an error gets a new token: the corrected submit is a new
    request at Stripe. (Sensitive fields render empty; see forms._NeverEchoed.)"""
    data = form.data.copy()
    data["submission"] = str(uuid.uuid4())
    form.data = data
    return form


def _render_step(request, *, onboarding: CustomOnboarding, step: str, form) -> HttpResponse:
    context = {
        **_custom_context(onboarding),
        "step": next(item for item in requirements.STEPS if item.slug == step),
        "form": form,
    }
    template = "accounts/custom_onboarding_step.html"
    if request.htmx and not request.htmx.boosted:
        template += "#onboarding-step"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _custom_context(onboarding: CustomOnboarding) -> dict:
    details = onboarding.details
    return {
        "onboarding": onboarding,
        "stripe_account": onboarding.stripe_account,
        "bank_account": onboarding.payout_bank_account,
        "industry": requirements.industry_label(details.mcc),
        "agreement_url": requirements.CONNECTED_ACCOUNT_AGREEMENT_URL,
        "steps": onboarding.plan.steps,
    }


def _initial(onboarding: CustomOnboarding) -> dict:
    """What Stripe already has and may be shown again (never the sensitive values)."""
    details = onboarding.details
    return {
        "business_type": details.business_type,
        "first_name": details.first_name,
        "last_name": details.last_name,
        "email": details.email or onboarding.stripe_account.seller.email,
        "phone": details.phone,
        "address_line1": details.address.get("line1", ""),
        "address_line2": details.address.get("line2", ""),
        "address_city": details.address.get("city", ""),
        "address_state": details.address.get("state", ""),
        "address_postal_code": details.address.get("postal_code", ""),
        "mcc": details.mcc,
        "url": details.url,
        "product_description": details.product_description,
        "account_holder_name": onboarding.stripe_account.seller.full_name,
    }


@login_required
@sellers_only
@require_http_methods(["GET", "POST"])
def custom_bank_account(request):
    """Change the bank account payouts go to."""
    onboarding, failed = _custom_onboarding_or_account_page(
        request, lambda: custom_onboarding_read(seller=request.user)
    )
    if failed:
        return failed
    if request.method == "POST":
        form = BankAccountForm(request.POST)
        if form.is_valid():
            try:
                onboarding = custom_bank_account_replace(
                    seller=request.user,
                    values=form.cleaned_data,
                    submission=str(form.cleaned_data["submission"]),
                )
            except StripeFieldRejected as rejected:
                field = requirements.param_field(rejected.param)
                form.add_error(field if field in form.fields else None, rejected.user_message)
            except (StripeConnectRefused, StripeGatewayError) as failure:
                form.add_error(None, failure.user_message)
            else:
                bank = onboarding.payout_bank_account
                messages.success(
                    request,
                    f"Payouts now go to the bank account ending {bank.last4}."
                    if bank
                    else "Your bank account was changed.",
                )
                return redirect("accounts:custom-onboarding")
        form = _fresh_submission(form)
    else:
        form = BankAccountForm(
            initial={
                "account_holder_name": request.user.full_name,
                "submission": uuid.uuid4(),
            }
        )
    return render(
        request,
        "accounts/custom_bank_account.html",
        {**_custom_context(onboarding), "form": form},
    )
