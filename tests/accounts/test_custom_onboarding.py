"""A Custom seller onboards on the marketplace's own pages, against the Stripe sandbox."""

import logging
import re
import uuid

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import StripeAccount
from accounts.services import custom_onboarding_submit, stripe_account_refresh
from accounts.stripe_connect import stripe_client
from stripe_sandbox import store
from stripe_sandbox.models import Event
from stripe_sandbox.resources.accounts import account_request_information
from stripe_sandbox.routers import SANDBOX_DATABASE
from tests.checkout.sandbox import deliver_webhooks

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

START_URL = reverse("accounts:custom-onboarding")
ID_NUMBER = "000000000"
FAILING_ID_NUMBER = "111111111"
DOB = "1901-01-01"
ACCOUNT_NUMBER = "000123456789"
PAYOUT_FAILING_ACCOUNT_NUMBER = "000111111116"
SENSITIVE = (ID_NUMBER, FAILING_ID_NUMBER, ACCOUNT_NUMBER, PAYOUT_FAILING_ACCOUNT_NUMBER, "1901")


def step_url(step: str) -> str:
    return reverse("accounts:custom-onboarding-step", kwargs={"step": step})


ANSWERS = {
    "business-type": {"business_type": "individual"},
    "person": {
        "first_name": "Jenny",
        "last_name": "Rosen",
        "dob": DOB,
        "email": "jenny@test.example",
        "phone": "+12025550123",
        "address_line1": "address_full_match",
        "address_city": "Schenectady",
        "address_state": "NY",
        "address_postal_code": "12345",
        "id_number": ID_NUMBER,
    },
    "business": {"mcc": "8299", "url": "https://jenny.example"},
    "bank": {
        "account_holder_name": "Jenny Rosen",
        "routing_number": "110000000",
        "account_number": ACCOUNT_NUMBER,
    },
    "terms": {"accept": "on"},
}


@pytest.fixture
def custom_seller(sandbox, client, seller):
    client.force_login(seller)
    response = client.post(reverse("accounts:connect-onboard"), {"account_type": "custom"})
    assert response.url == START_URL
    return seller


def submission_of(page: str) -> str:
    return re.search(r'name="submission" value="([^"]+)"', page).group(1)


def answer(client, step: str, overrides: dict | None = None, **headers):
    """Open a step like a browser and submit it; returns the POST's response."""
    page = client.get(step_url(step)).content.decode()
    data = {**ANSWERS[step], **(overrides or {}), "submission": submission_of(page)}
    return client.post(step_url(step), data, headers=headers)


def onboard(client, overrides: dict | None = None) -> list[str]:
    """Follow the form from the start, answering each step it asks for; the steps visited."""
    visited = []
    response = client.get(START_URL)
    while response.status_code == 302 and "/connect/custom/" in response.url:
        step = response.url.rstrip("/").rsplit("/", 1)[-1]
        if step == "custom" or step in visited:
            break  # done, or asked again (a verification failed)
        visited.append(step)
        response = answer(client, step, (overrides or {}).get(step))
        if response.status_code == 200:
            break  # the form came back with an error
    return visited


def test_a_custom_account_goes_from_nothing_to_charges_and_payouts_through_the_form(
    client, custom_seller
):
    pending = StripeAccount.objects.get(seller=custom_seller)
    assert pending.account_type == "custom"
    assert not pending.charges_enabled

    visited = onboard(client)

    assert visited == ["business-type", "person", "business", "bank", "terms"]
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    assert (stripe_account.charges_enabled, stripe_account.payouts_enabled) == (True, True)
    assert stripe_account.details_submitted and stripe_account.requirements_due == []
    summary = client.get(START_URL).content.decode()
    assert "You can take payments" in summary
    assert "account ending 6789" in summary
    account = stripe_client().v1.accounts.retrieve(stripe_account.stripe_account_id)
    assert account.tos_acceptance.ip == "127.0.0.1"
    assert account.business_profile.mcc == "8299"
    assert account.individual.id_number_provided is True


