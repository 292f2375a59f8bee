import zoneinfo

from django import forms


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


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


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
            ("custom", "Custom: the marketplace manages the account for you, no Stripe dashboard"),
        ],
        initial="express",
    )
