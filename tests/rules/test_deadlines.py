from datetime import date

import pytest

from rules.deadlines import (
    DEADLINES,
    DECLARATION_DAYS,
    REVIEW_WORKING_DAYS,
    Kind,
    Unit,
    deadline_status,
    declaration_due,
    due_date,
    is_late,
    overdue_if_started_before,
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


# --- the deadline table and its status ------------------------------------------------------


# Spring Festival 2026 as the State Council set it: 15-23 February off, Saturdays 14 and 28
# February worked (调休).
SPRING = HolidayCalendar(
    holidays=frozenset(date(2026, 2, d) for d in range(15, 24)),
    makeup_workdays=frozenset({date(2026, 2, 14), date(2026, 2, 28)}),
    years=frozenset({2026}),
)


@pytest.mark.parametrize(
    ("kind", "days", "unit", "article", "sign_not_fixed"),
    [
        (Kind.DECLARATION, 30, Unit.CALENDAR, "第四条", False),
        (Kind.REVIEW, 10, Unit.WORKING, "第八条", False),
        (Kind.NOTICE, 5, Unit.WORKING, "第十条", False),
        (Kind.SIGN_PHOTO, 10, Unit.CALENDAR, "第十条", False),
        (Kind.OWNER_CHANGE, 10, Unit.CALENDAR, "第十一条", False),
        (Kind.TYPE_CHANGE, 10, Unit.CALENDAR, "第十三条", True),
        (Kind.REISSUE, 10, Unit.CALENDAR, "第十三条", True),
    ],
)
def test_every_row_of_the_table(kind, days, unit, article, sign_not_fixed):
    rule = DEADLINES[kind]
    assert (rule.days, rule.unit, rule.article) == (days, unit, article)
    assert rule.counts_as_sign_not_fixed is sign_not_fixed
    assert rule.starts


def test_the_table_covers_every_kind():
    assert set(DEADLINES) == set(Kind)


@pytest.mark.parametrize(
    ("kind", "start", "due"),
    [
        # Working days across the Spring Festival: Saturday 14 Feb counts, 15-23 do not.
        (Kind.NOTICE, date(2026, 2, 13), date(2026, 2, 27)),
        (Kind.REVIEW, date(2026, 2, 12), date(2026, 3, 4)),  # Saturday 28 Feb counts too
        (Kind.NOTICE, date(2026, 2, 15), date(2026, 2, 28)),  # started on a holiday
        # Calendar days run through the holiday.
        (Kind.SIGN_PHOTO, date(2026, 2, 13), date(2026, 2, 23)),
        (Kind.OWNER_CHANGE, date(2026, 2, 10), date(2026, 2, 20)),
        (Kind.TYPE_CHANGE, date(2026, 2, 20), date(2026, 3, 2)),
        (Kind.REISSUE, date(2026, 2, 28), date(2026, 3, 10)),
        (Kind.DECLARATION, date(2026, 1, 31), date(2026, 3, 2)),
    ],
)
def test_due_dates_across_the_spring_festival(kind, start, due):
    assert due_date(kind, start, SPRING) == due


def test_working_deadlines_need_the_calendar():
    with pytest.raises(ValueError, match="calendar"):
        due_date(Kind.NOTICE, date(2026, 2, 13))
    assert due_date(Kind.SIGN_PHOTO, date(2026, 2, 13)) == date(2026, 2, 23)


@pytest.mark.parametrize(
    ("kind", "start", "today", "done_on", "left", "overdue", "done_late"),
    [
        # Notice due 27 Feb: on 20 Feb (a holiday) four working days are left.
        (Kind.NOTICE, date(2026, 2, 13), date(2026, 2, 20), None, 4, False, False),
        (Kind.NOTICE, date(2026, 2, 13), date(2026, 2, 27), None, 0, False, False),
        (Kind.NOTICE, date(2026, 2, 13), date(2026, 3, 2), None, -2, True, False),  # 28 Feb, 2 Mar
        (Kind.NOTICE, date(2026, 2, 13), date(2026, 3, 9), date(2026, 2, 24), 3, False, False),
        (Kind.NOTICE, date(2026, 2, 13), date(2026, 3, 9), date(2026, 3, 2), -2, False, True),
        # Sign photo due 23 Feb (calendar days).
        (Kind.SIGN_PHOTO, date(2026, 2, 13), date(2026, 2, 23), None, 0, False, False),
        (Kind.SIGN_PHOTO, date(2026, 2, 13), date(2026, 2, 24), None, -1, True, False),
        (Kind.REISSUE, date(2026, 2, 13), date(2026, 3, 1), date(2026, 2, 20), 3, False, False),
    ],
)
def test_status(kind, start, today, done_on, left, overdue, done_late):
    status = deadline_status(kind, start, today, done_on=done_on, calendar=SPRING)
    assert (status.days_left, status.overdue, status.done_late) == (left, overdue, done_late)


@pytest.mark.parametrize("kind", [k for k, rule in DEADLINES.items() if rule.unit is Unit.CALENDAR])
def test_overdue_if_started_before_agrees_with_the_status(kind):
    """A query filters on start < overdue_if_started_before(today); every start date on
    either side of it must agree with deadline_status (through the Spring Festival)."""
    today = date(2026, 2, 24)
    cutoff = overdue_if_started_before(kind, today)
    for offset in range(-3, 4):
        start = date.fromordinal(cutoff.toordinal() + offset)
        assert deadline_status(kind, start, today).overdue is (start < cutoff)


def test_overdue_if_started_before_refuses_working_days():
    with pytest.raises(ValueError, match="working days"):
        overdue_if_started_before(Kind.REVIEW, date(2026, 2, 24))
