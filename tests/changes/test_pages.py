"""The owner's change pages (phone) and the district's queue and review pages."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from accounts.models import AgentConsent
from changes import actions
from changes.constants import ChangeKind, ChangeStatus
from changes.models import ChangePhoto, ChangeRequest, ExternalRegistration
from changes.queries import as_of, for_registration
from registry.constants import RegistrationStatus
from registry.models import Registration
from tests.changes.helpers import (
    DAY,
    approved,
    confirmed_owner_change,
    deregistration,
    owner_change,
    reissue,
    reload,
    retrofit,
)
from tests.conftest import last_code, logged_in
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def upload(color: str = "orange", name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(color), "image/jpeg")


class TestOwnerPages:
    def test_home_lists_the_machines(self, owner, machine):
        response = logged_in(owner).get("/changes/")
        assert response.status_code == 200
        assert machine.number in page(response)
        assert f"/changes/registrations/{machine.pk}/" in page(response)

    def test_choose_a_change(self, owner, machine):
        body = page(logged_in(owner).get(f"/changes/registrations/{machine.pk}/"))
        for kind in ChangeKind:
            assert f"/changes/registrations/{machine.pk}/{kind.value}/" in body
        assert "没有信息变更记录" in body

    @pytest.mark.parametrize("kind", [k.value for k in ChangeKind])
    def test_every_form_opens_on_a_phone(self, owner, machine, kind):
        response = logged_in(owner).get(f"/changes/registrations/{machine.pk}/{kind}/")
        assert response.status_code == 200
        body = page(response)
        if kind in ("owner", "dpf", "retrofit", "alteration", "reissue", "deregistration"):
            assert 'accept="image/*" capture="environment"' in body

    def test_unknown_kind_is_404(self, owner, machine):
        assert logged_in(owner).get(f"/changes/registrations/{machine.pk}/x/").status_code == 404

    def test_reissue_filed_from_the_form(self, owner, machine):
        client = logged_in(owner)
        response = client.post(
            f"/changes/registrations/{machine.pk}/reissue/",
            {"reason": "lost", "event_date": "2026-11-20", "photos": [upload()]},
        )
        request = ChangeRequest.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/changes/{request.pk}/"
        assert request.kind == ChangeKind.REISSUE
        assert ChangePhoto.objects.filter(request=request).count() == 1
        body = page(client.get(f"/changes/{request.pk}/"))
        assert "待审核" in body and "遗失" in body
        photo = ChangePhoto.objects.get()
        assert client.get(f"/changes/photos/{photo.pk}/").status_code == 200
        # Open: the kind cannot be chosen again, and the form refuses it.
        assert "办理中" in page(client.get(f"/changes/registrations/{machine.pk}/"))
        again = client.post(
            f"/changes/registrations/{machine.pk}/reissue/",
            {"reason": "lost", "event_date": "2026-11-20"},
        )
        assert again.status_code == 409
        assert "正在办理" in page(again)
        # Withdraw.
        assert client.post(f"/changes/{request.pk}/withdraw/").status_code == 302
        assert reload(request).status == ChangeStatus.WITHDRAWN

    def test_errors_are_shown_beside_the_fields(self, owner, machine):
        response = logged_in(owner).post(
            f"/changes/registrations/{machine.pk}/retrofit/", {"engine_number": "ABC"}
        )
        assert response.status_code == 400
        body = page(response)
        assert "请填写主机制造商" in body
        assert "请上传排放检测报告" in body
        assert not ChangeRequest.objects.exists()

    def test_location_at_once(self, owner, machine):
        response = logged_in(owner).post(
            f"/changes/registrations/{machine.pk}/location/",
            {"district": "K", "since": DAY.isoformat()},
        )
        assert response.status_code == 302
        assert reload(machine).location_district == "K"
        body = page(logged_in(owner).get(f"/changes/registrations/{machine.pk}/"))
        assert "使用区域变更" in body and "闵行区" in body

    def test_owner_change_with_both_codes(self, owner, other_owner, reviewer, machine):
        seller = logged_in(owner)
        sent = seller.post(f"/changes/registrations/{machine.pk}/owner-code/")
        assert sent.status_code == 200 and sent["X-Sms-Sent"] == "1"
        assert "138****0001" in page(sent)
        response = seller.post(
            f"/changes/registrations/{machine.pk}/owner/",
            {
                "new_owner_phone": other_owner.phone,
                "event_date": "2026-11-20",
                "old_owner_code": last_code(owner.phone),
                "agreement_photo": upload("white"),
            },
        )
        assert response.status_code == 302
        request = ChangeRequest.objects.get()
        assert request.status == ChangeStatus.AWAITING_NEW_OWNER

        buyer = logged_in(other_owner)
        body = page(buyer.get("/changes/"))
        assert "有1项机主变更等待您确认" in body
        body = page(buyer.get("/changes/confirm-owner/"))
        assert machine.number in body and "张三" in body
        # The buyer may look at the request and its agreement before confirming.
        assert buyer.get(f"/changes/{request.pk}/").status_code == 200
        wrong = buyer.post("/changes/confirm-owner/", {"request": request.pk, "code": "000000"})
        assert wrong.status_code == 400
        assert "验证码不正确" in page(wrong)
        ok = buyer.post(
            "/changes/confirm-owner/",
            {"request": request.pk, "code": last_code(other_owner.phone)},
        )
        assert ok.status_code == 302
        assert reload(request).status == ChangeStatus.SUBMITTED

        desk = logged_in(reviewer)
        body = page(desk.get(f"/changes/district/{request.pk}/"))
        assert "钱七" in body and "转让协议" in body
        assert desk.post(f"/changes/district/{request.pk}/approve/").status_code == 302
        assert reload(machine).owner == other_owner
        # The machine is the buyer's now; the seller still follows the request.
        assert buyer.get(f"/changes/registrations/{machine.pk}/").status_code == 200
        assert seller.get(f"/changes/registrations/{machine.pk}/").status_code == 404
        assert seller.get(f"/changes/{request.pk}/").status_code == 200

    def test_external_registrations(self, owner, reviewer):
        client = logged_in(owner)
        bad = client.post("/changes/external/", {"city_name": "苏州", "number": ""})
        assert bad.status_code == 400
        ok = client.post(
            "/changes/external/",
            {
                "city_name": "江苏省苏州市",
                "number": "苏E2-00123",
                "machine_type": "挖掘机",
                "district": "L",
            },
        )
        assert ok.status_code == 302
        assert "苏E2-00123" in page(client.get("/changes/external/"))
        assert ExternalRegistration.objects.get().exempt
        assert "苏E2-00123" in page(logged_in(reviewer).get("/changes/district/external/"))


class TestDistrictPages:
    def test_queue_and_review(self, owner, reviewer, machine):
        request = reissue(machine, owner, event_date=DAY.replace(day=1))
        body = page(logged_in(reviewer).get("/changes/district/"))
        assert machine.short_number in body
        assert "视作未按要求固定标志" in body  # late reissue (Art. 13)
        assert (
            page(logged_in(reviewer).get("/changes/district/?flag=late")).count(
                f'data-number="{machine.short_number}"'
            )
            == 1
        )
        assert machine.short_number not in page(
            logged_in(reviewer).get("/changes/district/?kind=dpf")
        )
        body = page(logged_in(reviewer).get(f"/changes/district/{request.pk}/"))
        assert "审核通过" in body and "不予通过" in body

    def test_overdue_review_is_flagged(self, owner, reviewer, machine):
        request = reissue(machine, owner)
        with time_machine.travel("2026-12-08 10:00 +0800", tick=False):
            body = page(logged_in(reviewer).get("/changes/district/?flag=overdue"))
            assert "审核逾期" in body and machine.short_number in body
        assert not reload(request).review_overdue(DAY.replace(day=30))
        assert reload(request).review_overdue(DAY.replace(month=12, day=8))

    def test_retrofit_site_check_and_approval(self, owner, reviewer, machine):
        request = retrofit(machine, owner)
        desk = logged_in(reviewer)
        refused = desk.post(f"/changes/district/{request.pk}/approve/")
        assert refused.status_code == 409
        assert "现场核查" in page(refused)
        assert (
            desk.post(f"/changes/district/{request.pk}/site-check/", {"notes": ""}).status_code
            == 400
        )
        assert (
            desk.post(
                f"/changes/district/{request.pk}/site-check/", {"notes": "铭牌一致"}
            ).status_code
            == 302
        )
        response = desk.post(f"/changes/district/{request.pk}/approve/", follow=True)
        assert "换发新号码工程机械沪L4-00002" in page(response)
        assert reload(machine).status == RegistrationStatus.REPLACED
        body = page(logged_in(owner).get(f"/changes/{request.pk}/"))
        assert "工程机械沪L4-00002" in body

    def test_deregistration_checkbox(self, owner, reviewer, machine):
        request = deregistration(machine, owner)
        desk = logged_in(reviewer)
        refused = desk.post(f"/changes/district/{request.pk}/approve/")
        assert refused.status_code == 400
        assert "收回识别标志和信息采集卡" in page(refused)
        ok = desk.post(f"/changes/district/{request.pk}/approve/", {"sign_and_card_recovered": "1"})
        assert ok.status_code == 302
        assert reload(machine).status == RegistrationStatus.DEREGISTERED

    def test_reject_with_reason(self, owner, reviewer, machine):
        request = reissue(machine, owner)
        desk = logged_in(reviewer)
        assert (
            desk.post(f"/changes/district/{request.pk}/reject/", {"reason": ""}).status_code == 400
        )
        assert (
            desk.post(f"/changes/district/{request.pk}/reject/", {"reason": "请补充"}).status_code
            == 302
        )
        assert reload(request).status == ChangeStatus.REJECTED

    def test_clerk_reads_and_checks_but_does_not_decide(self, owner, clerk_l, machine):
        request = retrofit(machine, owner)
        desk = logged_in(clerk_l)
        body = page(desk.get(f"/changes/district/{request.pk}/"))
        assert "记录现场核查" in body and "审核通过，换发新号码" not in body
        assert desk.post(f"/changes/district/{request.pk}/approve/").status_code == 403

    def test_city_admin_reads_every_district(self, owner, city_admin, machine):
        request = reissue(machine, owner)
        client = logged_in(city_admin)
        assert machine.short_number in page(client.get("/changes/district/"))
        body = page(client.get(f"/changes/district/{request.pk}/"))
        assert "审核通过" not in body


class TestOutsiders:
    def test_owner_pages_404(self, owner, other_owner, machine):
        request = reissue(machine, owner, photos=[jpeg()])
        photo = ChangePhoto.objects.get()
        client = logged_in(other_owner)
        for path in (
            f"/changes/registrations/{machine.pk}/",
            f"/changes/registrations/{machine.pk}/reissue/",
            f"/changes/{request.pk}/",
            f"/changes/photos/{photo.pk}/",
        ):
            assert client.get(path).status_code == 404, path
        for path in (
            f"/changes/registrations/{machine.pk}/reissue/",
            f"/changes/registrations/{machine.pk}/owner-code/",
            f"/changes/{request.pk}/withdraw/",
            f"/changes/{request.pk}/resend-code/",
        ):
            assert client.post(path).status_code == 404, path
        assert client.post("/changes/confirm-owner/", {"request": request.pk}).status_code == 404
        assert reload(request).status == ChangeStatus.SUBMITTED

    def test_agents_see_what_the_consent_covers(self, owner, agent, machine):
        request = reissue(machine, owner)
        client = logged_in(agent)
        assert client.get(f"/changes/{request.pk}/").status_code == 404
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        assert client.get(f"/changes/{request.pk}/").status_code == 200
        assert machine.number in page(client.get("/changes/"))
        consent.withdrawn_at = consent.granted_at
        consent.save()
        assert client.get(f"/changes/{request.pk}/").status_code == 404

    def test_other_district_staff_404(self, owner, reviewer_other_district, clerk, machine):
        request = retrofit(machine, owner, engine_number="")
        photo = ChangePhoto.objects.first()
        assert photo is not None
        for user in (reviewer_other_district, clerk):
            client = logged_in(user)
            assert client.get(f"/changes/district/{request.pk}/").status_code == 404
            assert client.get(f"/changes/photos/{photo.pk}/").status_code == 404
            assert (
                client.post(
                    f"/changes/district/{request.pk}/site-check/", {"notes": "x"}
                ).status_code
                == 404
            )
            assert machine.short_number not in page(client.get("/changes/district/"))
        response = logged_in(reviewer_other_district).post(
            f"/changes/district/{request.pk}/approve/"
        )
        assert response.status_code == 404
        assert reload(request).status == ChangeStatus.SUBMITTED


class TestConstantQueries:
    def test_owner_home(self, owner, reviewer, machine, django_assert_num_queries):
        client = logged_in(owner)
        reissue(machine, owner)
        client.get("/changes/")  # warm up (session, content types)
        with CaptureQueriesContext(connection) as one:
            client.get("/changes/")
        for _ in range(3):
            more = approved(owner, reviewer)
            reissue(more, owner)
        with django_assert_num_queries(len(one.captured_queries)):
            assert client.get("/changes/").status_code == 200

    def test_district_queue(self, owner, reviewer, machine, django_assert_num_queries):
        client = logged_in(reviewer)
        reissue(machine, owner, photos=[jpeg()])
        client.get("/changes/district/")
        with CaptureQueriesContext(connection) as one:
            client.get("/changes/district/")
        for _ in range(3):
            more = approved(owner, reviewer)
            reissue(more, owner, photos=[jpeg(), jpeg("red")])
            retrofit(more, owner)
        with django_assert_num_queries(len(one.captured_queries)):
            body = page(client.get("/changes/district/"))
        assert body.count("data-number=") == 7

    def test_history_section(
        self, owner, other_owner, reviewer, machine, django_assert_num_queries
    ):
        request = reissue(machine, owner)
        actions.approve(acting_user=reviewer, request=request)
        actions.change_location(acting_user=owner, registration=machine, district="K", since=DAY)
        owner_change(machine, owner, other_owner)
        with django_assert_num_queries(2):
            history = for_registration(machine)
        assert len(history["changes"]) == 3
        html = render_to_string("changes/_registration_section.html", history)
        assert "使用区域变更" in html and "浦东新区 → 闵行区" in html
        assert "标志或信息采集卡补办" in html


class TestAsOf:
    def test_as_it_stood(self, owner, other_owner, reviewer, machine):
        with time_machine.travel("2026-11-25 10:00 +0800", tick=False):
            actions.change_location(
                acting_user=owner,
                registration=machine,
                district="K",
                since="2026-11-25",
            )
        with time_machine.travel("2026-11-27 10:00 +0800", tick=False):
            request = confirmed_owner_change(machine, owner, other_owner)
            actions.approve(acting_user=reviewer, request=request)
        machine = Registration.objects.select_related("owner", "declaration").get(pk=machine.pk)
        with time_machine.travel("2026-11-30 10:00 +0800", tick=False):
            on_23 = as_of(machine, DAY)
            on_26 = as_of(machine, DAY.replace(day=26))
            now = as_of(machine, DAY.replace(day=30))
        assert on_23["location_district"] == "L" and on_23["owner_name"] == "张三"
        assert on_26["location_district"] == "K" and on_26["owner_name"] == "张三"
        assert now["location_district"] == "K" and now["owner_name"] == "钱七"
        assert as_of(machine, DAY.replace(day=22))["status"] is None  # not yet registered

    def test_the_history_pages_show_it(self, owner, other_owner, reviewer, machine):
        """The district's machine page and the (new) owner's 我的机械 page answer
        ?as_of=: the owner and district on that day; bad and future dates get a message."""
        with time_machine.travel("2026-11-25 10:00 +0800", tick=False):
            actions.change_location(
                acting_user=owner, registration=machine, district="K", since="2026-11-25"
            )
        with time_machine.travel("2026-11-27 10:00 +0800", tick=False):
            actions.approve(
                acting_user=reviewer, request=confirmed_owner_change(machine, owner, other_owner)
            )
        with time_machine.travel("2026-11-30 10:00 +0800", tick=False):
            desk, mine = logged_in(reviewer), logged_in(other_owner)
            for url in (f"/staff/registrations/{machine.pk}/", f"/registrations/{machine.pk}/"):
                client = desk if url.startswith("/staff/") else mine
                assert "历史状态查询" in page(client.get(url))

                def facts(day: str) -> str:
                    body = page(client.get(url, {"as_of": day}))  # noqa: B023
                    return body.split('class="facts as-of-facts"')[1].split("</dl>")[0]

                on_24 = facts("2026-11-24")
                assert "张三" in on_24 and "浦东新区" in on_24 and "钱七" not in on_24
                on_26 = facts("2026-11-26")
                assert "张三" in on_26 and "闵行区" in on_26
                assert "钱七" in facts("2026-11-28")
                for bad, message in (
                    ("2026-13-01", "日期格式应为YYYY-MM-DD"),
                    ("2026-12-01", "日期不能晚于今天"),
                    ("2026-11-20", "该日期尚未登记"),
                ):
                    response = client.get(url, {"as_of": bad})
                    assert response.status_code == 200 and message in page(response)
            # The seller no longer sees the machine, on any date.
            assert (
                logged_in(owner)
                .get(f"/registrations/{machine.pk}/", {"as_of": "2026-11-24"})
                .status_code
                == 404
            )


class TestMachineHistory:
    def test_who_and_when_of_everything(self, owner, other_owner, reviewer, machine):
        """The district's machine page lists, with who and when, the declaration's round,
        the approval, the card, and every change, labelled in Chinese; its query count
        does not grow with the history."""
        from tests.inspections.helpers import failed_check

        desk = logged_in(reviewer)
        url = f"/staff/registrations/{machine.pk}/"
        failed_check(reviewer, machine)
        actions.change_location(
            acting_user=owner, registration=machine, district="K", since=DAY.isoformat()
        )
        with CaptureQueriesContext(connection) as before:
            desk.get(url)
        failed_check(reviewer, machine)
        actions.approve(
            acting_user=reviewer, request=confirmed_owner_change(machine, owner, other_owner)
        )
        with CaptureQueriesContext(connection) as after:
            body = page(desk.get(url))
        assert len(after.captured_queries) == len(before.captured_queries)
        history = body.split("办理记录")[1]
        for action, label in (
            ("declaration.submitted", "提交申报"),
            ("declaration.approved", "审核通过，确定环保登记号码"),
            ("credential.issued", "核发标志和信息卡"),
            ("spotcheck.recorded", "记录现场检查"),
            ("change.location_changed", "使用区域变更"),
            ("change.requested", "提交变更申请"),
            ("change.owner_confirmed", "新机主确认变更"),
            ("change.approved", "变更审核通过"),
        ):
            assert f'data-action="{action}">{label}<' in history, action
        assert "钱七" in history and "浦东审核员" in history
