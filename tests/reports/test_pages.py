"""The public's pages (form, confirmation, follow) and the district's back office: errors
next to their fields, outsiders refused, the city read-only, lists cheap."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import SmsMessage
from reports import actions
from reports.constants import ReportStatus
from reports.models import PublicReport, ReportNote
from tests.changes.helpers import approved
from tests.conftest import logged_in
from tests.registry.helpers import jpeg
from tests.reports.helpers import VALID, filed, reload

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def upload(color: str = "orange") -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", jpeg(color), "image/jpeg")


class TestPublicForm:
    def test_the_form_opens_without_login(self, client):
        response = client.get("/report/")
        assert response.status_code == 200
        body = page(response)
        assert "举报非道路移动机械" in body and 'name="website"' in body
        assert "浦东新区" in body

    def test_the_number_is_pre_filled_from_the_verify_page(self, client, owner, reviewer):
        registration = approved(owner, reviewer)
        result = page(client.get(f"/v/{registration.short_number}/"))
        assert "举报这台机械" in result
        assert "/report/?number=" in result
        body = page(client.get("/report/", {"number": registration.short_number}))
        assert f'value="{registration.short_number}"' in body

    def test_the_check_page_links_here(self, client):
        body = page(client.get("/check/"))
        assert 'href="/report/"' in body and 'href="/report/follow/"' in body

    def test_file_a_report_and_see_the_code(self, client):
        response = client.post(
            "/report/", {**VALID, "contact_phone": "13912345678", "photos": [upload()]}
        )
        assert response.status_code == 302 and response["Location"] == "/report/filed/"
        report = PublicReport.objects.get()
        assert report.photos.count() == 1 and report.contact_phone == "13912345678"
        body = page(client.get("/report/filed/"))
        assert report.display_code in body
        assert f"/report/follow/?code={report.code}" in body

    def test_the_confirmation_needs_a_filed_report(self, client):
        response = client.get("/report/filed/")
        assert response.status_code == 302 and response["Location"] == "/report/"

    def test_errors_next_to_their_fields_and_values_kept(self, client):
        response = client.post(
            "/report/",
            {**VALID, "place": "", "observed_at": "2026-12-01T08:00", "contact_phone": "123"},
        )
        assert response.status_code == 400
        body = page(response)
        assert 'id="err_place"' in body and "请填写发现地点" in body
        assert 'id="err_observed_at"' in body and "发现时间不能晚于现在" in body
        assert 'id="err_contact_phone"' in body
        assert "挖掘机未悬挂环保标志" in body  # the description is kept
        assert not PublicReport.objects.exists()

    def test_a_bad_photo_is_refused_clearly(self, client):
        bad = SimpleUploadedFile("a.jpg", b"not an image", "image/jpeg")
        response = client.post("/report/", {**VALID, "photos": [upload(), bad]})
        assert response.status_code == 400
        assert 'id="err_photos"' in page(response) and "第2张照片" in page(response)
        assert not PublicReport.objects.exists()

    def test_too_many_photos(self, client):
        response = client.post("/report/", {**VALID, "photos": [upload() for _ in range(7)]})
        assert response.status_code == 400 and "最多上传6张照片" in page(response)

    def test_an_oversized_photo_is_refused_before_reading(self, client, monkeypatch):
        monkeypatch.setattr("inspections.uploads.MAX_UPLOAD_BYTES", 10)
        response = client.post("/report/", {**VALID, "photos": [upload()]})
        assert response.status_code == 400 and "照片不能超过" in page(response)

    def test_the_honeypot(self, client):
        response = client.post("/report/", {**VALID, "website": "http://spam.example"})
        assert response.status_code == 400 and "提交失败" in page(response)
        assert not PublicReport.objects.exists()

    def test_rate_limit_gives_a_clear_message(self, client, settings):
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 2
        for _ in range(2):
            assert client.post("/report/", VALID).status_code == 302
        response = client.post("/report/", VALID)
        assert response.status_code == 429
        assert "提交过于频繁" in page(response) and 'role="alert"' in page(response)
        assert PublicReport.objects.count() == 2

    def test_a_report_sent_again_is_the_first_one(self, client):
        """The answer lost on the way (no cookie came back): sent again from another
        connection with the form's key, the same report and code, not a second one."""
        key = re.search(r'name="form_key" value="([^"]+)"', page(client.get("/report/")))
        assert key
        form = {**VALID, "photos": [upload()], "form_key": key.group(1)}
        assert client.post("/report/", form).status_code == 302
        report = PublicReport.objects.get()
        retry = Client()
        form["photos"] = [upload()]
        assert retry.post("/report/", form)["Location"] == "/report/filed/"
        assert report.code in page(retry.get("/report/filed/"))
        assert PublicReport.objects.count() == 1 and report.photos.count() == 1

    def test_a_refused_report_keeps_its_key(self, client, settings):
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 0
        key = re.search(r'name="form_key" value="([^"]+)"', page(client.get("/report/")))
        assert key
        refused = client.post("/report/", {**VALID, "form_key": key.group(1)})
        assert refused.status_code == 429 and key.group(1) in page(refused)
        settings.NRMM_PUBLIC_REPORTS_PER_HOUR = 5
        assert client.post("/report/", {**VALID, "form_key": key.group(1)}).status_code == 302
        assert PublicReport.objects.count() == 1


