"""No full ID number or mobile number in a log line or an error report.

- :class:`PersonalDataFilter` masks them in every record the handlers of settings.LOGGING
  write (the message with its arguments, the traceback, the stack);
- :class:`PersonalDataExceptionReporter` (DEFAULT_EXCEPTION_REPORTER) masks them in
  Django's error reports, and :class:`PersonalDataReporterFilter`
  (DEFAULT_EXCEPTION_REPORTER_FILTER) hides the field keys there like other secrets;
- :class:`GunicornLogger` (``gunicorn --logger-class core.logmask.GunicornLogger``) puts the
  same filter on gunicorn's access and error logs: a staff search by ID number or phone is a
  query string, and access logs print query strings.

The masking is rules.identifiers.mask_in_text, the form the pages show (110***********002X,
138****1234).
"""

import logging
import re
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from gunicorn import glogging as gunicorn_logging

from rules.identifiers import mask_in_text

_formatter = logging.Formatter()


class PersonalDataFilter(logging.Filter):
    """Masks in place and never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's to report
            return True
        masked = mask_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatted now, masked, and kept: formatters use exc_text when it is set.
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_in_text(record.stack_info)
        return True


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Django's filter for error reports, also hiding the field keys like other secrets."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|FIELD_CRYPTO", flags=re.IGNORECASE
    )


class PersonalDataExceptionReporter(ExceptionReporter):
    """Django's error report (the DEBUG page, and the mail to ADMINS if they are ever set),
    masked as a whole once written: the URL, the query string, the form data, the headers,
    the frames' local variables, whatever shows a number."""

    def get_traceback_html(self) -> SafeString:
        # Still safe: masking replaces digits with asterisks, it adds no markup.
        return mark_safe(mask_in_text(super().get_traceback_html()))  # noqa: S308

    def get_traceback_text(self) -> SafeString:
        return mark_safe(mask_in_text(super().get_traceback_text()))  # noqa: S308


class GunicornLogger(gunicorn_logging.Logger):
    """gunicorn's logger with the personal-data filter on its access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(PersonalDataFilter())
