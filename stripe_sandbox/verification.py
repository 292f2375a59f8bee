"""Custom accounts: what Stripe still needs, and the verification outcome of what it was given.

For accounts whose platform collects requirements (`controller.requirement_collection` =
`application`, i.e. Custom), the requirements are recomputed from the account's data after each
change, so they shrink as fields arrive, and `charges_enabled` / `payouts_enabled` follow them.
Verification is decided at once with Stripe's documented test values
(https://docs.stripe.com/connect/testing):

- date of birth 1901-01-01 verifies, 1902-01-01 fails;
- ID number 000000000 verifies, 111111111 fails;
- address line 1 `address_full_match` verifies, `address_no_match` fails;
- any other value verifies (the sandbox has no document review);
- bank accounts: routing number 110000000 with account 000123456789; 000111111116 is accepted,
  then its first payout fails (`no_account`), so Stripe asks for another bank account.

Full ID numbers and bank account numbers are never kept, as at Stripe: the account shows
`id_number_provided` and a bank account's `last4`; their outcome is kept in `internal`.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from stripe_sandbox import store
from stripe_sandbox.errors import InvalidRequestError
from stripe_sandbox.models import SandboxObject

DOB_VERIFIES = (1, 1, 1901)
DOB_FAILS = (1, 1, 1902)
ID_NUMBER_VERIFIES = "000000000"
ID_NUMBER_FAILS = "111111111"
ADDRESS_VERIFIES = "address_full_match"
ADDRESS_FAILS = "address_no_match"

US_TEST_ROUTING_NUMBER = "110000000"
# Stripe's test bank account numbers and what their payouts do.
TEST_ACCOUNT_NUMBERS = {
    "000123456789": None,
    "000111111116": "no_account",
    "000111111113": "account_closed",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
    "000444444440": "invalid_currency",
}
PAYOUT_FAILURE_REASONS = {
    "no_account": "the bank account does not exist",
    "account_closed": "the bank account is closed",
    "insufficient_funds": "the bank account could not be debited",
    "debit_not_authorized": "the bank did not authorise debits",
    "invalid_currency": "the bank account cannot take this currency",
}

INDIVIDUAL_FIELDS = [
    "individual.address.city",
    "individual.address.line1",
    "individual.address.postal_code",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "individual.phone",
]
US_INDIVIDUAL_FIELDS = ["individual.address.state", "individual.id_number"]
# A company needs its representative and owners (persons); the in-app form of the marketplace
# does not collect them, so they are completed on the hosted onboarding page.
COMPANY_FIELDS = [
    "company.address.city",
    "company.address.line1",
    "company.address.postal_code",
    "company.name",
    "company.phone",
    "company.tax_id",
    "representative.dob.day",
    "representative.dob.month",
    "representative.dob.year",
    "representative.first_name",
    "representative.last_name",
]

_ERRORS = {
    "individual.dob.day": (
        "verification_failed_keyed_identity",
        "The identity information you entered cannot be verified. Please correct any errors or "
        "upload a document that matches the identity fields (e.g., name and date of birth) that "
        "you entered.",
    ),
    "individual.id_number": (
        "verification_failed_id_number_match",
        "The ID number provided cannot be verified. Please correct any errors in the ID number "
        "field or upload a document that matches the ID number provided.",
    ),
    "individual.address.line1": (
        "verification_failed_address_match",
        "The address on the account could not be verified. Please correct any errors in the "
        "address field or upload a document that matches the address provided.",
    ),
}


def collects_requirements_itself(data: dict[str, Any]) -> bool:
    return (data.get("controller") or {}).get("requirement_collection") == "application"


def empty_person(account_id: str) -> dict[str, Any]:
    return {
        "id": store.new_id("person"),
        "object": "person",
        "account": account_id,
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "created": store.now(),
        "dob": {"day": None, "month": None, "year": None},
        "email": None,
        "first_name": None,
        "id_number_provided": False,
        "last_name": None,
        "metadata": {},
        "phone": None,
        "relationship": {
            "director": False,
            "executive": False,
            "owner": False,
            "percent_ownership": None,
            "representative": True,
            "title": None,
        },
        "ssn_last_4_provided": False,
        "verification": {
            "additional_document": None,
            "details": None,
            "details_code": None,
            "document": {"back": None, "details": None, "details_code": None, "front": None},
            "status": "unverified",
        },
    }


def individual_merge(obj: SandboxObject, changes: dict[str, Any]) -> dict[str, Any]:
    """The account's `individual` after an update; sensitive numbers are judged, not kept."""
    person = copy.deepcopy(obj.data.get("individual") or empty_person(obj.id))
    changes = dict(changes)
    outcomes = obj.internal.setdefault("outcomes", {})
    id_number = changes.pop("id_number", None)
    if id_number:
        if not id_number.isdigit() or len(id_number) != 9:
            raise InvalidRequestError(
                "The ID number must be 9 digits.",
                code="invalid_value_other",
                param="individual[id_number]",
            )
        person["id_number_provided"] = True
        outcomes["individual.id_number"] = "failed" if id_number == ID_NUMBER_FAILS else "verified"
    ssn_last_4 = changes.pop("ssn_last_4", None)
    if ssn_last_4:
        if not ssn_last_4.isdigit() or len(ssn_last_4) != 4:
            raise InvalidRequestError(
                "The last 4 digits of the SSN must be 4 digits.",
                code="invalid_value_other",
                param="individual[ssn_last_4]",
            )
        person["ssn_last_4_provided"] = True
    dob = changes.get("dob")
    if isinstance(dob, dict):
        _check_dob(dob)
    merged = store.merge_update(person, changes)
    if merged.get("dob") is None:
        merged["dob"] = {"day": None, "month": None, "year": None}
    return merged


