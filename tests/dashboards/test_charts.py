import datetime as dt

from dashboards.charts import BOTTOM, HEIGHT, TOP, WIDTH, revenue_bar_chart
from dashboards.selectors.seller import RevenuePoint, RevenueSeries


def _series(*grosses: int, currency: str = "usd", by_month: bool = False) -> RevenueSeries:
    first = dt.date(2026, 3, 1)
    return RevenueSeries(
        currency=currency,
        by_month=by_month,
        points=[
            RevenuePoint(
                day=first + dt.timedelta(days=n), count=1 if gross else 0, gross=gross, refunds=0
            )
            for n, gross in enumerate(grosses)
        ],
    )


def test_the_best_day_fills_the_plot_and_an_empty_day_has_no_bar():
    chart = revenue_bar_chart(series=_series(1_000, 0, 4_000, 2_000))

    heights = [bar.height for bar in chart.bars]
    assert heights[2] == max(heights) == HEIGHT - TOP - BOTTOM
    assert heights[1] == 0
    assert heights[0] * 4 == heights[2]
    assert all(0 <= bar.x and bar.x + bar.width <= WIDTH for bar in chart.bars)


def test_the_text_alternative_states_the_range_total_and_best_day():
    chart = revenue_bar_chart(series=_series(1_000, 0, 4_000, currency="eur"))

    assert chart.title == "Gross sales per day (EUR)"
    assert chart.description == (
        "Gross sales per day in EUR from 01 Mar 2026 to 03 Mar 2026: €50.00 in total; "
        "best day 03 Mar 2026 with €40.00."
    )
    assert chart.bars[2].label == "03 Mar 2026: €40.00 (1 sale)"
    assert chart.bars[1].label == "02 Mar 2026: €0.00 (0 sales)"


def test_a_period_without_sales_draws_flat_bars_without_dividing_by_zero():
    chart = revenue_bar_chart(series=_series(0, 0, 0))

    assert [bar.height for bar in chart.bars] == [0, 0, 0]
    assert "best day" not in chart.description


def test_zero_decimal_currencies_are_shown_without_cents():
    chart = revenue_bar_chart(series=_series(5_000, by_month=True, currency="jpy"))

    assert chart.max_label == "¥5,000"
    assert chart.title == "Gross sales per month (JPY)"


def test_a_yearly_chart_is_labelled_by_year():
    series = RevenueSeries(
        currency="usd",
        by_month=False,
        by_year=True,
        points=[
            RevenuePoint(day=dt.date(year, 1, 1), count=2, gross=gross, refunds=0)
            for year, gross in ((2024, 1_000), (2025, 3_000))
        ],
    )

    chart = revenue_bar_chart(series=series)

    assert chart.title == "Gross sales per year (USD)"
    assert (chart.first_label, chart.last_label) == ("2024", "2025")
    assert chart.bars[1].label == "2025: $30.00 (2 sales)"
    assert "best year 2025" in chart.description


def test_a_period_whose_sales_fell_on_one_day_is_said_in_words_not_drawn():
    lonely = revenue_bar_chart(series=_series(0, 0, 0, 4_000))
    busy = revenue_bar_chart(series=_series(1_000, 0, 4_000))

    assert lonely.only_bucket == "All $40.00 of this period came on 04 Mar 2026 (1 sale)."
    assert busy.only_bucket == ""
