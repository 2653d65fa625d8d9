"""Tests of rules.workdays over the 2024 and 2025 State Council holiday notices."""

import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.workdays import HolidayCalendar, MissingYearError, add_calendar_days


def d(text: str) -> date:
    return date.fromisoformat(text)


# Weekday holidays and weekend make-up working days, typed from 国办发明电〔2023〕7号
# (2024) and 国办发明电〔2024〕12号 (2025).  Weekend days inside a holiday period are rest
# days anyway, so they are not listed.
HOLIDAYS = frozenset(
    map(
        d,
        [
            # 2024
            "2024-01-01",
            *("2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16"),
            *("2024-04-04", "2024-04-05"),
            *("2024-05-01", "2024-05-02", "2024-05-03"),
            "2024-06-10",
            *("2024-09-16", "2024-09-17"),
            *("2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-07"),
            # 2025
            "2025-01-01",
            *("2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31"),
            *("2025-02-03", "2025-02-04"),
            "2025-04-04",
            *("2025-05-01", "2025-05-02", "2025-05-05"),
            "2025-06-02",
            *("2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07"),
            "2025-10-08",
        ],
    )
)
MAKEUP_WORKDAYS = frozenset(
    map(
        d,
        [
            *("2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11"),
            *("2024-09-14", "2024-09-29", "2024-10-12"),
            *("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
        ],
    )
)
YEARS = frozenset({2024, 2025})
CALENDAR = HolidayCalendar(HOLIDAYS, MAKEUP_WORKDAYS, YEARS)

FIRST = date(2024, 1, 1)
LAST = date(2025, 12, 31)


def every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_table_shape() -> None:
    assert all(h.weekday() < 5 for h in HOLIDAYS)
    assert all(m.weekday() >= 5 for m in MAKEUP_WORKDAYS)


# --- is_working_day ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-06-03", True),  # Tuesday
        ("2025-06-07", False),  # Saturday
        ("2025-06-08", False),  # Sunday
        ("2025-10-01", False),  # National Day, Wednesday
        ("2025-10-08", False),  # last day of the 8-day break, Wednesday
        ("2025-10-04", False),  # Saturday inside the break
        ("2025-09-28", True),  # make-up working day, Sunday
        ("2025-10-11", True),  # make-up working day, Saturday
        ("2024-02-09", True),  # New Year's Eve 2024 was not a statutory holiday
        ("2024-02-18", True),  # make-up working day, Sunday
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert CALENDAR.is_working_day(d(day)) is working


def test_national_day_2025() -> None:
    assert not any(CALENDAR.is_working_day(x) for x in every_day(d("2025-10-01"), d("2025-10-08")))


def test_holiday_counts() -> None:
    working = [x for x in every_day(FIRST, LAST) if CALENDAR.is_working_day(x)]
    # 2024: 262 weekdays - 19 weekday holidays + 8 make-up days; 2025: 261 - 18 + 5.
    assert sum(x.year == 2024 for x in working) == 251
    assert sum(x.year == 2025 for x in working) == 248


# --- MissingYearError and validation --------------------------------------------------


def test_missing_year_error() -> None:
    with pytest.raises(MissingYearError) as caught:
        CALENDAR.is_working_day(date(2026, 1, 5))
    assert caught.value.year == 2026
    assert str(caught.value) == (
        "节假日表中没有2026年的数据，无法计算工作日，请管理员先补充2026年的放假安排"
    )
    assert isinstance(caught.value, ValueError)


def test_missing_year_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(MissingYearError(2031)))
    assert isinstance(error, MissingYearError)
    assert error.year == 2031
    assert "2031年" in str(error)


def test_calendar_rejects_holiday_outside_covered_years() -> None:
    with pytest.raises(ValueError, match="节假日2023-10-02所在的2023年不在已覆盖的年份中"):
        HolidayCalendar(frozenset({d("2023-10-02")}), frozenset(), frozenset({2024}))


def test_calendar_rejects_makeup_day_outside_covered_years() -> None:
    with pytest.raises(ValueError, match="调休工作日2026-01-04所在的2026年不在已覆盖的年份中"):
        HolidayCalendar(frozenset(), frozenset({d("2026-01-04")}), frozenset({2025}))


def test_calendar_rejects_a_day_in_both_sets() -> None:
    both = d("2025-10-11")
    with pytest.raises(ValueError, match="2025-10-11不能同时是节假日和调休工作日"):
        HolidayCalendar(frozenset({both}), frozenset({both}), frozenset({2025}))


def test_build_accepts_any_iterables() -> None:
    built = HolidayCalendar.build(list(HOLIDAYS), iter(MAKEUP_WORKDAYS), [2024, 2025])
    assert built == CALENDAR


def test_empty_year_is_plain_monday_to_friday() -> None:
    plain = HolidayCalendar(frozenset(), frozenset(), frozenset({2030}))
    assert plain.add_working_days(d("2030-01-04"), 1) == d("2030-01-07")  # Friday to Monday


# --- add_working_days / next_working_day / working_days_between ----------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-09-26", 1, "2025-09-28"),  # Friday -> make-up Sunday
        ("2025-09-30", 1, "2025-10-09"),  # over the National Day break
        # By hand: 09-26, 09-28, 09-29, 09-30, 10-09, 10-10, 10-11 (Sat), 10-13, 10-14, 10-15
        ("2025-09-25", 10, "2025-10-15"),
        ("2025-10-01", 1, "2025-10-09"),  # start on a holiday
        ("2024-12-31", 1, "2025-01-02"),  # across the year end and New Year's Day
        ("2025-06-06", 1, "2025-06-09"),  # Friday -> Monday
        ("2025-06-03", 5, "2025-06-10"),
        ("2025-06-03", 0, "2025-06-03"),
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert CALENDAR.add_working_days(d(start), n) == d(expected)