def _check_dob(dob: dict[str, Any]) -> None:
    try:
        date(int(dob.get("year")), int(dob.get("month")), int(dob.get("day")))
    except (TypeError, ValueError):
        raise InvalidRequestError(
            "The date of birth is not a valid date.",
            code="invalid_value_other",
            param="individual[dob][day]",
        ) from None
    if int(dob["year"]) < 1900:
        raise InvalidRequestError(
            "Date of birth must be within the last 120 years.",
            code="invalid_dob_age_over_maximum",
            param="individual[dob][year]",
        )


def bank_account_from(
    obj: SandboxObject, external_account: Any, *, param: str = "external_account"
) -> tuple[dict[str, Any], str | None]:
    """A bank account object for the account from the request's hash, and how payouts to it
    will go (None = they succeed). Only Stripe's test numbers are accepted, as in test mode."""
    if isinstance(external_account, str):
        raise InvalidRequestError(
            f"No such token: '{external_account}'", code="resource_missing", param=param
        )
    if external_account.get("object") != "bank_account":
        raise InvalidRequestError(
            "The sandbox only takes bank accounts as external accounts.", param=param
        )
    country = external_account["country"].upper()
    if country != (obj.data.get("country") or "US"):
        raise InvalidRequestError(
            "The bank account must be in the same country as the account.",
            code="invalid_value_other",
            param=f"{param}[country]",
        )
    currency = (external_account.get("currency") or obj.data.get("default_currency")).lower()
    routing_number = external_account.get("routing_number") or ""
    account_number = external_account["account_number"]
    if country == "US":
        if not (routing_number.isdigit() and len(routing_number) == 9):
            raise InvalidRequestError(
                "Routing number must have 9 digits.",
                code="routing_number_invalid",
                param=f"{param}[routing_number]",
            )
        if routing_number != US_TEST_ROUTING_NUMBER:
            raise InvalidRequestError(
                "You must use a test bank account in test mode. Try routing number "
                f"{US_TEST_ROUTING_NUMBER} or see more options at "
                "https://docs.stripe.com/connect/testing.",
                code="routing_number_invalid",
                param=f"{param}[routing_number]",
            )
    if account_number not in TEST_ACCOUNT_NUMBERS:
        raise InvalidRequestError(
            "You must use a test bank account number in test mode. Try 000123456789 or see more "
            "options at https://docs.stripe.com/connect/testing.",
            code="account_number_invalid",
            param=f"{param}[account_number]",
        )
    bank_account = {
        "id": store.new_id("ba"),
        "object": "bank_account",
        "account": obj.id,
        "account_holder_name": external_account.get("account_holder_name"),
        "account_holder_type": external_account.get("account_holder_type"),
        "account_type": None,
        "available_payout_methods": ["standard"],
        "bank_name": "STRIPE TEST BANK",
        "country": country,
        "currency": currency,
        "default_for_currency": False,
        "fingerprint": store.new_id("fp", length=16)[3:],
        "last4": account_number[-4:],
        "metadata": {},
        "routing_number": routing_number or None,
        "status": "new",
    }
    return bank_account, TEST_ACCOUNT_NUMBERS[account_number]


def bank_accounts_attach(
    obj: SandboxObject, bank_account: dict[str, Any], payout_failure: str | None, *, default: bool
) -> dict[str, Any]:
    """Add `bank_account` to the account's list; `default` makes it the default for its
    currency. A number whose payouts fail is marked `errored` as its first payout fails."""
    listing = copy.deepcopy(obj.data.get("external_accounts") or {})
    accounts = listing.get("data") or []
    same_currency = [item for item in accounts if item["currency"] == bank_account["currency"]]
    if default or not same_currency:
        for item in accounts:
            if item["currency"] == bank_account["currency"]:
                item["default_for_currency"] = False
        bank_account["default_for_currency"] = True
    if payout_failure:
        bank_account["status"] = "errored"
        obj.internal.setdefault("payout_failures", {})[bank_account["id"]] = payout_failure
    listing["data"] = [bank_account, *accounts]
    listing["object"] = "list"
    listing["has_more"] = False
    listing["url"] = f"/v1/accounts/{obj.id}/external_accounts"
    return listing


