import zoneinfo

from django import forms
from django.forms.utils import ErrorDict

from accounts.requirements import INDUSTRIES


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user) -> None:
        # allauth calls this hook; the name is set by the service so the rule lives in one place.
        from accounts.services import user_update_profile

        user_update_profile(user=user, full_name=self.cleaned_data["full_name"])


# Offered first, so most people never scroll the ~600 names; the rest follow grouped by region.
COMMON_TIME_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)
TIME_ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def _time_zone_label(name: str) -> str:
    return name.replace("_", " ").replace("/", " / ")


def _time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in TIME_ZONE_REGIONS}
    other: list[tuple[str, str]] = []
    for name in sorted(zoneinfo.available_timezones()):
        if name in COMMON_TIME_ZONES:
            continue
        region = name.split("/", 1)[0]
        groups.get(region, other).append((name, _time_zone_label(name)))
    return [
        ("Common", [(name, _time_zone_label(name)) for name in COMMON_TIME_ZONES]),
        *((region, zones) for region, zones in groups.items() if zones),
        ("Other", other),
    ]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150, required=False)
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_time_zone_choices,
        help_text="Dates and daily sales figures are shown in this time zone.",
    )


class ConnectAccountTypeForm(forms.Form):
    account_type = forms.ChoiceField(
        label="Account type",
        widget=forms.RadioSelect,
        choices=[
            ("express", "Express: Stripe hosts onboarding and gives you a simple dashboard"),
            (
                "custom",
                "Custom: you fill in your details here, on the marketplace; no Stripe dashboard",
            ),
        ],
        initial="express",
    )


# --- Custom accounts onboarded in-app ------------------------------------------------------------
# Each form holds only the fields Stripe currently needs (`fields` from the onboarding plan).
# Sensitive inputs never render a value back into the page, even after an error.


class _NeverEchoed:
    def format_value(self, value):
        return None


class SecretTextInput(_NeverEchoed, forms.TextInput):
    pass


class SecretDateInput(_NeverEchoed, forms.DateInput):
    input_type = "date"


def _digits(value: str) -> str:
    return "".join(character for character in value if character.isdigit())


class _StepForm(forms.Form):
    """A step form keeps the fields in `fields` only; a hidden `submission` token makes a
    double submit of the same page one request at Stripe (it becomes the idempotency key)."""

    submission = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, fields: frozenset[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in list(self.fields):
                if name != "submission" and name not in fields:
                    del self.fields[name]

    def add_stripe_errors(self, errors: dict[str, tuple[str, ...]]) -> None:
        """Show Stripe's requirement errors next to this form's fields (on an unbound form)."""
        for name, messages in errors.items():
            if name in self.fields:
                for message in messages:
                    self._errors = self._errors if self._errors is not None else ErrorDict()
                    self._errors.setdefault(name, self.error_class(renderer=self.renderer))
                    self._errors[name].append(message)


class BusinessTypeForm(_StepForm):
    business_type = forms.ChoiceField(
        label="You are selling as",
        widget=forms.RadioSelect,
        choices=[
            ("individual", "An individual or sole proprietor"),
            ("company", "A company (its details are completed on Stripe's secure form)"),
        ],
    )


class PersonForm(_StepForm):
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    dob = forms.DateField(
        label="Date of birth",
        widget=SecretDateInput(attrs={"autocomplete": "off"}),
        help_text="Sent to Stripe only; the marketplace does not keep it.",
    )
    email = forms.EmailField(label="Email address")
    phone = forms.CharField(
        label="Phone number",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="With the country code, e.g. +1 202 555 0123.",
    )
    address_line1 = forms.CharField(label="Street address", max_length=200)
    address_line2 = forms.CharField(
        label="Apartment, suite (optional)", max_length=200, required=False
    )
    address_city = forms.CharField(label="City", max_length=100)
    address_state = forms.CharField(label="State", max_length=100)
    address_postal_code = forms.CharField(label="ZIP or postal code", max_length=20)
    id_number = forms.CharField(
        label="Social Security number",
        widget=SecretTextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="9 digits. Sent to Stripe only, to verify your identity; never kept here.",
    )
    ssn_last_4 = forms.CharField(
        label="Last 4 digits of your Social Security number",
        widget=SecretTextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="Sent to Stripe only; never kept here.",
    )

    def clean_id_number(self) -> str:
        value = _digits(self.cleaned_data["id_number"])
        if len(value) != 9:
            raise forms.ValidationError("A Social Security number has 9 digits.")
        return value

    def clean_ssn_last_4(self) -> str:
        value = _digits(self.cleaned_data["ssn_last_4"])
        if len(value) != 4:
            raise forms.ValidationError("Enter the last 4 digits.")
        return value


class BusinessProfileForm(_StepForm):
    mcc = forms.ChoiceField(label="Industry", choices=[("", "Choose…")], required=True)
    url = forms.URLField(
        label="Website",
        required=False,
        assume_scheme="https",
        help_text="Where buyers can learn about you. No website? Describe what you sell instead.",
    )
    product_description = forms.CharField(
        label="What you sell",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "mcc" in self.fields:
            self.fields["mcc"].choices = [("", "Choose…"), *INDUSTRIES]

    def clean(self):
        cleaned = super().clean()
        if "url" in self.fields and "product_description" in self.fields:
            if not cleaned.get("url") and not cleaned.get("product_description"):
                raise forms.ValidationError(
                    "Give your website, or describe what you sell if you have none."
                )
        return cleaned


class BankAccountForm(_StepForm):
    account_holder_name = forms.CharField(label="Account holder's name", max_length=100)
    routing_number = forms.CharField(
        label="Routing number",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="9 digits, printed at the bottom left of a check.",
    )
    account_number = forms.CharField(
        label="Account number",
        widget=SecretTextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="Sent to Stripe only; afterwards you see only its last 4 digits.",
    )

    def clean_routing_number(self) -> str:
        value = _digits(self.cleaned_data["routing_number"])
        if len(value) != 9:
            raise forms.ValidationError("A routing number has 9 digits.")
        return value

    def clean_account_number(self) -> str:
        value = _digits(self.cleaned_data["account_number"])
        if not 4 <= len(value) <= 17:
            raise forms.ValidationError("An account number has 4 to 17 digits.")
        return value


class TermsForm(_StepForm):
    accept = forms.BooleanField(
        label="I accept the Stripe Connected Account Agreement",
        error_messages={"required": "Accept the agreement to take payments."},
    )


STEP_FORMS = {
    "business-type": BusinessTypeForm,
    "person": PersonForm,
    "business": BusinessProfileForm,
    "bank": BankAccountForm,
    "terms": TermsForm,
}
