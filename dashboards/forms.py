"""GET forms for the dashboards. Invalid values are ignored field by field, never an error page."""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from dashboards.periods import DEFAULT_PERIOD, PERIOD_LABELS, Period, period_resolve
from dashboards.selectors.common import (
    DEFAULT_SALE_SORT,
    SALE_KIND_MEMBERSHIP,
    SALE_KIND_ONE_OFF,
    SALE_SORTS,
    SALE_STATUS_CHOICES,
    SaleFilters,
)

SORT_CHOICES = [(key, key) for name in SALE_SORTS for key in (name, f"-{name}")]


# Dates outside these are typos or probes. Refusing them keeps period arithmetic (the day after
# the last, the period before the first) inside what `datetime.date` can represent.
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"


class DayField(forms.DateField):
    widget = DateInput
    default_validators = [MinValueValidator(EARLIEST_DAY), MaxValueValidator(LATEST_DAY)]

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "min": EARLIEST_DAY.isoformat(),
            "max": LATEST_DAY.isoformat(),
        }


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label="Period", choices=list(PERIOD_LABELS.items()), required=False)
    start = DayField(label="From", required=False)
    end = DayField(label="To", required=False)

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("period"):
            # So the menu shows the period the page is actually showing.
            data = data.copy()
            data["period"] = DEFAULT_PERIOD
        super().__init__(data, **kwargs)

    def period_for(self, *, zone: ZoneInfo, now: dt.datetime) -> Period:
        self.is_valid()
        data = self.cleaned_data
        key = data.get("period") or DEFAULT_PERIOD
        if key == "custom" and not (data.get("start") and data.get("end")):
            key = DEFAULT_PERIOD
        return period_resolve(
            key=key, zone=zone, now=now, first_day=data.get("start"), last_day=data.get("end")
        )


class PurchaseFilterForm(forms.Form):
    q = forms.CharField(label="Course title", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *SALE_STATUS_CHOICES], required=False
    )
    date_from = DayField(label="Paid from", required=False)
    date_to = DayField(label="Paid until", required=False)

    def filters(self, *, zone: ZoneInfo) -> SaleFilters:
        self.is_valid()
        data = self.cleaned_data
        return SaleFilters(
            zone=zone,
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            search=(data.get("q") or "").strip(),
        )


class SaleFilterForm(PurchaseFilterForm):
    q = forms.CharField(label="Buyer email starts with", required=False, max_length=100)
    course = forms.TypedChoiceField(label="Course", coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[
            ("", "All sales"),
            (SALE_KIND_ONE_OFF, "One-off"),
            (SALE_KIND_MEMBERSHIP, "Membership"),
        ],
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, widget=forms.HiddenInput)

    field_order = ["kind", "course", "status", "date_from", "date_to", "q"]

    def __init__(self, *args, courses: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", "All courses"), *courses]

    def filters(self, *, zone: ZoneInfo) -> SaleFilters:
        base = super().filters(zone=zone)
        data = self.cleaned_data
        return SaleFilters(
            zone=zone,
            course_id=data.get("course"),
            status=base.status,
            date_from=base.date_from,
            date_to=base.date_to,
            search=base.search,
            sort=data.get("sort") or DEFAULT_SALE_SORT,
            kind=data.get("kind") or "",
        )
