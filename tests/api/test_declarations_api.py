import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import actions as account_actions
from tests.api.test_accounts_api import call
from tests.registry.helpers import BASIC_DATA, MACHINE_DATA, START_DATA, jpeg


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        yield


def token(user) -> str:
    return account_actions.issue_api_token(acting_user=user)


@pytest.mark.django_db
def test_owner_declares_and_reviewer_approves(
    client, owner, reviewer, other_owner, reviewer_other_district
):
    t = token(owner)
    response = call(client, "post", "declarations", START_DATA, token=t)
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    for kind in ("front", "rear", "front_45", "machine_nameplate"):
        response = client.post(
            f"/api/v1/declarations/{pk}/photos",
            {"kind": kind, "file": SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")},
            HTTP_AUTHORIZATION=f"Bearer {t}",
        )
        assert response.status_code == 201, response.content
    photo_url = response.json()["url"]
    assert client.get(photo_url, HTTP_AUTHORIZATION=f"Bearer {t}")["Content-Type"] == "image/jpeg"
    outsider = token(other_owner)
    assert client.get(photo_url, HTTP_AUTHORIZATION=f"Bearer {outsider}").status_code == 404
    for step, data in ((1, BASIC_DATA), (2, {"has_nameplates": True}), (3, MACHINE_DATA), (4, {})):
        response = call(client, "put", f"declarations/{pk}/steps/{step}", {"data": data}, token=t)
        assert response.status_code == 200, response.content
    check = call(
        client,
        "post",
        "identification-checks",
        {"group": "machine_env_code", "value": "*LSH12345X67890123*"},
        token=t,
    ).json()
    assert check["value"] == "LSH12345X67890123" and check["error"] is None
    submitted = call(client, "post", f"declarations/{pk}/submit", token=t).json()
    assert submitted["status"] == "submitted" and submitted["stage_label"] == "国4"
    assert submitted["review_due"] == "2026-12-07" and submitted["working_days_left"] == 10

    # Outsiders: another owner, a reviewer of another district.
    assert call(client, "get", f"declarations/{pk}", token=token(other_owner)).status_code == 404
    other = token(reviewer_other_district)
    assert call(client, "get", f"review/declarations/{pk}", token=other).status_code == 404
    assert (
        call(client, "post", f"review/declarations/{pk}/approve", {}, token=other).status_code
        == 404
    )
    assert call(client, "get", "review/declarations", token=other).json() == []

    r = token(reviewer)
    queue = call(client, "get", "review/declarations", token=r).json()
    assert [d["id"] for d in queue] == [pk]
    approved = call(client, "post", f"review/declarations/{pk}/approve", {}, token=r).json()
    assert approved["number"] == "工程机械沪L4-00001"
    mine = call(client, "get", "declarations", token=t).json()
    assert [(d["status"], d["short_number"]) for d in mine] == [("approved", "沪L4-00001")]
    # The reviewer of the district sees the photos; one of another district does not.
    rt = f"Bearer {r}"
    assert client.get(photo_url, HTTP_AUTHORIZATION=rt).status_code == 200
    assert client.get(photo_url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404


@pytest.mark.django_db
def test_step_errors_have_fields(client, owner):
    t = token(owner)
    pk = call(client, "post", "declarations", START_DATA, token=t).json()["id"]
    response = call(
        client,
        "put",
        f"declarations/{pk}/steps/1",
        {"data": {**BASIC_DATA, "acquisition_date": "2099-01-01", "machine_type": "飞机"}},
        token=t,
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"acquisition_date", "machine_type"}


@pytest.mark.django_db
def test_group_check_tells_what_the_catalogue_knows(client, owner):
    from catalogue.models import CatalogueEntry

    CatalogueEntry.objects.create(
        number="CNFJG4000L53000006000001", kind="machine", stage=4, maker="三一", model="SY215C"
    )
    body = {"group": "machine_disclosure_number", "value": "cnfjg4000l53000006000001"}
    known = call(client, "post", "identification-checks", body, token=token(owner)).json()
    assert known["catalogue"]["maker"] == "三一" and known["catalogue"]["stage"] == 4
    body["value"] = "CNFJG4000L53000006000009"
    unknown = call(client, "post", "identification-checks", body, token=token(owner)).json()
    assert unknown["catalogue"] is None and unknown["error"] is None


@pytest.mark.django_db
def test_counter_intake_over_the_api(client, clerk, owner):
    from tests.conftest import last_code

    t = token(clerk)
    refused = call(client, "post", "declarations", {**START_DATA, "owner_id": owner.pk}, token=t)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "counter_code_required"
    sent = call(client, "post", "counter/intake-codes", {"owner_id": owner.pk}, token=t)
    assert sent.status_code == 202
    body = {
        "owner_id": owner.pk,
        "code": "000000",
        "site_type": "工地",
        "registration_type": "machine",
    }
    wrong = call(client, "post", "counter/declarations", body, token=t)
    if last_code(owner.phone) != "000000":
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "sms_code_wrong"
    body["code"] = last_code(owner.phone)
    started = call(client, "post", "counter/declarations", body, token=t)
    assert started.status_code == 201, started.content
    data = started.json()
    assert data["owner_id"] == owner.pk and data["fields"]["district"] == "A"
    pk = data["id"]
    step = call(client, "put", f"declarations/{pk}/steps/1", {"data": BASIC_DATA}, token=t)
    assert step.status_code == 200


@pytest.mark.django_db
def test_owner_ids_cannot_be_probed(client, owner, other_owner, agent, reviewer):
    """Starting a declaration for someone else: a missing id, another owner's id and a
    staff member's id all get the same answer, and nothing is created."""
    from registry.models import Declaration

    answers = []
    for owner_id in (999_999, other_owner.pk, reviewer.pk, owner.pk):
        body = {**START_DATA, "owner_id": owner_id}
        answers.append(call(client, "post", "declarations", body, token=token(agent)))
    assert {(r.status_code, r.json()["error"]["code"]) for r in answers} == {
        (400, "owner_not_found")
    }
    assert not Declaration.objects.exists()


@pytest.mark.django_db
def test_declarations_list_pages(client, owner):
    from registry.models import Declaration
    from tests.registry.helpers import declare

    template = declare(owner, submit=False)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Declaration._meta.concrete_fields
        if not f.primary_key
    }
    Declaration.objects.bulk_create([Declaration(**fields) for _ in range(6)])
    t = token(owner)
    everything = [d["id"] for d in call(client, "get", "declarations", token=t).json()]
    assert len(everything) == 7  # no page asked for: the whole list, as before
    pages = [
        [d["id"] for d in call(client, "get", f"declarations?limit=3&page={n}", token=t).json()]
        for n in (1, 2, 3, 4)
    ]
    assert pages == [everything[0:3], everything[3:6], everything[6:7], []]
    assert len(call(client, "get", "declarations?page=1", token=t).json()) == 7  # 50 a page
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("page=0", "page")):
        response = call(client, "get", f"declarations?{query}", token=t)
        assert response.status_code == 400
        assert response.json()["error"]["field"] == field
