import datetime as dt
from zoneinfo import ZoneInfo

from dashboards.periods import period_resolve, zone_for

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def test_last_7_days_end_with_today_in_the_sellers_zone_not_in_utc():
    # 20:00 UTC on 9 March is already 05:00 on 10 March in Tokyo.
    now = dt.datetime(2026, 3, 9, 20, 0, tzinfo=UTC)

    period = period_resolve(key="7d", zone=TOKYO, now=now)

    assert period.last_day == dt.date(2026, 3, 10)
    assert period.first_day == dt.date(2026, 3, 4)
    assert period.start == dt.datetime(2026, 3, 4, tzinfo=TOKYO)
    assert period.end.astimezone(UTC) == dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_a_day_across_the_spring_dst_change_is_23_hours_long():
    period = period_resolve(
        key="custom",
        zone=NEW_YORK,
        now=dt.datetime(2026, 4, 1, tzinfo=UTC),
        first_day=dt.date(2026, 3, 8),
        last_day=dt.date(2026, 3, 8),
    )

    assert period.start.astimezone(UTC) == dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert period.end.astimezone(UTC) == dt.datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


def test_previous_period_is_the_same_number_of_days_just_before():
    period = period_resolve(key="30d", zone=NEW_YORK, now=dt.datetime(2026, 3, 20, tzinfo=UTC))

    previous = period.previous

    assert previous.days == 30
    assert previous.last_day == period.first_day - dt.timedelta(days=1)
    assert previous.end == period.start


def test_all_time_has_no_bounds_and_no_previous_period():
    period = period_resolve(key="all", zone=UTC, now=dt.datetime(2026, 3, 20, tzinfo=UTC))

    assert period.start is None and period.end is None
    assert period.previous is None


def test_custom_range_given_backwards_is_put_in_order():
    period = period_resolve(
        key="custom",
        zone=TOKYO,
        now=dt.datetime(2026, 3, 20, tzinfo=UTC),
        first_day=dt.date(2026, 3, 10),
        last_day=dt.date(2026, 3, 1),
    )

    assert (period.first_day, period.last_day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert period.label == "01 Mar 2026 – 10 Mar 2026"


def test_unknown_period_key_falls_back_to_30_days():
    period = period_resolve(key="forever", zone=TOKYO, now=dt.datetime(2026, 3, 20, tzinfo=UTC))

    assert period.key == "30d"
    assert period.days == 30


def test_an_unknown_zone_name_falls_back_to_utc():
    assert zone_for("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert zone_for("Asia/Tokyo") == TOKYO
