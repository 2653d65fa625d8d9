"""显示完整证件号 (issue #8): a full ID number is shown only to whom the work needs it (the
owner; staff of a district the owner has business in; the city), on request, and every
view is an audit row. Everyone else gets the 404 of a missing owner."""

import json

import pytest
import time_machine

from accounts.models import User
from changes.models import ChangeRequest
from core.models import AuditEntry
from tests.changes.helpers import approved, owner_change
from tests.conftest import logged_in, make_user
from tests.registry.helpers import declare

ID = "11010519491231002X"
MASKED = "110***********002X"
TODAY = "2026-11-23 10:00 +0800"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def views(owner: User) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action="account.id_number_viewed", target_id=str(owner.pk))
    )


def reveal(user: User, owner: User, **headers):
    return logged_in(user).post(f"/staff/owners/{owner.pk}/id-number/", **headers)


def api_reveal(user: User, path: str):
    from accounts import actions

    token = actions.issue_api_token(acting_user=user)
    return logged_in(user).post(path, HTTP_AUTHORIZATION=f"Bearer {token}")


class TestPages:
    def test_the_review_page_masks_and_offers_the_button(self, owner, reviewer):
        declaration = declare(owner)
        html = logged_in(reviewer).get(f"/staff/review/{declaration.pk}/").content.decode()
        assert MASKED in html and ID not in html
        assert f'hx-post="/staff/owners/{owner.pk}/id-number/"' in html
        assert "显示完整证件号" in html
        assert not views(owner)  # showing the page is not a view of the number

    def test_reviewer_of_the_district_sees_it_once_per_click_audited(self, owner, reviewer):
        declare(owner)
        response = reveal(reviewer, owner, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert ID in html and "<html" not in html  # the fragment htmx swaps in
        assert f'id="id-number-{owner.pk}"' in html
        assert "no-store" in response["Cache-Control"]
        reveal(reviewer, owner, HTTP_HX_REQUEST="true")
        entries = views(owner)
        assert len(entries) == 2
        assert entries[0].actor == reviewer and entries[0].data == {"via": "page"}
        assert ID not in json.dumps([e.data for e in entries])

    def test_without_javascript_a_page_with_the_way_back(self, owner, reviewer):
        declaration = declare(owner)
        back = f"/staff/review/{declaration.pk}/"
        html = reveal(reviewer, owner, data={"next": back}).content.decode()
        assert ID in html and f'href="{back}"' in html and "<html" in html
        html = reveal(reviewer, owner, data={"next": "https://evil.example/"}).content.decode()
        assert 'href="/staff/"' in html and "evil" not in html

    def test_the_city_sees_every_owner(self, owner, city_admin):
        assert ID in reveal(city_admin, owner).content.decode()
        assert views(owner)[0].actor == city_admin

    def test_a_clerk_sees_the_owners_of_the_district_only(self, owner, clerk):
        assert reveal(clerk, owner).status_code == 404  # nothing in 黄浦 (A) yet
        declare(clerk, owner, start={"district": "A"})
        assert reveal(clerk, owner).status_code == 200

    def test_outsiders_get_404_and_leave_no_audit_row(
        self, owner, reviewer, reviewer_other_district, organisation, city_admin
    ):
        declare(owner)  # in 浦东 (L)
        assert reveal(reviewer_other_district, owner).status_code == 404
        assert reveal(reviewer, User(pk=999_999)).status_code == 404
        # An organisation has no ID number to show; a staff login is not an owner.
        assert reveal(city_admin, organisation).status_code == 404
        assert reveal(city_admin, reviewer).status_code == 404
        assert not AuditEntry.objects.filter(action="account.id_number_viewed").exists()

    def test_inspectors_and_owners_are_refused_by_role(self, owner, other_owner, inspector):
        declare(owner)
        assert reveal(inspector, owner).status_code == 403
        assert reveal(other_owner, owner).status_code == 403
        assert not views(owner)

    def test_get_is_not_a_view(self, owner, city_admin):
        assert logged_in(city_admin).get(f"/staff/owners/{owner.pk}/id-number/").status_code == 405
        assert not views(owner)

    def test_registration_page_and_the_new_owner_of_an_owner_change(
        self, owner, other_owner, reviewer
    ):
        registration = approved(owner, reviewer)
        html = logged_in(reviewer).get(f"/staff/registrations/{registration.pk}/").content.decode()
        assert f"/staff/owners/{owner.pk}/id-number/" in html and ID not in html
        # The buyer has no machine in 浦东 yet; their owner change there puts them in reach.
        assert reveal(reviewer, other_owner).status_code == 404
        change = owner_change(registration, owner, other_owner)
        assert ChangeRequest.objects.filter(pk=change.pk, new_owner=other_owner).exists()
        html = logged_in(reviewer).get(f"/changes/district/{change.pk}/").content.decode()
        assert f"/staff/owners/{other_owner.pk}/id-number/" in html
        assert "110101199003074530" not in html
        assert reveal(reviewer, other_owner).status_code == 200


class TestOwnAccount:
    def test_the_owner_sees_it_masked_and_reveals_it_audited(self, owner):
        client = logged_in(owner)
        html = client.get("/account/").content.decode()
        assert MASKED in html and ID not in html and "/account/id-number/" in html
        response = client.post("/account/id-number/", HTTP_HX_REQUEST="true")
        assert ID in response.content.decode() and "no-store" in response["Cache-Control"]
        assert views(owner)[0].actor == owner

    def test_an_organisation_has_none(self, organisation):
        client = logged_in(organisation)
        assert "/account/id-number/" not in client.get("/account/").content.decode()
        assert client.post("/account/id-number/").status_code == 404


class TestApi:
    def test_staff_endpoint(self, owner, reviewer, reviewer_other_district):
        declare(owner)
        response = api_reveal(reviewer, f"/api/v1/staff/owners/{owner.pk}/id-number")
        assert response.status_code == 200, response.content
        assert response.json() == {"id": owner.pk, "name": owner.name, "id_number": ID}
        assert "no-store" in response["Cache-Control"]
        assert views(owner)[0].data == {"via": "api"}
        refused = api_reveal(reviewer_other_district, f"/api/v1/staff/owners/{owner.pk}/id-number")
        assert refused.status_code == 404 and refused.json()["error"]["code"]
        assert ID not in refused.content.decode()
        assert len(views(owner)) == 1

    def test_own_number(self, owner, organisation):
        response = api_reveal(owner, "/api/v1/me/id-number")
        assert response.status_code == 200 and response.json()["id_number"] == ID
        assert api_reveal(organisation, "/api/v1/me/id-number").status_code == 404
        # Everywhere else the API masks it.
        from accounts import actions

        token = actions.issue_api_token(acting_user=owner)
        me = logged_in(owner).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert me.json()["identifier"] == MASKED

    def test_the_search_finds_by_number_but_answers_masked(self, owner, reviewer):
        from accounts import actions

        token = actions.issue_api_token(acting_user=reviewer)
        found = logged_in(reviewer).get(
            "/api/v1/staff/owners", {"q": ID.lower()}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert [o["identifier"] for o in found.json()] == [MASKED]


def test_make_user_keeps_working_with_the_property(db):
    user = make_user("13800000077", "赵九", kind="person", id_number="310115198001011238")
    assert User.objects.get(pk=user.pk).id_number == "310115198001011238"