def test_a_step_answered_with_htmx_swaps_in_the_next_step_and_pushes_its_url(client, custom_seller):
    page = client.get(step_url("business-type")).content.decode()
    response = client.post(
        step_url("business-type"),
        {"business_type": "individual", "submission": submission_of(page)},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == step_url("person")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="onboarding-step"')
    assert "<html" not in fragment
    assert "Date of birth" in fragment and "Social Security number" in fragment


def test_the_full_page_and_the_fragment_of_a_step(client, custom_seller):
    full = client.get(step_url("business-type"))
    fragment = client.get(step_url("business-type"), headers={"HX-Request": "true"})

    assert "<html" in full.content.decode() and "<html" not in fragment.content.decode()
    assert "HX-Request" in full["Vary"]
    assert 'hx-post="' in full.content.decode()
    assert f'action="{step_url("business-type")}"' in full.content.decode()


def test_a_failing_id_number_shows_on_its_field_and_can_be_corrected(client, custom_seller):
    onboard(client, {"person": {"id_number": FAILING_ID_NUMBER}})
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    assert not stripe_account.charges_enabled

    response = client.get(START_URL)
    assert response.url == step_url("person")
    page = client.get(step_url("person")).content.decode()
    # Only the ID number is asked again, with Stripe's reason in words beside it.
    assert 'name="id_number"' in page
    assert 'name="first_name"' not in page and 'name="dob"' not in page
    field = page[page.index('for="id_id_number"') :]
    # The reason sits under the field, inside the field's own block.
    assert "could not match this ID number" in field[: field.index("</div>")]
    assert "verification_failed" not in page
    assert FAILING_ID_NUMBER not in page

    corrected = answer(client, "person", {"id_number": ID_NUMBER})

    assert corrected.url == step_url("business")
    assert onboard(client) == ["business", "bank", "terms"]
    stripe_account.refresh_from_db()
    assert stripe_account.charges_enabled and stripe_account.payouts_enabled


def test_a_refused_bank_number_is_shown_next_to_its_field_and_not_echoed(client, custom_seller):
    onboard(client, {"bank": {"routing_number": "021000021"}})
    page_before = client.get(step_url("bank")).content.decode()
    assert 'name="routing_number"' in page_before

    response = answer(client, "bank", {"routing_number": "021000021"})

    assert response.status_code == 200
    page = response.content.decode()
    routing = page[page.index('for="id_routing_number"') :]
    assert "test bank account" in routing[: routing.index('name="account_number"')]
    assert ACCOUNT_NUMBER not in page
    # A new token: the corrected submit is a new request at Stripe.
    assert submission_of(page) != submission_of(page_before)


def test_double_submitting_a_step_is_harmless(client, custom_seller):
    assert onboard(client, {"bank": {"account_number": "12"}})[-1] == "bank"  # a form error
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    page = client.get(step_url("bank")).content.decode()
    data = {**ANSWERS["bank"], "submission": submission_of(page)}

    first = client.post(step_url("bank"), data)
    second = client.post(step_url("bank"), data)

    assert first.status_code == second.status_code == 302
    account = stripe_client().v1.accounts.retrieve(stripe_account.stripe_account_id)
    assert len(account.external_accounts.data) == 1
    created = Event.objects.using(SANDBOX_DATABASE).filter(
        type="account.external_account.created", account=stripe_account.stripe_account_id
    )
    assert created.count() == 1


def test_the_same_submission_twice_is_one_update_at_stripe(client, custom_seller):
    """Two requests racing with one rendered form (both saw the step due) reach Stripe with
    one idempotency key, so Stripe applies the update once and replays its answer."""
    assert onboard(client, {"bank": {"account_number": "12"}})[-1] == "bank"
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    values = dict(ANSWERS["bank"])
    submission = str(uuid.uuid4())

    for _ in range(2):
        onboarding = custom_onboarding_submit(
            seller=custom_seller,
            step="bank",
            values=values,
            submission=submission,
            client_ip="127.0.0.1",
            user_agent="test",
        )

    assert onboarding.payout_bank_account.last4 == "6789"
    created = Event.objects.using(SANDBOX_DATABASE).filter(
        type="account.external_account.created", account=stripe_account.stripe_account_id
    )
    assert created.count() == 1


def _stored_text() -> str:
    """Every value of every row of every model in the app's database, sessions decoded."""
    chunks = []
    for model in apps.get_models():
        if model._meta.app_label == "stripe_sandbox":
            continue  # Stripe's side, in its own database
        for row in model.objects.all():
            for field in model._meta.concrete_fields:
                if field.primary_key or field.is_relation:
                    continue  # row ids are not data, and a growing id may read 1901
                chunks.append(str(field.value_from_object(row)))
            if isinstance(row, Session):
                chunks.append(str(row.get_decoded()))
    return "\n".join(chunks)


def test_nothing_sensitive_is_stored_logged_or_echoed(client, custom_seller, caplog):
    caplog.set_level(logging.DEBUG)
    onboard(client, {"person": {"id_number": FAILING_ID_NUMBER}})
    answer(client, "person", {"id_number": ID_NUMBER})
    onboard(client)
    pages = [
        client.get(url).content.decode()
        for url in (START_URL, reverse("accounts:account"), step_url("person"), step_url("bank"))
    ]
    deliver_webhooks()  # account.updated events land in the app's webhook table

    stored = _stored_text()
    assert "account.updated" in stored, "the webhook events were not stored"
    for value in SENSITIVE:
        # Whole numbers only: a year of birth inside a longer number (a timestamp) is not it.
        shown_as_itself = re.compile(rf"(?<!\d){value}(?!\d)")
        assert not shown_as_itself.search(stored), f"{value} is stored in the app's database"
        assert not shown_as_itself.search(caplog.text), f"{value} was logged"
        for page in pages:
            assert not shown_as_itself.search(page), f"{value} is shown on a page"


def test_a_later_requirement_emails_the_seller_once_and_asks_only_for_it(client, custom_seller):
    onboard(client)
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    deliver_webhooks()
    mail.outbox.clear()

    with transaction.atomic(using=SANDBOX_DATABASE):
        account_request_information(
            store.get_object("account", stripe_account.stripe_account_id),
            fields=["individual.id_number"],
        )
    deliver_webhooks()

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [custom_seller.email]
    assert "ID number (Social Security number in the US)" in email.body
    assert "individual." not in email.body
    assert START_URL in email.body
    # Reading the account again (another event, the card's polling) finds nothing new.
    stripe_account_refresh(stripe_account_id=stripe_account.stripe_account_id)
    stripe_account_refresh(stripe_account_id=stripe_account.stripe_account_id)
    assert len(mail.outbox) == 1

    account_page = client.get(reverse("accounts:account")).content.decode()
    assert "ID number (Social Security number in the US)" in account_page
    assert "individual.id_number" not in account_page
    assert client.get(START_URL).url == step_url("person")
    page = client.get(step_url("person")).content.decode()
    assert 'name="id_number"' in page and 'name="first_name"' not in page

    answer(client, "person", {"id_number": ID_NUMBER})
    stripe_account.refresh_from_db()
    assert stripe_account.requirements_due == []


def test_a_requirement_the_form_cannot_collect_is_described_with_a_link_to_stripe(
    client, custom_seller
):
    onboard(client)
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    with transaction.atomic(using=SANDBOX_DATABASE):
        account_request_information(
            store.get_object("account", stripe_account.stripe_account_id),
            fields=["individual.verification.document"],
        )

    page = client.get(START_URL).content.decode()

    assert "A photo of an identity document" in page
    assert reverse("accounts:connect-refresh") in page
    assert "individual.verification" not in page


def test_a_bank_account_whose_payouts_fail_is_asked_for_again(client, custom_seller):
    visited = onboard(client, {"bank": {"account_number": PAYOUT_FAILING_ACCOUNT_NUMBER}})

    assert visited == ["business-type", "person", "business", "bank"]
    page = client.get(step_url("bank")).content.decode()
    field = page[page.index('for="id_account_number"') :]
    assert "A payout to this bank account failed" in field[:1500]
    assert PAYOUT_FAILING_ACCOUNT_NUMBER not in page
    assert onboard(client) == ["bank", "terms"]
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    assert stripe_account.charges_enabled and stripe_account.payouts_enabled


def test_the_seller_changes_the_payout_bank_account(client, custom_seller):
    onboard(client)
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    old = stripe_client().v1.accounts.retrieve(stripe_account.stripe_account_id)

    page = client.get(reverse("accounts:custom-bank-account")).content.decode()
    assert "ending 6789" in page
    response = client.post(
        reverse("accounts:custom-bank-account"),
        {**ANSWERS["bank"], "submission": submission_of(page)},
        follow=True,
    )

    assert "Payouts now go to the bank account ending 6789." in [
        str(message) for message in response.context["messages"]
    ]
    account = stripe_client().v1.accounts.retrieve(stripe_account.stripe_account_id)
    banks = account.external_accounts.data
    assert len(banks) == 1 and banks[0].id != old.external_accounts.data[0].id
    assert banks[0].default_for_currency is True
    stripe_account.refresh_from_db()
    assert stripe_account.charges_enabled and stripe_account.payouts_enabled


def test_a_refused_new_bank_account_keeps_the_old_one(client, custom_seller):
    onboard(client)
    stripe_account = StripeAccount.objects.get(seller=custom_seller)
    page = client.get(reverse("accounts:custom-bank-account")).content.decode()

    response = client.post(
        reverse("accounts:custom-bank-account"),
        {**ANSWERS["bank"], "account_number": "987654321", "submission": submission_of(page)},
    )

    assert response.status_code == 200
    assert "You must use a test bank account number" in response.content.decode()
    assert "987654321" not in response.content.decode()
    account = stripe_client().v1.accounts.retrieve(stripe_account.stripe_account_id)
    assert len(account.external_accounts.data) == 1


def test_buyers_and_other_account_types_cannot_open_the_form(client, buyer, sandbox):
    client.force_login(buyer)
    assert client.get(START_URL).url == reverse("accounts:account")


def test_a_token_from_another_form_is_a_new_request(client, custom_seller):
    page = client.get(step_url("business-type")).content.decode()
    assert uuid.UUID(submission_of(page))
