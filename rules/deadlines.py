"""Deadlines of the measures, as one table and small functions.

Calendar-day deadlines need nothing else; working-day ones take the holiday calendar.
`DEADLINES` lists every deadline of the measures with its length, its unit and the event
that starts it; `deadline_status` answers, for one of them, when it falls due, how much time
is left and whether it is overdue.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rules.workdays import HolidayCalendar

# Art. 4: declare within 30 (calendar) days of the invoice or transfer-in date.
DECLARATION_DAYS = 30
# Art. 8: the authority reviews within 10 working days of the submission.
REVIEW_WORKING_DAYS = 10


def declaration_due(acquired: date) -> date:
    """The last day on which a first declaration is on time."""
    return due_date(Kind.DECLARATION, acquired)


def is_late(acquired: date | None, declared_on: date) -> bool:
    """Late declarations are accepted (and marked for the reviewer), never refused."""
    return acquired is not None and declared_on > declaration_due(acquired)


def review_due(submitted_on: date, calendar: HolidayCalendar) -> date:
    """Raises MissingYearError when the holiday table lacks a year it needs."""
    return due_date(Kind.REVIEW, submitted_on, calendar)


# Art. 10: the authority tells the owner to collect within 5 working days of production.
NOTICE_WORKING_DAYS = 5
# Art. 10: the owner fixes the sign and uploads a photo within 10 (calendar) days.
SIGN_PHOTO_DAYS = 10


def notice_due(produced_on: date, calendar: HolidayCalendar) -> date:
    """The last day for the collection notice. Raises MissingYearError like review_due."""
    return due_date(Kind.NOTICE, produced_on, calendar)


def sign_photo_due(collected_on: date) -> date:
    return due_date(Kind.SIGN_PHOTO, collected_on)


# Art. 11 and 13: in-city transfers, type/function/appearance changes and lost or damaged
# signs are to be applied for within 10 (calendar) days.
CHANGE_DAYS = 10


class Unit(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


class Kind(StrEnum):
    DECLARATION = "declaration"
    REVIEW = "review"
    NOTICE = "notice"
    SIGN_PHOTO = "sign_photo"
    OWNER_CHANGE = "owner_change"
    TYPE_CHANGE = "type_change"
    REISSUE = "reissue"


@dataclass(frozen=True)
class Deadline:
    kind: Kind
    days: int
    unit: Unit
    starts: str  # the event that starts the clock, as the measures put it
    article: str
    # Art. 13: overdue changes and reissues count as "sign not fixed as required".
    counts_as_sign_not_fixed: bool = False


DEADLINES: dict[Kind, Deadline] = {
    d.kind: d
    for d in (
        Deadline(
            Kind.DECLARATION,
            DECLARATION_DAYS,
            Unit.CALENDAR,
            "购置（发票日期）或转入之日",
            "第四条",
        ),
        Deadline(Kind.REVIEW, REVIEW_WORKING_DAYS, Unit.WORKING, "提交申报之日", "第八条"),
        Deadline(
            Kind.NOTICE, NOTICE_WORKING_DAYS, Unit.WORKING, "标志和信息卡制作完成之日", "第十条"
        ),
        Deadline(Kind.SIGN_PHOTO, SIGN_PHOTO_DAYS, Unit.CALENDAR, "领取标志和信息卡之日", "第十条"),
        Deadline(Kind.OWNER_CHANGE, CHANGE_DAYS, Unit.CALENDAR, "机械转让之日", "第十一条"),
        Deadline(
            Kind.TYPE_CHANGE,
            CHANGE_DAYS,
            Unit.CALENDAR,
            "类型、功能或外观显著变化之日",
            "第十三条",
            True,
        ),
        Deadline(
            Kind.REISSUE, CHANGE_DAYS, Unit.CALENDAR, "标志或信息卡遗失、损毁之日", "第十三条", True
        ),
    )
}


@dataclass(frozen=True)
class DeadlineStatus:
    due: date
    days_left: int  # calendar or working days, as the deadline counts; negative when overdue
    overdue: bool
    done_late: bool  # met, but after the due date


def due_date(kind: Kind, start: date, calendar: HolidayCalendar | None = None) -> date:
    """The last day on time. Working-day deadlines need the calendar (and raise
    MissingYearError when it lacks a year they cross)."""
    rule = DEADLINES[kind]
    if rule.unit is Unit.CALENDAR:
        return start + timedelta(days=rule.days)
    if calendar is None:
        raise ValueError(f"{kind} counts working days: a holiday calendar is needed")
    return calendar.add_working_days(start, rule.days)


def overdue_if_started_before(kind: Kind, today: date) -> date:
    """For a calendar-day deadline: a clock started before the returned day has run out by
    `today` (its due date is before today). Lets a query find overdue rows by their start
    date alone."""
    rule = DEADLINES[kind]
    if rule.unit is not Unit.CALENDAR:
        raise ValueError(f"{kind} counts working days: compare stored due dates instead")
    return today - timedelta(days=rule.days)


def deadline_status(
    kind: Kind,
    start: date,
    today: date,
    *,
    done_on: date | None = None,
    calendar: HolidayCalendar | None = None,
) -> DeadlineStatus:
    due = due_date(kind, start, calendar)
    rule = DEADLINES[kind]
    reference = done_on or today
    if rule.unit is Unit.CALENDAR:
        left = (due - reference).days
    else:
        assert calendar is not None  # due_date has refused otherwise
        if due >= reference:
            left = calendar.working_days_between(reference, due)
        else:
            left = -calendar.working_days_between(due, reference)
    late = reference > due
    return DeadlineStatus(
        due, left, overdue=late and done_on is None, done_late=late and done_on is not None
    )
