"""Statistics of public reports: counts by status, outcome and district, in one query."""

from datetime import date

import pytest
import time_machine

from reports import actions
from reports.queries import ReportCounts, report_counts
from tests.reports.helpers import filed

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(reviewer, reviewer_other_district):
    a = filed()
    b = filed(address="192.0.2.2")
    actions.assign(acting_user=reviewer, report=b)
    c = filed(address="192.0.2.3")
    actions.close(acting_user=reviewer, report=c, outcome="confirmed", text="已处理")
    k = filed(address="192.0.2.4", district="K")
    actions.close(acting_user=reviewer_other_district, report=k, outcome="duplicate", text="重复")
    with time_machine.travel("2026-10-01 12:00 +0800", tick=False):
        old = filed(address="192.0.2.5", observed_at="2026-10-01T09:00")
    return a, b, c, k, old


def test_the_whole_city(reports, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = report_counts(None)
    assert counts == ReportCounts(
        total=5,
        by_status={"received": 2, "assigned": 1, "closed": 2},
        by_outcome={
            "confirmed": 1,
            "not_confirmed": 0,
            "referred": 0,
            "out_of_scope": 0,
            "duplicate": 1,
        },
        by_district={"K": 1, "L": 4},
        district_status={"K": {"closed": 1}, "L": {"assigned": 1, "closed": 1, "received": 2}},
        district_outcome={"K": {"duplicate": 1}, "L": {"confirmed": 1}},
    )


def test_a_district_and_a_period(reports):
    counts = report_counts("L", date(2026, 11, 1), date(2026, 11, 23))
    assert counts.total == 3 and counts.by_district == {"L": 3}
    assert counts.by_status == {"received": 1, "assigned": 1, "closed": 1}
    assert report_counts("L", date_to=date(2026, 10, 1)).total == 1
    assert report_counts(None, date_from=date(2026, 11, 24)).total == 0


def test_a_user_sees_what_they_may(reports, reviewer, city_admin, owner, inspector):
    assert report_counts(reviewer).by_district == {"L": 4}
    assert report_counts(city_admin).total == 5
    assert report_counts(owner).total == 0 and report_counts(inspector).total == 0
    assert report_counts(owner).by_status == {"received": 0, "assigned": 0, "closed": 0}


def test_constant_queries_however_many(reports, reviewer, django_assert_num_queries):
    for i in range(10):
        filed(address=f"198.51.100.{i}", district="ABKL"[i % 4])
    with django_assert_num_queries(1):
        report_counts(None, date(2026, 1, 1), date(2026, 12, 31))