def test_add_zero_working_days_needs_no_data() -> None:
    assert CALENDAR.add_working_days(date(2031, 5, 1), 0) == date(2031, 5, 1)


def test_add_working_days_rejects_negative_n() -> None:
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(d("2025-06-03"), -1)


def test_add_working_days_raises_when_it_reaches_a_missing_year() -> None:
    assert CALENDAR.add_working_days(d("2025-12-30"), 1) == d("2025-12-31")
    with pytest.raises(MissingYearError) as caught:
        CALENDAR.add_working_days(d("2025-12-30"), 2)
    assert caught.value.year == 2026


def test_add_working_days_raises_for_a_start_before_the_table() -> None:
    with pytest.raises(MissingYearError) as caught:
        CALENDAR.add_working_days(d("2023-12-29"), 1)
    assert caught.value.year == 2023


def test_next_working_day() -> None:
    assert CALENDAR.next_working_day(d("2025-09-30")) == d("2025-10-09")
    assert CALENDAR.next_working_day(d("2025-06-03")) == d("2025-06-04")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-09-30", "2025-10-09", 1),
        ("2025-09-25", "2025-10-15", 10),
        ("2025-09-25", "2025-09-25", 0),
        ("2025-10-15", "2025-09-25", 0),
        ("2025-10-01", "2025-10-08", 0),
        ("2023-12-31", "2024-01-02", 1),  # start itself is not counted, so no data needed
        ("2024-12-31", "2025-12-31", 248),
    ],
)
def test_working_days_between(start: str, end: str, expected: int) -> None:
    assert CALENDAR.working_days_between(d(start), d(end)) == expected


def test_working_days_between_raises_for_a_missing_year() -> None:
    with pytest.raises(MissingYearError) as caught:
        CALENDAR.working_days_between(d("2025-12-30"), d("2026-01-05"))
    assert caught.value.year == 2026


def test_add_calendar_days() -> None:
    assert add_calendar_days(d("2025-12-15"), 30) == d("2026-01-14")
    assert add_calendar_days(d("2024-02-28"), 1) == d("2024-02-29")
    assert add_calendar_days(d("2025-06-03"), 0) == d("2025-06-03")
    assert add_calendar_days(d("2025-06-03"), -3) == d("2025-05-31")


# --- properties -----------------------------------------------------------------------

covered_days = st.dates(min_value=FIRST, max_value=LAST)
counts = st.integers(min_value=0, max_value=40)


@given(covered_days, counts)
def test_add_then_count_round_trips(start: date, n: int) -> None:
    try:
        result = CALENDAR.add_working_days(start, n)
    except MissingYearError as error:
        assert error.year == 2026
        return
    assert CALENDAR.working_days_between(start, result) == n
    if n >= 1:
        assert CALENDAR.is_working_day(result)
        # Nothing between the previous result and this one is a working day.
        previous = CALENDAR.add_working_days(start, n - 1)
        assert CALENDAR.working_days_between(previous, result - timedelta(days=1)) == 0


@given(covered_days, counts)
def test_add_working_days_is_strictly_monotonic(start: date, n: int) -> None:
    try:
        later = CALENDAR.add_working_days(start, n + 1)
    except MissingYearError:
        return
    assert CALENDAR.add_working_days(start, n) < later


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)).filter(
        lambda x: x.year not in YEARS
    )
)
def test_any_uncovered_day_raises_naming_its_year(day: date) -> None:
    with pytest.raises(MissingYearError) as caught:
        CALENDAR.is_working_day(day)
    assert caught.value.year == day.year
    assert f"没有{day.year}年的数据" in str(caught.value)
    assert f"补充{day.year}年" in str(caught.value)


# --- cross-check against the chinesecalendar package ----------------------------------


@pytest.fixture(scope="module")
def package_calendar() -> HolidayCalendar:
    cc = pytest.importorskip("chinese_calendar")
    days = every_day(FIRST, LAST)
    return HolidayCalendar(
        holidays=frozenset(x for x in days if not cc.is_workday(x) and x.weekday() < 5),
        makeup_workdays=frozenset(x for x in days if cc.is_workday(x) and x.weekday() >= 5),
        years=YEARS,
    )


def test_hand_table_matches_the_package(package_calendar: HolidayCalendar) -> None:
    assert package_calendar == CALENDAR


def test_every_day_matches_the_package(package_calendar: HolidayCalendar) -> None:
    cc = pytest.importorskip("chinese_calendar")
    for day in every_day(FIRST, LAST):
        assert package_calendar.is_working_day(day) is cc.is_workday(day), day


def test_package_calendar_known_facts(package_calendar: HolidayCalendar) -> None:
    cal = package_calendar
    for day in every_day(d("2025-10-01"), d("2025-10-08")):
        assert not cal.is_working_day(day)
    assert cal.is_working_day(d("2025-09-28"))
    assert cal.is_working_day(d("2025-10-11"))
    assert cal.add_working_days(d("2025-09-26"), 1) == d("2025-09-28")
    assert cal.add_working_days(d("2025-09-30"), 1) == d("2025-10-09")
    assert cal.add_working_days(d("2025-09-25"), 10) == d("2025-10-15")


def test_package_working_day_counts(package_calendar: HolidayCalendar) -> None:
    cc = pytest.importorskip("chinese_calendar")
    start, end = d("2025-09-25"), d("2025-10-31")
    expected = len(cc.get_workdays(start + timedelta(days=1), end))
    assert package_calendar.working_days_between(start, end) == expected
