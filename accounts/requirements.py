"""Stripe's requirement names in plain words, and which step of the in-app form collects each.

Stripe describes what a connected account still needs as dotted paths (`individual.dob.day`,
`business_profile.mcc`, `external_account`, `tos_acceptance.date`, ...) in
`requirements.currently_due` / `eventually_due` / `past_due` and `future_requirements`
(https://docs.stripe.com/connect/required-verification-information). This module is the one place
that turns them into labels a seller understands and into the form fields that answer them; a
path it does not know is still described in words and left to Stripe's hosted form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CONNECTED_ACCOUNT_AGREEMENT_URL = "https://stripe.com/connect-account/legal"
CONNECTED_ACCOUNT_AGREEMENT_NAME = "Stripe Connected Account Agreement"


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    intro: str


STEPS = (
    Step("business-type", "Type of business", "Are you selling as a person or as a company?"),
    Step("person", "About you", "Stripe must verify who is paid, as banks require."),
    Step("business", "Your business", "What you sell and where buyers can learn more."),
    Step("bank", "Bank account for payouts", "Where your earnings are paid out."),
    Step("terms", "Stripe's agreement", "Stripe processes the payments under its terms."),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)


@dataclass(frozen=True)
class _Known:
    label: str
    step: str
    fields: tuple[str, ...]


_HOME_ADDRESS = "Home address"
_DOB = "Date of birth"
_TERMS = f"Acceptance of the {CONNECTED_ACCOUNT_AGREEMENT_NAME}"

KNOWN: dict[str, _Known] = {
    "business_type": _Known("Type of business", "business-type", ("business_type",)),
    "individual.first_name": _Known("First name", "person", ("first_name",)),
    "individual.last_name": _Known("Last name", "person", ("last_name",)),
    "individual.dob.day": _Known(_DOB, "person", ("dob",)),
    "individual.dob.month": _Known(_DOB, "person", ("dob",)),
    "individual.dob.year": _Known(_DOB, "person", ("dob",)),
    "individual.email": _Known("Email address", "person", ("email",)),
    "individual.phone": _Known("Phone number", "person", ("phone",)),
    "individual.address.line1": _Known(_HOME_ADDRESS, "person", ("address_line1",)),
    "individual.address.line2": _Known(_HOME_ADDRESS, "person", ("address_line2",)),
    "individual.address.city": _Known(_HOME_ADDRESS, "person", ("address_city",)),
    "individual.address.state": _Known(_HOME_ADDRESS, "person", ("address_state",)),
    "individual.address.postal_code": _Known(_HOME_ADDRESS, "person", ("address_postal_code",)),
    "individual.id_number": _Known(
        "ID number (Social Security number in the US)", "person", ("id_number",)
    ),
    "individual.ssn_last_4": _Known(
        "Last 4 digits of your Social Security number", "person", ("ssn_last_4",)
    ),
    "business_profile.mcc": _Known("Industry", "business", ("mcc",)),
    "business_profile.url": _Known(
        "Website or a description of what you sell", "business", ("url", "product_description")
    ),
    "business_profile.product_description": _Known(
        "Description of what you sell", "business", ("product_description",)
    ),
    "external_account": _Known(
        "Bank account for payouts",
        "bank",
        ("account_holder_name", "routing_number", "account_number"),
    ),
    "tos_acceptance.date": _Known(_TERMS, "terms", ("accept",)),
    "tos_acceptance.ip": _Known(_TERMS, "terms", ("accept",)),
    "tos_acceptance.user_agent": _Known(_TERMS, "terms", ("accept",)),
}

# Paths the in-app form does not collect, described by their beginning (longest match first).
_ELSEWHERE = (
    ("individual.verification.additional_document", "An additional document proving your address"),
    ("individual.verification.document", "A photo of an identity document (passport, ID card)"),
    ("individual.", "More details about you"),
    ("company.tax_id", "The company's tax ID"),
    ("company.verification.document", "A document proving the company is registered"),
    ("company.", "Company details (name, address, phone)"),
    ("representative.", "The company representative's details"),
    ("owners", "The company's owners"),
    ("directors", "The company's directors"),
    ("executives", "The company's executives"),
    ("person_", "Details of a person in the company"),
    ("business_profile.", "Business details"),
    ("settings.", "Account settings"),
    ("documents.", "Documents about your business"),
)
_OTHER = "Other information Stripe asks for"

# Requirement errors Stripe reports, in words (reason text from Stripe is the fallback).
ERROR_MESSAGES = {
    "verification_failed_keyed_identity": (
        "Stripe could not verify your identity with these details. Check your name and date "
        "of birth."
    ),
    "verification_failed_id_number_match": (
        "Stripe could not match this ID number to your name and date of birth. Check it and "
        "enter it again."
    ),
    "verification_failed_address_match": (
        "Stripe could not verify this address. Check it and enter it again."
    ),
    "verification_failed_name_match": "Stripe could not verify this name. Check its spelling.",
    "invalid_dob_age_under_minimum": "You must be at least 13 years old.",
    "invalid_dob_age_over_maximum": "The date of birth must be within the last 120 years.",
    "routing_number_invalid": "This routing number is not valid. It has 9 digits.",
    "account_number_invalid": "This bank account number was not accepted. Check it.",
    "invalid_url_format": "Enter a web address such as https://example.com.",
    "invalid_url_website_inaccessible": "This website could not be reached.",
    "invalid_phone_number": "Enter a phone number with its country code, e.g. +1 202 555 0123.",
}

# A refused request parameter (Stripe's `param`) -> the form field it concerns.
_PARAM_FIELDS = {
    "individual.dob": "dob",
    "individual.first_name": "first_name",
    "individual.last_name": "last_name",
    "individual.email": "email",
    "individual.phone": "phone",
    "individual.id_number": "id_number",
    "individual.ssn_last_4": "ssn_last_4",
    "individual.address.line1": "address_line1",
    "individual.address.line2": "address_line2",
    "individual.address.city": "address_city",
    "individual.address.state": "address_state",
    "individual.address.postal_code": "address_postal_code",
    "business_profile.mcc": "mcc",
    "business_profile.url": "url",
    "business_profile.product_description": "product_description",
    "external_account.routing_number": "routing_number",
    "external_account.account_number": "account_number",
    "external_account.account_holder_name": "account_holder_name",
    "external_account": "account_number",
    "business_type": "business_type",
}

# Readable industries and the merchant category code (MCC) Stripe receives for each.
INDUSTRIES = (
    ("8299", "Education: online courses and teaching"),
    ("5815", "Digital media: e-books, videos, music"),
    ("5817", "Software and apps sold as downloads"),
    ("7372", "Software development and IT services"),
    ("8999", "Professional services: coaching, consulting"),
    ("7299", "Other personal services"),
)


def requirement_label(path: str) -> str:
    """A requirement path in words, e.g. `individual.dob.day` -> "Date of birth"."""
    if path in KNOWN:
        return KNOWN[path].label
    for prefix, label in _ELSEWHERE:
        if path.startswith(prefix):
            return label
    return _OTHER


def requirements_in_words(paths: Iterable[str]) -> list[str]:
    """Each label once, in the order first needed (the date of birth's three parts are one)."""
    labels: list[str] = []
    for path in paths:
        label = requirement_label(path)
        if label not in labels:
            labels.append(label)
    return labels


def step_of(path: str) -> str | None:
    """The in-app step that collects `path`, or None when only Stripe's hosted form can."""
    known = KNOWN.get(path)
    return known.step if known else None


def fields_of(path: str) -> tuple[str, ...]:
    known = KNOWN.get(path)
    return known.fields if known else ()


def handled_in_app(path: str) -> bool:
    return path in KNOWN


def param_field(param: str) -> str | None:
    """The form field a refused parameter concerns: `individual[dob][day]` -> "dob"."""
    path = ".".join(re.findall(r"[^\[\]]+", param))
    while path:
        if path in _PARAM_FIELDS:
            return _PARAM_FIELDS[path]
        path = path.rpartition(".")[0]
    return None


def error_in_words(*, code: str, reason: str = "") -> str:
    return ERROR_MESSAGES.get(code) or reason or "Stripe could not accept this. Check it."


def industry_label(mcc: str) -> str:
    return dict(INDUSTRIES).get(mcc, "")


@dataclass(frozen=True)
class StepProgress:
    step: Step
    due: bool  # Stripe still needs something this step collects


@dataclass(frozen=True)
class OnboardingPlan:
    """What the in-app form asks next, derived from Stripe's requirements only."""

    steps: tuple[StepProgress, ...]
    # Form fields to show per step: only those answering a requirement that is due.
    fields: dict[str, frozenset[str]]
    # Form field -> messages from Stripe's requirement errors, in words.
    errors: dict[str, tuple[str, ...]]
    # Requirements the in-app form cannot collect, in words (Stripe's hosted form can).
    elsewhere: tuple[str, ...]

    @property
    def next_step(self) -> str | None:
        return next((item.step.slug for item in self.steps if item.due), None)

    def is_due(self, slug: str) -> bool:
        return bool(self.fields.get(slug))

    @property
    def steps_done(self) -> int:
        return sum(1 for item in self.steps if not item.due)


def onboarding_plan(
    *,
    due: Iterable[str],
    errors: Iterable[tuple[str, str, str]] = (),
    alternatives: dict[str, tuple[str, ...]] | None = None,
) -> OnboardingPlan:
    """Group the due requirement paths into steps and fields.

    `errors` are (requirement, code, reason) from Stripe; `alternatives` maps a requirement to
    the fields that may answer it instead (a description instead of a website).
    """
    fields: dict[str, set[str]] = {slug: set() for slug in STEP_SLUGS}
    elsewhere: list[str] = []
    for path in due:
        slug = step_of(path)
        if slug is None:
            label = requirement_label(path)
            if label not in elsewhere:
                elsewhere.append(label)
            continue
        fields[slug].update(fields_of(path))
        for alternative in (alternatives or {}).get(path, ()):
            fields[step_of(alternative) or slug].update(fields_of(alternative))
    messages: dict[str, list[str]] = {}
    for requirement, code, reason in errors:
        names = fields_of(requirement)
        if not names:
            label = f"{requirement_label(requirement)}: {error_in_words(code=code, reason=reason)}"
            if label not in elsewhere:
                elsewhere.append(label)
            continue
        fields[step_of(requirement)].update(names)
        # A bank account's trouble is about its number; a person's about the first field asked.
        target = names[-1] if requirement == "external_account" else names[0]
        field_messages = messages.setdefault(target, [])
        message = error_in_words(code=code, reason=reason)
        if message not in field_messages:
            field_messages.append(message)
    return OnboardingPlan(
        steps=tuple(StepProgress(step=step, due=bool(fields[step.slug])) for step in STEPS),
        fields={slug: frozenset(names) for slug, names in fields.items()},
        errors={name: tuple(items) for name, items in messages.items()},
        elsewhere=tuple(elsewhere),
    )
