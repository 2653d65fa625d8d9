"""逾期事项: the district's overdue counts, its own district only, constant queries."""

from datetime import date

import time_machine

from registry import actions
from registry import credentials as cards
from tests.changes.helpers import TODAY, approved, owner_change, reissue
from tests.conftest import logged_in, make_user
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
        assert counts(page) == [1, 1, 0, 1, 0, 0, 0]
        assert counts(logged_in(reviewer_other_district).get("/staff/overdue/")) == [0] * 7
        assert counts(logged_in(city_admin).get("/staff/overdue/")) == [1, 1, 0, 1, 0, 0, 0]


def test_change_rows(owner, reviewer, reviewer_other_district, city_admin):
    """Changes (issue #5): a review past its 10 working days, an owner change the buyer has
    not confirmed in Art. 11's 10 days, and a late reissue, which Art. 13 counts as "sign
    not fixed as required". Each row links to the change queue filtered the same way."""
    buyer = make_user("13800000011", "钱七", kind="person", id_number="110101199003074530")
    with time_machine.travel(TODAY, tick=False):  # Monday 23 Nov 2026
        sold = approved(owner, reviewer)
        owner_change(sold, owner, buyer, event_date=date(2026, 11, 20))  # due 30 Nov
        lost = approved(owner, reviewer)
        reissue(lost, owner, event_date=date(2026, 11, 1))  # filed late: review due 7 Dec
    rows = lambda client: counts(client.get("/staff/overdue/"))[4:]  # noqa: E731
    with time_machine.travel("2026-11-30 10:00 +0800", tick=False):
        assert rows(logged_in(reviewer)) == [0, 0, 1]  # the buyer's 10 days end today
    with time_machine.travel("2026-12-08 10:00 +0800", tick=False):
        desk = logged_in(reviewer)
        assert rows(desk) == [1, 1, 1]
        assert rows(logged_in(city_admin)) == [1, 1, 1]
        assert rows(logged_in(reviewer_other_district)) == [0, 0, 0]
        body = desk.get("/staff/overdue/").content.decode()
        assert "视作未按照要求固定识别标志" in body
        for flag, machine in (("overdue", lost), ("unconfirmed", sold), ("sign_not_fixed", lost)):
            assert f"/changes/district/?status=all&amp;flag={flag}" in body
            listed = desk.get(f"/changes/district/?status=all&flag={flag}").content.decode()
            assert listed.count('data-number="') == 1
            assert f'data-number="{machine.short_number}"' in listed


def test_query_count_is_constant(owner, reviewer, django_assert_max_num_queries):
    client = logged_in(reviewer)
    with django_assert_max_num_queries(13):
        client.get("/staff/overdue/")
    for _ in range(3):
        declare(owner)
    with django_assert_max_num_queries(13):
        client.get("/staff/overdue/")