def requirements_state(data: dict[str, Any], internal: dict[str, Any]) -> dict[str, Any]:
    """The account fields Stripe derives from what it has: requirements, verification status,
    charges/payouts enabled and details submitted. `data` is the account after the change."""
    missing = [] if internal.get("hosted_onboarding_complete") else _missing_fields(data)
    errors = _verification_errors(data, internal)
    failed = [error["requirement"] for error in errors]
    requested = [
        field
        for field in internal.get("requested", [])
        if field not in failed and _still_requested(data, internal, field)
    ]
    past_due = _sorted_unique([*missing, *failed])
    currently_due = _sorted_unique([*past_due, *requested])
    alternatives = []
    if "business_profile.url" in past_due:
        alternatives.append(
            {
                "alternative_fields_due": ["business_profile.product_description"],
                "original_fields_due": ["business_profile.url"],
            }
        )
    requirements = {
        "alternatives": alternatives,
        "current_deadline": internal.get("deadline") if requested else None,
        "currently_due": currently_due,
        "disabled_reason": "requirements.past_due" if past_due else None,
        "errors": errors,
        "eventually_due": list(currently_due),
        "past_due": past_due,
        "pending_verification": [],
    }
    bank_ok = any(
        item.get("status") != "errored"
        for item in (data.get("external_accounts") or {}).get("data") or []
    )
    charges_enabled = not past_due
    changes: dict[str, Any] = {
        "requirements": requirements,
        "charges_enabled": charges_enabled,
        "payouts_enabled": charges_enabled and bank_ok,
        "capabilities": {
            name: "active" if charges_enabled else "inactive"
            for name in (data.get("capabilities") or {})
        },
    }
    details = not (set(missing) - {"external_account"}) and bool(
        (data.get("tos_acceptance") or {}).get("date")
    )
    changes["details_submitted"] = bool(data.get("details_submitted")) or details
    individual = data.get("individual")
    if individual is not None:
        individual = copy.deepcopy(individual)
        identity_fields = [f for f in INDIVIDUAL_FIELDS if f.startswith("individual.")]
        provided = not any(field in missing for field in identity_fields)
        individual["verification"]["status"] = (
            "unverified" if failed or not provided else "verified"
        )
        changes["individual"] = individual
    return changes


def _missing_fields(data: dict[str, Any]) -> list[str]:
    missing = []
    business_type = data.get("business_type")
    if not business_type:
        missing.append("business_type")
    profile = data.get("business_profile") or {}
    if not profile.get("mcc"):
        missing.append("business_profile.mcc")
    if not (profile.get("url") or profile.get("product_description")):
        missing.append("business_profile.url")
    if business_type == "individual":
        person = data.get("individual") or {}
        fields = INDIVIDUAL_FIELDS + (US_INDIVIDUAL_FIELDS if data.get("country") == "US" else [])
        missing.extend(field for field in fields if not _person_has(person, field))
    elif business_type:
        company = data.get("company") or {}
        missing.extend(
            field
            for field in COMPANY_FIELDS
            if field.startswith("representative.") or not _lookup(company, field.split(".")[1:])
        )
    bank_accounts = (data.get("external_accounts") or {}).get("data") or []
    if not any(item.get("status") != "errored" for item in bank_accounts):
        missing.append("external_account")
    tos = data.get("tos_acceptance") or {}
    if not tos.get("date"):
        missing.append("tos_acceptance.date")
    if not tos.get("ip"):
        missing.append("tos_acceptance.ip")
    return missing


def _person_has(person: dict[str, Any], field: str) -> bool:
    path = field.split(".")[1:]
    if path == ["id_number"]:
        return bool(person.get("id_number_provided"))
    return bool(_lookup(person, path))


def _lookup(data: dict[str, Any], path: list[str]) -> Any:
    value: Any = data
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _still_requested(data: dict[str, Any], internal: dict[str, Any], field: str) -> bool:
    """A field asked for later stays due until a value arrives after the request."""
    return field not in internal.get("provided_since_request", [])


def _verification_errors(data: dict[str, Any], internal: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    failed: list[str] = []
    person = data.get("individual") or {}
    if data.get("business_type") == "individual" and person:
        dob = person.get("dob") or {}
        if (dob.get("day"), dob.get("month"), dob.get("year")) == DOB_FAILS:
            failed.append("individual.dob.day")
        if internal.get("outcomes", {}).get("individual.id_number") == "failed":
            failed.append("individual.id_number")
        if (person.get("address") or {}).get("line1") == ADDRESS_FAILS:
            failed.append("individual.address.line1")
    for requirement in failed:
        code, reason = _ERRORS[requirement]
        errors.append({"code": code, "reason": reason, "requirement": requirement})
    for bank_id, failure in (internal.get("payout_failures") or {}).items():
        if any(item["id"] == bank_id for item in _bank_accounts(data)) and not any(
            item.get("status") != "errored" for item in _bank_accounts(data)
        ):
            errors.append(
                {
                    "code": "invalid_value_other",
                    "reason": "A payout to this bank account failed: "
                    f"{PAYOUT_FAILURE_REASONS[failure]}. Please add a different bank account.",
                    "requirement": "external_account",
                }
            )
            break
    return errors


def _bank_accounts(data: dict[str, Any]) -> list[dict[str, Any]]:
    return (data.get("external_accounts") or {}).get("data") or []


def _sorted_unique(items: list[str]) -> list[str]:
    return sorted(set(items))
