"""Deadlines of the measures that the core flow computes, as data and small functions.

Calendar-day deadlines need nothing else; working-day ones take the holiday calendar.
"""

from datetime import date, timedelta

from rules.workdays import HolidayCalendar

# Art. 4: declare within 30 (calendar) days of the invoice or transfer-in date.
DECLARATION_DAYS = 30
# Art. 8: the authority reviews within 10 working days of the submission.
REVIEW_WORKING_DAYS = 10


def declaration_due(acquired: date) -> date:
    """The last day on which a first declaration is on time."""
    return acquired + timedelta(days=DECLARATION_DAYS)


def is_late(acquired: date | None, declared_on: date) -> bool:
    """Late declarations are accepted (and marked for the reviewer), never refused."""
    return acquired is not None and declared_on > declaration_due(acquired)


def review_due(submitted_on: date, calendar: HolidayCalendar) -> date:
    """Raises MissingYearError when the holiday table lacks a year it needs."""
    return calendar.add_working_days(submitted_on, REVIEW_WORKING_DAYS)


# Art. 10: the authority tells the owner to collect within 5 working days of production.
NOTICE_WORKING_DAYS = 5
# Art. 10: the owner fixes the sign and uploads a photo within 10 (calendar) days.
SIGN_PHOTO_DAYS = 10


def notice_due(produced_on: date, calendar: HolidayCalendar) -> date:
    """The last day for the collection notice. Raises MissingYearError like review_due."""
    return calendar.add_working_days(produced_on, NOTICE_WORKING_DAYS)


def sign_photo_due(collected_on: date) -> date:
    return collected_on + timedelta(days=SIGN_PHOTO_DAYS)
