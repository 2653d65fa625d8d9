"""Issue #8's browser test: the owner and the district's reviewer each click 显示完整证件号;
htmx swaps the masked number for the full one in place (no inline script: the CSP fixture
fails the test on any violation), and each click is an audit row."""

import pytest
from playwright.sync_api import Page, expect

from core.models import AuditEntry
from tests.browser.test_credentials_browser import desk_page, people  # noqa: F401
from tests.browser.test_declaration_browser import log_in
from tests.registry.helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
ID = "11010519491231002X"


def test_owner_and_reviewer_reveal_the_full_number(browser, live_server, phone_page, people):  # noqa: F811
    owner, reviewer, _ = people
    declaration = declare(owner)
    page: Page = phone_page
    log_in(page, owner.phone)
    page.goto("/account/")
    expect(page.get_by_text("110***********002X")).to_be_visible()
    expect(page.get_by_text(ID)).to_have_count(0)
    page.get_by_role("button", name="显示完整证件号").click()
    expect(page.get_by_text(ID)).to_be_visible()
    expect(page.get_by_role("button", name="显示完整证件号")).to_have_count(0)

    desk = desk_page(browser, live_server, reviewer.phone)
    desk.goto(f"/staff/review/{declaration.pk}/")
    expect(desk.get_by_text(ID)).to_have_count(0)
    desk.get_by_role("button", name="显示完整证件号").click()
    expect(desk.get_by_text(ID)).to_be_visible()
    expect(desk.get_by_role("heading", name="申报概况")).to_be_visible()  # still the page
    viewers = AuditEntry.objects.filter(action="account.id_number_viewed").values_list(
        "actor_id", flat=True
    )
    assert sorted(viewers) == sorted([owner.pk, reviewer.pk])
