"""Spot checks and rectification over the API: the same actions, the same error shape."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import actions as account_actions
from accounts.models import SmsMessage
from inspections.models import Rectification, SpotCheck
from registry.models import Registration
from tests.api.test_accounts_api import call
from tests.inspections.helpers import TODAY, approved, failed_check, order, other_inspector
from tests.registry.helpers import jpeg


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def machine(db, owner, reviewer) -> Registration:
    return approved(owner, reviewer)


def token(user) -> str:
    return account_actions.issue_api_token(acting_user=user)


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token(user)}"}


FIELDS = {
    "number": "沪l4－00001",
    "location": "浦东新区张江路1号工地",
    "sign_present": "true",
    "sign_matches": "true",
    "card_present": "true",
    "card_check": "genuine",
    "smoke_visible": "true",
    "notes": "冒黑烟",
}


def photo(data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile("p.jpg", data if data is not None else jpeg(), "image/jpeg")


@pytest.mark.django_db
def test_check_order_answer_close(client, owner, reviewer, inspector, machine):
    auth = bearer(inspector)
    response = client.post(
        "/api/v1/spot-checks", {**FIELDS, "photos": [photo(), photo(jpeg("blue"))]}, **auth
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["result"] == "failed" and body["reasons"] == ["smoke_visible"]
    assert body["reason_labels"] == ["排气可见黑烟"]
    assert body["registration"]["short_number"] == "沪L4-00001"
    assert body["registration"]["stage_label"] == "国4"
    assert "owner" not in str(body["registration"])
    assert body["department_label"] == "建设" and len(body["photos"]) == 2
    pk = body["id"]
    photo_response = client.get(body["photos"][0]["url"], **auth)
    assert photo_response["Content-Type"] == "image/jpeg"
    assert photo_response["X-Content-Type-Options"] == "nosniff"
    assert [c["id"] for c in client.get("/api/v1/spot-checks", **auth).json()] == [pk]
    assert client.get(f"/api/v1/spot-checks/{pk}", **auth).json()["id"] == pk

    staff = token(reviewer)
    listed = call(client, "get", "spot-checks?result=failed", token=staff).json()
    assert [c["id"] for c in listed] == [pk]
    assert call(client, "get", "spot-checks?result=passed", token=staff).json() == []
    response = call(
        client,
        "post",
        f"spot-checks/{pk}/rectification",
        {"requirement": "", "due_date": "2026-11-01"},
        token=staff,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"] == {
        "requirement": "请填写整改要求",
        "due_date": "整改期限不能早于今天",
    }
    response = call(
        client,
        "post",
        f"spot-checks/{pk}/rectification",
        {"requirement": "加装DPF", "due_date": "2026-12-07"},
        token=staff,
    )
    assert response.status_code == 201, response.content
    rectification = response.json()
    assert rectification["status"] == "ordered" and rectification["due_date"] == "2026-12-07"
    r = rectification["id"]

    mine = token(owner)
    assert [x["id"] for x in call(client, "get", "rectifications", token=mine).json()] == [r]
    response = client.post(
        f"/api/v1/rectifications/{r}/answer",
        {"text": "已加装DPF", "photos": [photo()]},
        HTTP_AUTHORIZATION=f"Bearer {mine}",
    )
    assert response.status_code == 200, response.content
    answered = response.json()
    assert answered["status"] == "answered" and answered["answers"][0]["text"] == "已加装DPF"
    answer_photo = answered["answers"][0]["photos"][0]["url"]
    assert client.get(answer_photo, HTTP_AUTHORIZATION=f"Bearer {mine}").status_code == 200

    response = call(client, "post", f"rectifications/{r}/close", {"accepted": False}, token=staff)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "退回整改时请填写审核意见",
            "field": "note",
            "fields": {"note": "退回整改时请填写审核意见"},
        }
    }
    response = call(
        client, "post", f"rectifications/{r}/close", {"accepted": True, "note": "合格"}, token=staff
    )
    assert response.status_code == 200
    closed = response.json()
    assert (closed["status"], closed["outcome"]) == ("closed", "accepted")
    assert closed["answers"][0]["outcome"] == "accepted"
    response = call(client, "post", f"rectifications/{r}/close", {"accepted": True}, token=staff)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_answered"


@pytest.mark.django_db
def test_bad_input_and_refusals(client, city_admin, inspector, machine):
    auth = bearer(inspector)
    response = client.post(
        "/api/v1/spot-checks", {**FIELDS, "photos": [photo(), photo(b"")]}, **auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "photo_empty"
    assert response.json()["error"]["field"] == "photos"
    assert not SpotCheck.objects.exists()
    response = client.post("/api/v1/spot-checks", {**FIELDS, "card_check": "absent"}, **auth)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "card_check"
    response = client.post("/api/v1/spot-checks", {"number": "沪L4-00001"}, **auth)
    assert response.status_code == 422
    # The city administrator reads, but does not record checks.
    response = client.post("/api/v1/spot-checks", FIELDS, **bearer(city_admin))
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"


@pytest.mark.django_db
def test_outsiders_get_404_on_every_endpoint(
    client, owner, other_owner, reviewer, reviewer_other_district, clerk, inspector, machine
):
    check = failed_check(inspector, machine)
    response = client.post(
        "/api/v1/spot-checks", {**FIELDS, "photos": [photo()]}, **bearer(inspector)
    )
    check_photo = response.json()["photos"][0]["url"]
    rectification = order(reviewer, check)
    answered = client.post(
        f"/api/v1/rectifications/{rectification.pk}/answer",
        {"text": "已修", "photos": [photo()]},
        **bearer(owner),
    ).json()
    answer_photo = answered["answers"][0]["photos"][0]["url"]
    r = rectification.pk
    staff_calls = [
        ("get", f"spot-checks/{check.pk}", None),
        ("get", check_photo.removeprefix("/api/v1/"), None),
        ("post", f"spot-checks/{check.pk}/rectification", {"requirement": "x"}),
        ("get", f"rectifications/{r}", None),
        ("post", f"rectifications/{r}/close", {"accepted": True}),
        ("get", answer_photo.removeprefix("/api/v1/"), None),
    ]
    for user in (reviewer_other_district, clerk):
        t = token(user)
        for method, path, body in staff_calls:
            assert call(client, method, path, body, token=t).status_code == 404, (user, path)
        assert call(client, "get", "spot-checks", token=t).json() == []
        assert call(client, "get", "rectifications", token=t).json() == []
    t = token(other_inspector())
    for method, path, body in staff_calls[:2] + staff_calls[3:4] + staff_calls[5:]:
        assert call(client, method, path, body, token=t).status_code == 404, path
    assert call(client, "get", "spot-checks", token=t).json() == []
    t = token(other_owner)
    for path in (f"rectifications/{r}", answer_photo.removeprefix("/api/v1/")):
        assert call(client, "get", path, token=t).status_code == 404
    response = client.post(
        f"/api/v1/rectifications/{r}/answer", {"text": "x"}, HTTP_AUTHORIZATION=f"Bearer {t}"
    )
    assert response.status_code == 404
    assert call(client, "get", "rectifications", token=t).json() == []
    assert Rectification.objects.get().status == "answered"


@pytest.mark.django_db
def test_sms_to_the_owner_on_order_and_close(
    client, owner, reviewer, inspector, machine, django_capture_on_commit_callbacks
):
    check = failed_check(inspector, machine)
    staff = token(reviewer)
    before = SmsMessage.objects.filter(phone=owner.phone).count()
    with django_capture_on_commit_callbacks(execute=True):
        r = call(
            client,
            "post",
            f"spot-checks/{check.pk}/rectification",
            {"requirement": "加装DPF", "due_date": "2026-12-07"},
            token=staff,
        ).json()["id"]
    client.post(f"/api/v1/rectifications/{r}/answer", {"text": "已修"}, **bearer(owner))
    with django_capture_on_commit_callbacks(execute=True):
        call(
            client,
            "post",
            f"rectifications/{r}/close",
            {"accepted": False, "note": "不清楚"},
            token=staff,
        )
    bodies = list(
        SmsMessage.objects.filter(phone=owner.phone).order_by("id").values_list("body", flat=True)
    )[before:]
    assert len(bodies) == 2
    assert "责令整改" in bodies[0] and "2026-12-07" in bodies[0]
    assert "未通过审核" in bodies[1] and "不清楚" in bodies[1]


@pytest.mark.django_db
def test_openapi_operation_ids(client):
    schema = client.get("/api/v1/openapi.json").json()
    ids = {
        op["operationId"]
        for path, ops in schema["paths"].items()
        for op in ops.values()
        if "spot-check" in path or "rectification" in path
    }
    assert ids == {
        "spot_checks",
        "spot_checks_create",
        "spot_check",
        "spot_check_photo",
        "spot_check_rectification",
        "rectifications",
        "rectification",
        "rectification_answer",
        "rectification_close",
        "rectification_photo",
    }
