"""Small pure computations behind the statistics: weighted percentiles, working days over a
date range in one pass, month ranges. No Django (tested on their own)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta

from rules.workdays import HolidayCalendar, MissingYearError


def weighted_percentile(values: Iterable[tuple[int, int]], p: float) -> int | None:
    """The nearest-rank p-th percentile (0 < p <= 1) of values given as (value, how many).
    None when there are none."""
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    pairs = sorted((v, n) for v, n in values if n > 0)
    total = sum(n for _v, n in pairs)
    if total == 0:
        return None
    rank = max(1, math.ceil(p * total))
    seen = 0
    for value, n in pairs:
        seen += n
        if seen >= rank:
            return value
    return pairs[-1][0]  # pragma: no cover - rank <= total


class WorkingDayIndex:
    """Working days between any two dates of a range, each answer a subtraction: the
    calendar is walked once (a 100,000-row statistic does not walk it per row).
    Days in years the holiday table lacks make `between` raise MissingYearError."""

    def __init__(self, calendar: HolidayCalendar, first: date, last: date) -> None:
        self.first = first
        self._cumulative: list[int | None] = []
        count: int | None = 0
        day = first
        while day <= last:
            try:
                working = calendar.is_working_day(day)
            except MissingYearError:
                count = None  # everything from here on is unknown
            if count is not None and working:
                count += 1
            self._cumulative.append(count)
            day += timedelta(days=1)
        self._missing_from = next(
            (first + timedelta(days=i) for i, c in enumerate(self._cumulative) if c is None),
            None,
        )

    def between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end, like HolidayCalendar.working_days_between."""
        if end <= start:
            return 0
        if not (self.first <= start and end <= self.first + timedelta(len(self._cumulative) - 1)):
            raise ValueError(f"{start}..{end} is outside the index's range")
        a = self._cumulative[(start - self.first).days]
        b = self._cumulative[(end - self.first).days]
        if a is None or b is None:
            assert self._missing_from is not None
            raise MissingYearError(self._missing_from.year)
        return b - a


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s month to `last`'s, in order."""
    months = []
    day = first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def review_buckets() -> tuple[tuple[str, int, int | None], ...]:
    """Working-day bands for the review-time distribution: (label, from, to inclusive)."""
    return (
        ("0–2个工作日", 0, 2),
        ("3–5个工作日", 3, 5),
        ("6–10个工作日", 6, 10),
        ("11–15个工作日（超期）", 11, 15),
        ("16个工作日以上（超期）", 16, None),
    )
