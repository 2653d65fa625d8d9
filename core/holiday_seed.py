"""Rows for the holiday table, taken from the chinesecalendar package.

The package is a seed, not the source of truth: administrators correct and extend the
table (a new year's State Council notice arrives every November or December).
"""

from datetime import date, timedelta
from functools import cache

from core.constants import DayKind

# The package names holidays in English; the table shows Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}


def seed_years() -> range:
    import chinese_calendar

    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


@cache
def rows_for_year(year: int) -> tuple[tuple[date, str, str], ...]:
    """(date, kind, name) for every weekday off and every weekend make-up working day."""
    import chinese_calendar

    rows = []
    day = date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if on_holiday and not weekend:
            rows.append((day, DayKind.HOLIDAY.value, HOLIDAY_NAMES.get(name or "", name or "")))
        elif not on_holiday and weekend:
            # For a make-up working day the package names the holiday it makes up for.
            rows.append((day, DayKind.MAKEUP_WORKDAY.value, HOLIDAY_NAMES.get(name or "", "")))
        day += timedelta(days=1)
    return tuple(rows)
