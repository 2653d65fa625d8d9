"""Working days over the project's own holiday table.

Review and notification deadlines count working days as the State Council's yearly
holiday notice defines them, including weekend make-up working days (调休).  The
table is data (seeded from ``chinesecalendar`` on the Django side and editable by
administrators), so this module only computes over it and refuses to guess for a
year the table does not cover: a silently wrong deadline is worse than an error.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

ONE_DAY: Final = timedelta(days=1)
# date.weekday() of Saturday; Saturday and Sunday are rest days unless made up.
FIRST_WEEKEND_DAY: Final = 5


class MissingYearError(ValueError):
    """The holiday table has no (complete) data for ``year``."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"节假日表中没有{year}年的数据，无法计算工作日，请管理员先补充{year}年的放假安排"
        )

    def __reduce__(self) -> tuple[type["MissingYearError"], tuple[int]]:
        # Keep ``year`` when the error is pickled (task queues, multiprocessing).
        return (type(self), (self.year,))


@dataclass(frozen=True)
class HolidayCalendar:
    """Holidays on weekdays, make-up working days on weekends, and covered years.

    ``years`` lists the years whose data is complete; every other year raises
    :class:`MissingYearError` rather than falling back to plain Monday-Friday.
    """

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    years: frozenset[int]

    def __post_init__(self) -> None:
        for kind, dates in (("节假日", self.holidays), ("调休工作日", self.makeup_workdays)):
            outside = sorted(d for d in dates if d.year not in self.years)
            if outside:
                raise ValueError(
                    f"{kind}{outside[0].isoformat()}所在的{outside[0].year}年不在已覆盖的年份中"
                )
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            raise ValueError(f"{both[0].isoformat()}不能同时是节假日和调休工作日")

    @classmethod
    def build(
        cls, holidays: Iterable[date], makeup_workdays: Iterable[date], years: Iterable[int]
    ) -> "HolidayCalendar":
        """Convenience constructor from any iterables (e.g. query sets of dates)."""
        return cls(frozenset(holidays), frozenset(makeup_workdays), frozenset(years))

    def is_working_day(self, d: date) -> bool:
        if d.year not in self.years:
            raise MissingYearError(d.year)
        if d in self.makeup_workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < FIRST_WEEKEND_DAY

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start``; ``start`` itself when n == 0."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = start
        while n:
            d += ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days d with start < d <= end (0 if end <= start)."""
        count = 0
        d = start + ONE_DAY
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += ONE_DAY
        return count


def add_calendar_days(start: date, n: int) -> date:
    """``start`` plus n calendar days (deadlines such as 30 days after the invoice)."""
    return start + timedelta(days=n)
