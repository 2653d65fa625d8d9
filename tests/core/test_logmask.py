"""No full ID number or mobile number in a log line or an error report (issue #8)."""

import io
import logging
import sys
from typing import Any

import pytest
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class

from core.logmask import GunicornLogger, PersonalDataFilter, PersonalDataReporterFilter

ID = "11010519491231002X"
PHONE = "13812341234"


def record(msg: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("x", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_the_filter_masks_message_arguments_and_traceback():
    try:
        raise ValueError(f"duplicate key {ID}")
    except ValueError:
        exc_info = sys.exc_info()
    entry = record("owner %s phone %s", ID, PHONE, exc_info=exc_info)
    assert PersonalDataFilter().filter(entry) is True
    text = logging.Formatter().format(entry)
    assert ID not in text and PHONE not in text
    assert "110***********002X" in text and "138****1234" in text and "ValueError" in text


def test_the_filter_keeps_records_it_has_nothing_to_mask():
    entry = record("%s machines", 3)
    PersonalDataFilter().filter(entry)
    assert entry.args == (3,) and entry.getMessage() == "3 machines"


@pytest.fixture
def handler_output():
    """What the handlers settings.LOGGING configured write (not pytest's own capture)."""
    streams = {}
    for name in ("", "django.server"):
        for handler in logging.getLogger(name).handlers:
            if any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                assert isinstance(handler, logging.StreamHandler)
                streams[handler] = handler.setStream(io.StringIO())
    assert len(streams) == 2, "the root's and runserver's handlers mask personal data"
    yield lambda: "".join(h.stream.getvalue() for h in streams)
    for handler, stream in streams.items():
        handler.setStream(stream)


@pytest.mark.django_db
def test_a_request_logged_by_django_is_masked(client, handler_output):
    # django.request logs a 404 with its path; the path here carries an ID number.
    assert client.get(f"/nowhere/{ID}/{PHONE}/").status_code == 404
    logging.getLogger("django.server").info('"GET /staff/owners/?q=%s HTTP/1.1" 200 10', ID)
    logging.getLogger("nrmm.anything").error("owner %s", PHONE)
    out = handler_output()
    assert "Not Found" in out and "110***********002X" in out and "138****1234" in out
    assert ID not in out and PHONE not in out


@pytest.mark.django_db
def test_error_reports_mask_post_data_locals_and_headers(rf: RequestFactory, settings):
    settings.DEBUG = True
    request = rf.post(
        f"/register/person/?q={ID}",
        {"id_number": ID, "phone": PHONE, "name": "王小明"},
        HTTP_X_NOTE=PHONE,
    )
    form = {"id_number": ID}  # a local variable of the failing frame  # noqa: F841
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter_class: Any = get_exception_reporter_class(request)
        reporter = reporter_class(request, *sys.exc_info())
    assert isinstance(reporter.filter, PersonalDataReporterFilter)
    for text in (reporter.get_traceback_html(), reporter.get_traceback_text()):
        assert ID not in text and PHONE not in text
        assert "110***********002X" in text and "王小明" in text


def test_the_field_keys_are_hidden_from_error_reports(settings):
    safe = PersonalDataReporterFilter().get_safe_settings()
    assert safe["NRMM_FIELD_CRYPTO"] == PersonalDataReporterFilter.cleansed_substitute


def test_gunicorn_access_and_error_logs_are_masked():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    config.set("errorlog", "-")
    logger = GunicornLogger(config)
    out = io.StringIO()
    for log in (logger.access_log, logger.error_log):
        for handler in log.handlers:
            handler.setStream(out)  # type: ignore[attr-defined]
    logger.access_log.info('"GET /api/v1/staff/owners?q=%s HTTP/1.1" 200', ID)
    logger.error("worker saw %s", PHONE)
    assert "110***********002X" in out.getvalue() and "138****1234" in out.getvalue()
    assert ID not in out.getvalue() and PHONE not in out.getvalue()
