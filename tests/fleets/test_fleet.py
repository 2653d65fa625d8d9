"""The fleet list (filters, pages, constant queries) and submitting many drafts at once."""

import pytest
from django.test import Client

from accounts import actions as account_actions
from fleets import actions
from registry import actions as registry_actions
from registry.models import Declaration
from tests.conftest import logged_in
from tests.fleets.conftest import row, xlsx
from tests.registry.helpers import declare, jpeg, photos_for

pytestmark = pytest.mark.django_db


def _import(user, owner, rows):
    job = actions.start_import(acting_user=user, owner=owner, file_name="a.xlsx", data=xlsx(rows))
    job.refresh_from_db()
    return job


def _add_photos(user, declaration):
    for kind in photos_for("machine", True):
        registry_actions.upload_photo(
            acting_user=user, declaration=declaration, kind=kind, data=jpeg()
        )


class TestFleetList:
    def test_filters(self, organisation):
        _import(
            organisation,
            organisation,
            [
                row(1),
                row(2, machine_type="叉车", district="黄浦区"),
                row(
                    3, machine_type="叉车", factory_serial="", machine_env_code="LGCE0000000012345"
                ),
            ],
        )
        submitted = declare(organisation)
        client = logged_in(organisation)

        def ids(query: str = "") -> set[int]:
            page = client.get(f"/fleet/?{query}").content.decode()
            return {
                d.pk for d in Declaration.objects.all() if f'href="/declarations/{d.pk}/"' in page
            }

        everything = set(Declaration.objects.values_list("pk", flat=True))
        assert ids() == everything
        forklifts = set(
            Declaration.objects.filter(machine_type="叉车").values_list("pk", flat=True)
        )
        assert ids("machine_type=叉车") == forklifts
        assert ids("district=A") == {Declaration.objects.get(district="A").pk}
        assert ids("status=submitted") == {submitted.pk}
        assert ids("q=sn-000002") == {Declaration.objects.get(factory_serial="SN-000002").pk}
        assert ids("q=LGCE00000000") == {
            Declaration.objects.get(machine_env_code__startswith="LGCE").pk
        }

    def test_only_drafts_have_a_checkbox(self, organisation):
        draft = _import(organisation, organisation, [row(1)]).machines.get().declaration
        submitted = declare(organisation)
        page = logged_in(organisation).get("/fleet/").content.decode()
        assert f'name="ids" value="{draft.pk}"' in page
        assert f'name="ids" value="{submitted.pk}"' not in page

    def test_queries_do_not_grow_with_the_fleet(self, organisation, django_assert_num_queries):
        client = logged_in(organisation)
        _import(organisation, organisation, [row(i) for i in range(3)])
        # session, user, the owners acted for (accounts.queries.acting_for_ids), count, page
        with django_assert_num_queries(5):
            client.get("/fleet/")
        _import(organisation, organisation, [row(i) for i in range(3, 60)])
        with django_assert_num_queries(5):
            response = client.get("/fleet/?page=2")
        assert response.status_code == 200

    def test_staff_see_the_organisations_fleet_and_no_other(
        self, organisation, org_staff_member, other_organisation
    ):
        ours = _import(organisation, organisation, [row(1)]).machines.get().declaration
        theirs = (
            _import(other_organisation, other_organisation, [row(1)]).machines.get().declaration
        )
        by_staff = _import(org_staff_member, organisation, [row(2)]).machines.get().declaration
        page = logged_in(org_staff_member).get("/fleet/").content.decode()
        assert f'href="/declarations/{ours.pk}/"' in page
        assert f'href="/declarations/{by_staff.pk}/"' in page
        assert f'href="/declarations/{theirs.pk}/"' not in page
        # The main account sees who filed what.
        assert "单位员工甲" in logged_in(organisation).get("/fleet/").content.decode()


class TestSubmitMany:
    def test_each_draft_on_its_own_with_reasons(self, organisation, org_staff_member):
        job = _import(organisation, organisation, [row(1), row(2), row(3)])
        drafts = [m.declaration for m in job.machines.order_by("row")]
        _add_photos(org_staff_member, drafts[0])
        response = logged_in(org_staff_member).post(
            "/fleet/submit/", {"ids": [d.pk for d in drafts]}
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert page.count('data-testid="submit-ok"') == 1
        assert page.count('data-testid="submit-failed"') == 2
        assert "机身正面" in page  # why the others could not go
        statuses = dict(Declaration.objects.values_list("pk", "status"))
        assert [statuses[d.pk] for d in drafts] == ["submitted", "draft", "draft"]
        assert Declaration.objects.get(pk=drafts[0].pk).round_history.get().submitted_by == (
            org_staff_member
        )

    def test_other_owners_drafts_are_not_touched(self, organisation, other_organisation):
        theirs = _import(other_organisation, other_organisation, [row(1)]).machines.get()
        _add_photos(other_organisation, theirs.declaration)
        page = logged_in(organisation).post("/fleet/submit/", {"ids": [theirs.declaration_id]})
        assert "未找到或不属于本单位" in page.content.decode()
        assert Declaration.objects.get(pk=theirs.declaration_id).status == "draft"

    def test_nothing_selected(self, organisation):
        response = logged_in(organisation).post("/fleet/submit/", {}, follow=True)
        assert "请先勾选" in response.content.decode()

    def test_api(self, organisation, other_organisation):
        job = _import(organisation, organisation, [row(1), row(2)])
        drafts = [m.declaration for m in job.machines.order_by("row")]
        _add_photos(organisation, drafts[1])
        theirs = _import(other_organisation, other_organisation, [row(1)]).machines.get()
        token = account_actions.issue_api_token(acting_user=organisation)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(
            "/api/v1/declarations/submit-many",
            {"ids": [drafts[0].pk, drafts[1].pk, theirs.declaration_id]},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["submitted"], body["failed"]) == (1, 2)
        by_id = {r["id"]: r for r in body["results"]}
        assert by_id[drafts[1].pk]["status"] == "submitted"
        assert "front" in by_id[drafts[0].pk]["problems"]
        assert by_id[theirs.declaration_id]["problems"] == {"not_found": "未找到该申报"}
        fleet = client.get("/api/v1/fleet?status=draft").json()
        assert fleet["count"] == 1 and fleet["results"][0]["id"] == drafts[0].pk