class TestFollow:
    def test_follow_shows_progress_without_personal_data(self, client, reviewer):
        report = filed(contact_name="王先生", contact_phone="13912345678")
        actions.assign(acting_user=reviewer, report=report)
        actions.add_note(acting_user=reviewer, report=report, text="内部记录：联系了机主")
        actions.close(acting_user=reviewer, report=report, outcome="confirmed", text="已整改")
        response = client.get("/report/follow/", {"code": report.display_code.lower()})
        assert response.status_code == 200
        body = page(response)
        assert "已办结" in body and "查实并处理" in body and "已整改" in body
        assert "浦东新区" in body
        for secret in ("13912345678", "5678", "王先生", reviewer.name, "内部记录", "张江路"):
            assert secret not in body, secret

    def test_follow_form(self, client):
        assert 'name="code"' in page(client.get("/report/follow/"))

    def test_wrong_code(self, client):
        filed()
        response = client.get("/report/follow/", {"code": "ZZZZZ-ZZZZZ"})
        assert response.status_code == 404 and "没有找到" in page(response)

    def test_malformed_code(self, client):
        response = client.get("/report/follow/", {"code": "12"})
        assert response.status_code == 400 and "查询码为10位" in page(response)

    def test_follow_is_rate_limited(self, client, settings):
        settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE = 2
        for _ in range(2):
            client.get("/report/follow/", {"code": "ZZZZZ-ZZZZZ"})
        response = client.get("/report/follow/", {"code": "ZZZZZ-ZZZZZ"})
        assert response.status_code == 429 and "查询过于频繁" in page(response)


@pytest.fixture
def report(db):
    return filed(contact_name="王先生", contact_phone="13912345678", photos=[jpeg()])


class TestBackOfficeList:
    def test_the_district_sees_its_reports_oldest_first(self, reviewer, report):
        other = filed(district="K", place="闵行某工地")
        newer = filed(place="浦东第二工地")
        body = page(logged_in(reviewer).get("/staff/reports/"))
        assert body.index(report.display_code) < body.index(newer.display_code)
        assert other.display_code not in body

    def test_filters(self, reviewer, report):
        closed = filed(place="浦东第二工地")
        actions.close(acting_user=reviewer, report=closed, outcome="duplicate", text="重复")
        client = logged_in(reviewer)
        open_page = page(client.get("/staff/reports/"))
        assert report.display_code in open_page and closed.display_code not in open_page
        done = page(client.get("/staff/reports/", {"status": "closed", "outcome": "duplicate"}))
        assert closed.display_code in done and report.display_code not in done
        stale = client.get("/staff/reports/", {"status": "nonsense", "outcome": "x"})
        assert stale.status_code == 200

    def test_city_admin_sees_every_district_and_filters_one(self, city_admin, report):
        other = filed(district="K", place="闵行某工地")
        client = logged_in(city_admin)
        body = page(client.get("/staff/reports/"))
        assert report.display_code in body and other.display_code in body and "只读" in body
        only_k = page(client.get("/staff/reports/", {"district": "K"}))
        assert other.display_code in only_k and report.display_code not in only_k

    def test_constant_queries(self, reviewer, clerk_l, django_assert_num_queries):
        client = logged_in(reviewer)
        client.get("/staff/reports/")  # warm up the session

        def measure() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get("/staff/reports/").status_code == 200
            return len(ctx.captured_queries)

        filed(photos=[jpeg()])
        one = measure()
        for i in range(5):
            r = filed(address=f"192.0.2.{i}", photos=[jpeg(), jpeg("blue")])
            actions.assign(acting_user=reviewer, report=r, assignee=clerk_l)
            actions.add_note(acting_user=clerk_l, report=r, text="记录")
        assert measure() == one
        with django_assert_num_queries(one):
            client.get("/staff/reports/")

    def test_the_back_office_home_links_here(self, reviewer, city_admin, inspector):
        assert "/staff/reports/" in page(logged_in(reviewer).get("/staff/"))
        assert "/staff/reports/" in page(logged_in(city_admin).get("/staff/"))
        assert "/staff/reports/" not in page(logged_in(inspector).get("/staff/"))


