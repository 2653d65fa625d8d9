"""逾期事项: the district's overdue counts, its own district only, constant queries."""

from datetime import date

import time_machine

from registry import actions
from registry import credentials as cards
from tests.conftest import logged_in
from tests.inspections.helpers import failed_check, order
from tests.registry.helpers import declare
from tests.registry.test_credentials import live


def counts(response) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'data-count="(\d+)"', response.content.decode())]


def test_counts_and_district(owner, reviewer, reviewer_other_district, inspector, city_admin):
    with time_machine.travel("2026-11-02 10:00 +0800", tick=False):
        bought = {"acquisition_date": "2026-10-20"}
        late_review = declare(owner, basic=bought)  # review due 16 Nov
        reg = actions.approve(acting_user=reviewer, declaration=declare(owner, basic=bought))
        cards.record_produced(acting_user=reviewer, ids=[live(reg).pk])  # notice due 9 Nov
        order(reviewer, failed_check(inspector, reg), due_date=date(2026, 11, 10))
    assert late_review.pk
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        page = logged_in(reviewer).get("/staff/overdue/")
        assert page.status_code == 200
        assert counts(page) == [1, 1, 0, 1]
        assert counts(logged_in(reviewer_other_district).get("/staff/overdue/")) == [0, 0, 0, 0]
        assert counts(logged_in(city_admin).get("/staff/overdue/")) == [1, 1, 0, 1]


def test_query_count_is_constant(owner, reviewer, django_assert_max_num_queries):
    client = logged_in(reviewer)
    with django_assert_max_num_queries(10):
        client.get("/staff/overdue/")
    for _ in range(3):
        declare(owner)
    with django_assert_max_num_queries(10):
        client.get("/staff/overdue/")
