from datetime import date

import pytest

from rules.deadlines import (
    DECLARATION_DAYS,
    REVIEW_WORKING_DAYS,
    declaration_due,
    is_late,
    review_due,
)
from rules.workdays import HolidayCalendar, MissingYearError

# 2026 with the National Day week off and Sunday 09-20 as a make-up working day is enough
# for these rows; the full table is tested in test_workdays.py.
CAL = HolidayCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 9) if date(2026, 10, d).weekday() < 5),
    makeup_workdays=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
    years=frozenset({2026}),
)


def test_table():
    assert (DECLARATION_DAYS, REVIEW_WORKING_DAYS) == (30, 10)


@pytest.mark.parametrize(
    ("acquired", "declared", "late"),
    [
        (date(2026, 10, 24), date(2026, 11, 23), False),  # day 30: on time
        (date(2026, 10, 23), date(2026, 11, 23), True),  # day 31: late
        (None, date(2026, 11, 23), False),  # no date given: nothing to measure
    ],
)
def test_late_declaration(acquired, declared, late):
    assert is_late(acquired, declared) is late


def test_declaration_due():
    assert declaration_due(date(2026, 1, 31)) == date(2026, 3, 2)


def test_review_due_skips_weekends_and_holidays():
    assert review_due(date(2026, 11, 23), CAL) == date(2026, 12, 7)
    # Submitted 09-30: 10-01..10-08 off; 10-09, Saturday 10-10, 10-12..16, 10-19..21.
    assert review_due(date(2026, 9, 30), CAL) == date(2026, 10, 21)


def test_review_due_names_a_missing_year():
    with pytest.raises(MissingYearError) as exc:
        review_due(date(2026, 12, 28), CAL)
    assert exc.value.year == 2027
