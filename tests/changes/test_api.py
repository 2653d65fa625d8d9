"""Changes over the API: the same actions, the same error shape {"error": {...}}."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import actions as account_actions
from changes.constants import ChangeStatus
from changes.models import ChangePhoto, ChangeRequest
from registry.constants import RegistrationStatus
from tests.changes.helpers import ENGINE, reissue, reload
from tests.conftest import last_code
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=user)}"}


def photo(color: str = "orange") -> SimpleUploadedFile:
    return SimpleUploadedFile("p.jpg", jpeg(color), "image/jpeg")


def test_owner_change_end_to_end(client, owner, other_owner, reviewer, machine):
    seller, buyer, desk = bearer(owner), bearer(other_owner), bearer(reviewer)
    base = f"/api/v1/registrations/{machine.pk}/changes"
    sent = client.post(f"{base}/owner-code", **seller)
    assert sent.status_code == 200 and sent.json() == {"sent_to": "138****0001"}
    wrong = client.post(
        f"{base}/owner",
        {
            "new_owner_phone": other_owner.phone,
            "event_date": "2026-11-20",
            "old_owner_code": "000000" if last_code(owner.phone) != "000000" else "111111",
            "agreement_photo": photo(),
        },
        **seller,
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "sms_code_wrong"
    assert wrong.json()["error"]["field"] == "old_owner_code"
    response = client.post(
        f"{base}/owner",
        {
            "new_owner_phone": other_owner.phone,
            "event_date": "2026-11-20",
            "old_owner_code": last_code(owner.phone),
            "agreement_photo": photo(),
        },
        **seller,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "awaiting_new_owner"
    assert body["new_owner_name"] == "钱七"
    assert body["photos"][0]["kind"] == "agreement"
    pk = body["id"]
    # The buyer sees it and confirms with the code on the buyer's phone.
    assert client.get(f"/api/v1/changes/{pk}", **buyer).status_code == 200
    confirmed = client.post(
        f"/api/v1/changes/{pk}/confirm",
        {"code": last_code(other_owner.phone)},
        content_type="application/json",
        **buyer,
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "submitted"
    listed = client.get("/api/v1/changes?status=submitted", **desk).json()
    assert [c["id"] for c in listed] == [pk]
    approved = client.post(
        f"/api/v1/changes/{pk}/approve", {}, content_type="application/json", **desk
    )
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "approved"
    assert body["changes"] == [{"label": "机械所有者", "before": "张三", "after": "钱七"}]
    assert reload(machine).owner == other_owner
    history = client.get(f"/api/v1/registrations/{machine.pk}/changes", **buyer)
    assert [c["id"] for c in history.json()] == [pk]


def test_retrofit_over_the_api(client, owner, reviewer, machine):
    auth, desk = bearer(owner), bearer(reviewer)
    response = client.post(
        f"/api/v1/registrations/{machine.pk}/changes/retrofit",
        {
            **ENGINE,
            "event_date": "2026-11-22",
            "before_photos": [photo("red")],
            "after_photos": [photo("green")],
            "test_report_photos": [photo("blue"), photo("white")],
        },
        **auth,
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert len(response.json()["photos"]) == 4
    refused = client.post(
        f"/api/v1/changes/{pk}/approve", {}, content_type="application/json", **desk
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "site_check_required"
    checked = client.post(
        f"/api/v1/changes/{pk}/site-check",
        {"notes": "铭牌与报告一致"},
        content_type="application/json",
        **desk,
    )
    assert checked.json()["site_check_notes"] == "铭牌与报告一致"
    done = client.post(
        f"/api/v1/changes/{pk}/approve",
        {"override": 3, "override_reason": "检测报告为国三限值"},
        content_type="application/json",
        **desk,
    ).json()
    assert done["new_registration"]["short_number"] == "沪L3-00001"
    assert done["registration"]["status"] == "replaced"
    assert reload(machine).status == RegistrationStatus.REPLACED
    photo_id = done["photos"][0]["id"]
    assert client.get(f"/api/v1/change-photos/{photo_id}", **auth).status_code == 200


def test_field_errors(client, owner, machine):
    response = client.post(
        f"/api/v1/registrations/{machine.pk}/changes/reissue",
        {"reason": "stolen", "event_date": "2099-01-01"},
        **bearer(owner),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"reason", "event_date"}
    assert not ChangeRequest.objects.exists()


def test_location_transfer_out_and_deregistration(client, owner, reviewer, machine):
    auth, desk = bearer(owner), bearer(reviewer)
    base = f"/api/v1/registrations/{machine.pk}/changes"
    moved = client.post(
        f"{base}/location",
        {"district": "K", "since": "2026-11-23"},
        content_type="application/json",
        **auth,
    )
    assert moved.status_code == 201 and moved.json()["status"] == "done"
    assert moved.json()["registration"]["location_district"] == "K"
    out = client.post(
        f"{base}/transfer-out",
        {"destination": "浙江省杭州市", "event_date": "2026-11-22"},
        content_type="application/json",
        **auth,
    ).json()
    scrap = client.post(
        f"{base}/deregistration", {"reason": "scrapped", "event_date": "2026-11-22"}, **auth
    ).json()
    refused = client.post(
        f"/api/v1/changes/{scrap['id']}/approve", {}, content_type="application/json", **desk
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "sign_and_card_recovered"
    ok = client.post(
        f"/api/v1/changes/{scrap['id']}/approve",
        {"sign_and_card_recovered": True},
        content_type="application/json",
        **desk,
    )
    assert ok.json()["registration"]["status"] == "deregistered"
    assert reload(ChangeRequest.objects.get(pk=out["id"])).status == ChangeStatus.REJECTED


def test_reject_and_withdraw(client, owner, reviewer, machine):
    first = reissue(machine, owner)
    rejected = client.post(
        f"/api/v1/changes/{first.pk}/reject",
        {"reason": "请补充说明"},
        content_type="application/json",
        **bearer(reviewer),
    )
    assert rejected.json()["decision_reason"] == "请补充说明"
    second = reissue(machine, owner)
    withdrawn = client.post(f"/api/v1/changes/{second.pk}/withdraw", **bearer(owner))
    assert withdrawn.json()["status"] == "withdrawn"


def test_outsiders_get_404(client, owner, other_owner, reviewer_other_district, machine):
    request = reissue(machine, owner, photos=[jpeg()])
    photo_id = ChangePhoto.objects.get().pk
    stranger, far = bearer(other_owner), bearer(reviewer_other_district)
    for path in (
        f"/api/v1/changes/{request.pk}",
        f"/api/v1/change-photos/{photo_id}",
        f"/api/v1/registrations/{machine.pk}/changes",
    ):
        assert client.get(path, **stranger).status_code == 404, path
        assert client.get(path, **far).status_code == 404, path
    for path in (
        f"/api/v1/registrations/{machine.pk}/changes/owner-code",
        f"/api/v1/registrations/{machine.pk}/changes/reissue",
        f"/api/v1/changes/{request.pk}/withdraw",
        f"/api/v1/changes/{request.pk}/confirm",
    ):
        response = client.post(
            path, {"code": "123456"}, content_type="application/json", **stranger
        )
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    for path in ("approve", "reject", "site-check"):
        response = client.post(
            f"/api/v1/changes/{request.pk}/{path}",
            {"reason": "x", "notes": "x"},
            content_type="application/json",
            **far,
        )
        assert response.status_code == 404, path
    assert client.get("/api/v1/changes", **stranger).json() == []
    assert client.get("/api/v1/changes", **far).json() == []
    assert reload(request).status == ChangeStatus.SUBMITTED


def test_external_registrations(client, owner, reviewer, reviewer_other_district):
    created = client.post(
        "/api/v1/me/external-registrations",
        {
            "city_name": "江苏省苏州市",
            "number": "苏E2-00123",
            "machine_type": "挖掘机",
            "district": "L",
        },
        content_type="application/json",
        **bearer(owner),
    )
    assert created.status_code == 201 and created.json()["exempt"] is True
    assert [
        r["number"] for r in client.get("/api/v1/external-registrations", **bearer(owner)).json()
    ] == ["苏E2-00123"]
    assert len(client.get("/api/v1/external-registrations", **bearer(reviewer)).json()) == 1
    assert (
        client.get("/api/v1/external-registrations", **bearer(reviewer_other_district)).json() == []
    )
    bad = client.post(
        "/api/v1/me/external-registrations",
        {"city_name": "杭州", "number": "", "machine_type": "挖掘机", "district": "L"},
        content_type="application/json",
        **bearer(owner),
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "number"
