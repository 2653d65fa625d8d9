"""No full ID number or mobile number in a log line or an error report.

- :class:`PersonalDataFilter` masks them in every record the handlers of settings.LOGGING
  write (the message with its arguments, the traceback, the stack);
- :class:`PersonalDataReporterFilter` (DEFAULT_EXCEPTION_REPORTER_FILTER) masks them in
  the request data, the frames' local variables and the request headers that Django's error
  reports show, and hides the field keys like other secrets;
- :class:`GunicornLogger` (``gunicorn --logger-class core.logmask.GunicornLogger``) puts the
  same filter on gunicorn's access and error logs: a staff search by ID number or phone is a
  query string, and access logs print query strings.

The masking is rules.identifiers.mask_in_text, the form the pages show (110***********002X,
138****1234).
"""

import logging
import re
from typing import Any

from django.http import HttpRequest, QueryDict
from django.template.defaultfilters import pprint
from django.views.debug import SafeExceptionReporterFilter

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
    """Django's filter for error pages and reports, which also masks personal data."""

    # Django's own list plus the names of the personal-data settings (NRMM_FIELD_*).
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|FIELD_CRYPTO", flags=re.IGNORECASE
    )

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if not isinstance(params, QueryDict) or not params:
            return params
        masked = params.copy()
        for key in masked:
            masked.setlist(key, [_masked(v) for v in masked.getlist(key)])
        return masked

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        # Printed here, as the report would print them, and masked: a local variable may be
        # a form, a dict or a model holding the number, not only a string.
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, _Shown(mask_in_text(pprint(value)))) for name, value in variables]

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        return {key: _masked(value) for key, value in meta.items()}


class _Shown(str):
    """Text an error report prints as it is (already printed and masked)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _masked(value: Any) -> Any:
    return mask_in_text(value) if isinstance(value, str) else value


try:
    from gunicorn.glogging import Logger as _GunicornBase
except ImportError:  # pragma: no cover - gunicorn is a runtime dependency, not everywhere
    _GunicornBase = object  # type: ignore[misc,assignment]


class GunicornLogger(_GunicornBase):  # type: ignore[misc,valid-type]
    """gunicorn's logger with the personal-data filter on its access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # type: ignore[misc]
        for log in (self.error_log, self.access_log):  # type: ignore[attr-defined]
            for handler in log.handlers:
                handler.addFilter(PersonalDataFilter())
