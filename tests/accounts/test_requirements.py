"""Stripe's requirement names in words and grouped into the in-app form's steps."""

import re

from accounts.requirements import (
    KNOWN,
    onboarding_plan,
    param_field,
    requirement_label,
    requirements_in_words,
)

RAW_NAME = re.compile(r"[a-z]+(\.|_)[a-z_]+")


def test_every_label_is_in_words():
    paths = [*KNOWN, "company.tax_id", "representative.dob.day", "person_1AB.first_name", "x.y"]
    for path in paths:
        label = requirement_label(path)
        assert not RAW_NAME.search(label), f"{path} -> {label!r}"


def test_the_three_parts_of_a_date_of_birth_are_one_item():
    paths = [
        "individual.dob.day",
        "individual.dob.month",
        "individual.dob.year",
        "external_account",
    ]

    assert requirements_in_words(paths) == ["Date of birth", "Bank account for payouts"]


def test_the_plan_asks_only_for_what_is_due_in_step_order():
    plan = onboarding_plan(due=["tos_acceptance.date", "individual.id_number", "business_type"])

    assert plan.next_step == "business-type"
    assert plan.fields["person"] == {"id_number"}
    assert plan.fields["business"] == frozenset()
    assert [item.step.slug for item in plan.steps if item.due] == [
        "business-type",
        "person",
        "terms",
    ]


def test_an_alternative_adds_its_field():
    plan = onboarding_plan(
        due=["business_profile.url"],
        alternatives={"business_profile.url": ("business_profile.product_description",)},
    )

    assert plan.fields["business"] == {"url", "product_description"}


def test_an_error_lands_on_its_field_in_words():
    plan = onboarding_plan(
        due=[],
        errors=[("individual.dob.day", "verification_failed_keyed_identity", "raw reason")],
    )

    assert plan.next_step == "person"
    assert plan.errors == {
        "dob": (
            "Stripe could not verify your identity with these details. Check your name and "
            "date of birth.",
        )
    }


def test_a_requirement_the_form_cannot_collect_is_listed_elsewhere():
    plan = onboarding_plan(due=["individual.verification.document", "company.tax_id"])

    assert plan.next_step is None
    assert plan.elsewhere == (
        "A photo of an identity document (passport, ID card)",
        "The company's tax ID",
    )


def test_a_refused_parameter_names_its_form_field():
    assert param_field("individual[dob][day]") == "dob"
    assert param_field("external_account[routing_number]") == "routing_number"
    assert param_field("individual[address][line1]") == "address_line1"
    assert param_field("settings[payouts]") is None