class TestBackOfficeDetail:
    def test_the_district_sees_everything_with_the_full_phone(self, reviewer, report):
        body = page(logged_in(reviewer).get(f"/staff/reports/{report.pk}/"))
        assert "13912345678" in body and "王先生" in body and "张江路" in body
        assert f"/staff/report-photos/{report.photos.get().pk}/" in body
        assert f'action="/staff/reports/{report.pk}/assign/"' in body
        assert f'action="/staff/reports/{report.pk}/close/"' in body

    def test_city_admin_reads_with_the_phone_masked(self, city_admin, report):
        client = logged_in(city_admin)
        body = page(client.get(f"/staff/reports/{report.pk}/"))
        assert "139****5678" in body and "13912345678" not in body
        assert "/assign/" not in body and "/close/" not in body and "只读" in body
        photo = report.photos.get()
        assert client.get(f"/staff/report-photos/{photo.pk}/").status_code == 200
        for action in ("assign", "note", "close", "reopen"):
            response = client.post(f"/staff/reports/{report.pk}/{action}/", {"text": "x"})
            assert response.status_code == 403, action
        assert reload(report).status == ReportStatus.RECEIVED and not ReportNote.objects.exists()

    def test_outsider_district_gets_404(self, reviewer_other_district, clerk, report):
        photo = report.photos.get()
        for user in (reviewer_other_district, clerk):
            client = logged_in(user)
            assert client.get(f"/staff/reports/{report.pk}/").status_code == 404
            assert client.get(f"/staff/report-photos/{photo.pk}/").status_code == 404
            for action in ("assign", "note", "close", "reopen"):
                response = client.post(f"/staff/reports/{report.pk}/{action}/", {"text": "x"})
                assert response.status_code == 404, action
        assert not ReportNote.objects.exists()

    def test_missing_is_404_alike(self, reviewer):
        assert logged_in(reviewer).get("/staff/reports/999/").status_code == 404

    def test_owner_inspector_and_the_public_are_refused(self, owner, inspector, report):
        assert logged_in(owner).get(f"/staff/reports/{report.pk}/").status_code == 403
        assert logged_in(inspector).get("/staff/reports/").status_code == 403
        response = Client().get(f"/staff/reports/{report.pk}/")
        assert response.status_code == 302 and "login" in response["Location"]
        photo = report.photos.get()
        assert Client().get(f"/staff/report-photos/{photo.pk}/").status_code == 302

    def test_photo_is_served_privately(self, reviewer, report):
        response = logged_in(reviewer).get(f"/staff/report-photos/{report.photos.get().pk}/")
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("private")

    def test_assign_note_close_and_reopen(
        self, reviewer, clerk_l, report, django_capture_on_commit_callbacks
    ):
        client = logged_in(reviewer)
        url = f"/staff/reports/{report.pk}/"
        response = client.post(url + "assign/", {"assignee": clerk_l.pk}, follow=True)
        assert "已分派给浦东窗口" in page(response)
        assert reload(report).assigned_to == clerk_l
        response = client.post(url + "note/", {"text": "已联系工地"}, follow=True)
        assert "已联系工地" in page(response)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url + "close/", {"outcome": "confirmed", "outcome_text": "已责令整改"}, follow=True
            )
        assert "已办结，并已短信告知举报人" in page(response)
        assert reload(report).status == ReportStatus.CLOSED
        assert SmsMessage.objects.filter(phone="13912345678").exists()
        body = page(client.get(url))
        assert "/close/" not in body and "/reopen/" in body
        response = client.post(url + "reopen/", {"reason": "举报人补充材料"}, follow=True)
        assert "已重新办理" in page(response)
        assert reload(report).status == ReportStatus.ASSIGNED

    def test_errors_are_shown_on_the_page(self, reviewer, reviewer_other_district, report):
        client = logged_in(reviewer)
        url = f"/staff/reports/{report.pk}/"
        response = client.post(url + "close/", {"outcome": "", "outcome_text": "草稿答复"})
        assert response.status_code == 400
        assert "请选择办理结果" in page(response) and "草稿答复" in page(response)
        response = client.post(url + "note/", {"text": ""})
        assert response.status_code == 400 and "请填写处理记录" in page(response)
        for value in (reviewer_other_district.pk, "abc", 99999):
            response = client.post(url + "assign/", {"assignee": value})
            assert response.status_code == 400 and "本区" in page(response)
        response = client.post(url + "reopen/", {"reason": "x"})
        assert response.status_code == 409 and "待处理" in page(response)

    def test_assign_to_self_by_default(self, clerk_l, report):
        logged_in(clerk_l).post(f"/staff/reports/{report.pk}/assign/", {})
        assert reload(report).assigned_to == clerk_l


def test_observed_default_is_now(client):
    body = page(client.get("/report/"))
    assert 'value="2026-11-23T10:00"' in body and 'max="2026-11-23T10:00"' in body


def test_the_admin_reads_with_the_phone_masked(city_admin, report):
    client = logged_in(city_admin)
    listing = client.get("/admin/reports/publicreport/")
    assert listing.status_code == 200 and report.code in page(listing)
    detail = client.get(f"/admin/reports/publicreport/{report.pk}/change/")
    assert detail.status_code == 200
    assert "139****5678" in page(detail) and "13912345678" not in page(detail)
    assert client.get("/admin/reports/publicreport/add/").status_code == 403
