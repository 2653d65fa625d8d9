"""Percentiles and the working-day index behind the review-time statistics."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.workdays import HolidayCalendar, MissingYearError
from stats.figures import WorkingDayIndex, month_starts, weighted_percentile

CALENDAR = HolidayCalendar.build(
    holidays=[date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)],
    makeup_workdays=[date(2026, 9, 27), date(2026, 10, 10)],
    years=[2026],
)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 0.5, None),
        ([(3, 0)], 0.5, None),
        ([(5, 1)], 0.5, 5),
        ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5, 2),
        ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.9, 4),
        ([(10, 9), (1, 1)], 0.5, 10),
        ([(2, 50), (12, 50)], 0.5, 2),
        ([(2, 50), (12, 51)], 0.5, 12),
        ([(0, 90), (30, 10)], 0.9, 0),
        ([(0, 89), (30, 11)], 0.9, 30),
    ],
)
def test_weighted_percentile(values, p, expected):
    assert weighted_percentile(values, p) == expected


def test_weighted_percentile_refuses_a_bad_p():
    with pytest.raises(ValueError):
        weighted_percentile([(1, 1)], 0)


@given(
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
)
def test_index_agrees_with_the_calendar(a, b):
    index = WorkingDayIndex(CALENDAR, date(2026, 1, 1), date(2026, 12, 31))
    assert index.between(a, b) == CALENDAR.working_days_between(a, b)


def test_index_says_which_year_is_missing():
    index = WorkingDayIndex(CALENDAR, date(2026, 12, 20), date(2027, 1, 10))
    assert index.between(date(2026, 12, 20), date(2026, 12, 31)) == 9  # 21-25, 28-31
    with pytest.raises(MissingYearError) as error:
        index.between(date(2026, 12, 30), date(2027, 1, 5))
    assert error.value.year == 2027
    with pytest.raises(ValueError, match="outside"):
        index.between(date(2026, 12, 1), date(2026, 12, 31))


def test_month_starts():
    assert month_starts(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert month_starts(date(2026, 3, 31), date(2026, 3, 31) + timedelta(0)) == [date(2026, 3, 1)]
