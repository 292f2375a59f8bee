"""Reporting periods in a person's own time zone.

A period runs from local midnight of its first day to local midnight after its last day, so a
sale at 23:30 in Tokyo counts on the Tokyo day even though it is the previous day in UTC. Days are
counted in local dates, not in 24-hour steps, so a period that spans a DST change still starts and
ends at midnight.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90}
PERIOD_LABELS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
    "custom": "Custom range",
}
DEFAULT_PERIOD = "30d"


def zone_for(name: str) -> ZoneInfo:
    """The user's zone, or UTC when the stored name is not a zone this server knows."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


@dataclass(frozen=True)
class Period:
    key: str
    zone: ZoneInfo
    # Inclusive local dates; None for "all time".
    first_day: dt.date | None
    last_day: dt.date | None

    @property
    def label(self) -> str:
        if self.key == "custom":
            return f"{self.first_day:%d %b %Y} – {self.last_day:%d %b %Y}"
        return PERIOD_LABELS[self.key]

    @property
    def is_all_time(self) -> bool:
        return self.first_day is None

    @property
    def days(self) -> int | None:
        if self.first_day is None or self.last_day is None:
            return None
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> dt.datetime | None:
        return None if self.first_day is None else local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> dt.datetime | None:
        """Exclusive: local midnight after the last day."""
        if self.last_day is None:
            return None
        return local_midnight(self.last_day + dt.timedelta(days=1), self.zone)

    @property
    def previous(self) -> "Period | None":
        """The period of the same number of days just before this one; None for all time."""
        if self.first_day is None:
            return None
        days = dt.timedelta(days=self.days)
        return Period(
            key="custom",
            zone=self.zone,
            first_day=self.first_day - days,
            last_day=self.first_day - dt.timedelta(days=1),
        )


def period_resolve(
    *,
    key: str,
    zone: ZoneInfo,
    now: dt.datetime,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
) -> Period:
    """The period a person picked, with "today" taken in their zone."""
    today = now.astimezone(zone).date()
    if key == "all":
        return Period(key="all", zone=zone, first_day=None, last_day=None)
    if key == "custom" and first_day and last_day:
        first_day, last_day = sorted((first_day, last_day))
        return Period(key="custom", zone=zone, first_day=first_day, last_day=last_day)
    days = PERIOD_DAYS.get(key) or PERIOD_DAYS[DEFAULT_PERIOD]
    key = key if key in PERIOD_DAYS else DEFAULT_PERIOD
    return Period(key=key, zone=zone, first_day=today - dt.timedelta(days=days - 1), last_day=today)
