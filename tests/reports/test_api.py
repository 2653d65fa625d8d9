"""Public reports over the API: the public files (JSON or multipart) and follows; the
district handles; outsiders refused; bad input in the error shape."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import actions as account_actions
from accounts.models import SmsMessage
from reports import actions
from reports.constants import ReportStatus
from reports.models import PublicReport
from tests.registry.helpers import jpeg
from tests.reports.helpers import VALID, filed, reload

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {account_actions.issue_api_token(acting_user=user)}"}


def post_json(client, path: str, data, **headers):
    return client.post(path, json.dumps(data), content_type="application/json", **headers)


class TestPublic:
    def test_file_with_json(self, client):
        response = post_json(client, "/api/v1/reports", {**VALID, "number": "沪L4-00001"})
        assert response.status_code == 201, response.content
        body = response.json()
        report = PublicReport.objects.get()
        assert body == {
            "code": report.code,
            "display_code": report.display_code,
            "status": "received",
            "status_label": "待处理",
        }

    def test_file_multipart_with_photos(self, client):
        photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg(), "image/jpeg") for i in range(2)]
        response = client.post("/api/v1/reports", {**VALID, "photos": photos})
        assert response.status_code == 201, response.content
        assert PublicReport.objects.get().photos.count() == 2

    def test_bad_input_in_the_error_shape(self, client):
        response = post_json(client, "/api/v1/reports", {**VALID, "place": "", "district": "X"})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["fields"] == {"district": "请从列表中选择区", "place": "请填写发现地点"}

    @pytest.mark.parametrize(
        ("body", "field"),
        [("[1, 2]", None), ("not json", None), ('{"place": 5}', "place")],
    )
    def test_malformed_requests(self, client, body, field):
        response = client.post("/api/v1/reports", body, content_type="application/json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error.get("field") == field

    def test_photos_need_multipart(self, client):
        response = post_json(client, "/api/v1/reports", {**VALID, "photos": ["aGk="]})
        assert response.status_code == 400 and response.json()["error"]["field"] == "photos"

    def test_rate_limited(self, client, settings):
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 1
        assert post_json(client, "/api/v1/reports", VALID).status_code == 201
        response = post_json(client, "/api/v1/reports", VALID)
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "rate_limited"

    def test_follow(self, client, reviewer):
        report = filed(contact_phone="13912345678")
        actions.close(acting_user=reviewer, report=report, outcome="referred", text="已移交城管")
        response = client.get(f"/api/v1/reports/follow/{report.display_code}")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "closed" and body["outcome_label"] == "已移交相关部门处理"
        assert body["outcome_text"] == "已移交城管" and body["district"] == "浦东新区"
        assert "13912345678" not in response.content.decode()
        assert reviewer.name not in response.content.decode()

    def test_follow_wrong_and_malformed_codes(self, client):
        missing = client.get("/api/v1/reports/follow/ZZZZZZZZZZ")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        bad = client.get("/api/v1/reports/follow/abc")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_code"


@pytest.fixture
def report(db):
    return filed(contact_phone="13912345678", photos=[jpeg()])


class TestStaff:
    def test_list_and_detail(self, client, reviewer, report):
        filed(district="K")
        listed = client.get("/api/v1/staff/reports", **bearer(reviewer)).json()
        assert [r["code"] for r in listed] == [report.display_code]
        assert listed[0]["photo_count"] == 1
        detail = client.get(f"/api/v1/staff/reports/{report.pk}", **bearer(reviewer)).json()
        assert detail["contact_phone"] == "13912345678"
        photo_url = detail["photos"][0]["url"]
        photo = client.get(photo_url, **bearer(reviewer))
        assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"

    def test_handle_over_the_api(self, client, reviewer, clerk_l, report):
        auth = bearer(reviewer)
        url = f"/api/v1/staff/reports/{report.pk}"
        body = post_json(client, url + "/assign", {"assignee_id": clerk_l.pk}, **auth).json()
        assert body["status"] == "assigned" and body["assigned_to"]["id"] == clerk_l.pk
        response = post_json(client, url + "/notes", {"text": "现场核查中"}, **auth)
        assert response.status_code == 201 and response.json()["notes"][0]["text"] == "现场核查中"
        body = post_json(
            client, url + "/close", {"outcome": "confirmed", "text": "已处理"}, **auth
        ).json()
        assert body["status"] == "closed" and body["outcome_label"] == "查实并处理"
        again = post_json(client, url + "/close", {"outcome": "confirmed", "text": "x"}, **auth)
        assert again.status_code == 409 and again.json()["error"]["code"] == "wrong_status"
        body = post_json(client, url + "/reopen", {"reason": "补充材料"}, **auth).json()
        assert body["status"] == "assigned"

    def test_bad_input(self, client, reviewer, report):
        auth = bearer(reviewer)
        url = f"/api/v1/staff/reports/{report.pk}"
        response = post_json(client, url + "/close", {"outcome": "x"}, **auth)
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"outcome", "outcome_text"}
        response = post_json(client, url + "/assign", {"assignee_id": 99999}, **auth)
        assert response.status_code == 400 and response.json()["error"]["field"] == "assignee"
        response = post_json(client, url + "/assign", {"assignee_id": "abc"}, **auth)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"

    def test_outsider_district_is_told_not_found(self, client, reviewer_other_district, report):
        auth = bearer(reviewer_other_district)
        url = f"/api/v1/staff/reports/{report.pk}"
        assert client.get(url, **auth).status_code == 404
        assert client.get("/api/v1/staff/reports", **auth).json() == []
        photo = report.photos.get()
        assert client.get(f"/api/v1/staff/report-photos/{photo.pk}", **auth).status_code == 404
        for action, data in (("assign", {}), ("notes", {"text": "x"}), ("close", {})):
            response = post_json(client, f"{url}/{action}", data, **auth)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        assert reload(report).status == ReportStatus.RECEIVED

    def test_city_admin_reads_masked_and_cannot_act(self, client, city_admin, report):
        auth = bearer(city_admin)
        url = f"/api/v1/staff/reports/{report.pk}"
        assert client.get(url, **auth).json()["contact_phone"] == "139****5678"
        response = post_json(client, url + "/assign", {}, **auth)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"

    def test_owner_and_public_refused(self, client, owner, report):
        url = f"/api/v1/staff/reports/{report.pk}"
        assert client.get(url, **bearer(owner)).status_code == 403
        assert client.get(url).status_code == 401
        assert not SmsMessage.objects.exists()


def test_openapi_documents_both_bodies(client):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}


def test_the_staff_list_costs_the_same_however_long(
    client, reviewer, clerk_l, django_assert_num_queries
):
    auth = bearer(reviewer)
    filed(photos=[jpeg()])
    client.get("/api/v1/staff/reports", **auth)  # the token's first use writes last_used_at
    # Token look-up, the list: measured once, then the same with five more reports.
    with CaptureQueriesContext(connection) as first:
        assert len(client.get("/api/v1/staff/reports", **auth).json()) == 1
    for i in range(5):
        r = filed(address=f"192.0.2.{i}", photos=[jpeg()])
        actions.assign(acting_user=reviewer, report=r, assignee=clerk_l)
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(client.get("/api/v1/staff/reports", **auth).json()) == 6
