"""The reviewer's queue and review page, the decisions, and counter intake (Art. 5, 7, 8)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.constants import SmsPurpose
from accounts.models import SmsCode, SmsMessage
from core.errors import ActionError
from core.models import IdempotentRequest
from registry import actions
from registry.constants import DeclarationStatus
from registry.models import Declaration, DeclarationRound, Registration
from tests.conftest import last_code, logged_in, make_user
from tests.core.test_formonce import KEY as FORM_KEY
from tests.registry.helpers import declare

# A Monday in 2026, inside the holiday table: 10 working days later is Monday 2026-12-07.
TODAY = "2026-11-23 10:00 +0800"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def page(response) -> str:
    return response.content.decode()


def rows(html: str) -> list[str]:
    """The queue's body rows, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr")[1:]


class TestQueue:
    def test_oldest_first_with_deadline_and_days_left(self, owner, reviewer, frozen):
        first = declare(owner, basic={"machine_name": "第一台"})
        frozen.shift(timedelta(hours=1))
        second = declare(owner, basic={"machine_name": "第二台"})
        response = logged_in(reviewer).get("/staff/review/")
        assert response.status_code == 200
        found = rows(page(response))
        assert len(found) == 2
        assert "第一台" in found[0] and "第二台" in found[1]
        assert f">{first.pk}</a>" in found[0] and f">{second.pk}</a>" in found[1]
        assert "张三" in found[0] and "挖掘机" in found[0] and "国4" in found[0]
        assert "2026-11-23" in found[0]
        assert "2026-12-07" in found[0] and "剩10个工作日" in found[0]
        assert "逾期" not in found[0]

    def test_other_districts_are_not_listed(self, owner, reviewer_other_district):
        declare(owner)  # district L
        found = page(logged_in(reviewer_other_district).get("/staff/review/"))
        assert "没有符合条件的申报" in found

    def test_overdue_when_time_moves_past_the_due_date(self, owner, reviewer, frozen):
        declare(owner)
        frozen.move_to("2026-12-08 09:00 +0800")
        found = rows(page(logged_in(reviewer).get("/staff/review/")))
        assert 'class="overdue"' in found[0]
        assert "逾期</span>" in found[0] and "已超1个工作日" in found[0]

    def test_late_declaration_and_warning_count(self, owner, reviewer):
        late = declare(owner, basic={"acquisition_date": "2026-10-23"})
        assert late.late and late.warnings
        found = rows(page(logged_in(reviewer).get("/staff/review/")))
        assert "逾期申报" in found[0]
        assert f"{len(late.warnings)}条提示" in found[0]

    def test_filters(self, owner, reviewer, frozen):
        excavator = declare(owner)  # 国4 by its label, not late
        frozen.shift(timedelta(minutes=1))
        loader = declare(
            owner,
            basic={"machine_type": "装载机", "acquisition_date": "2026-10-01"},
            machine={"machine_disclosure_number": ""},  # 国2 by the production date
        )
        client = logged_in(reviewer)

        def listed(query: str) -> set[int]:
            html = page(client.get("/staff/review/" + query))
            return {d.pk for d in (excavator, loader) if f">{d.pk}</a>" in html}

        assert listed("") == {excavator.pk, loader.pk}
        assert listed("?machine_type=装载机") == {loader.pk}
        assert listed("?stage=4") == {excavator.pk}
        assert listed("?stage=2") == {loader.pk}
        assert listed("?late=1") == {loader.pk}
        Declaration.objects.filter(pk=excavator.pk).update(warnings=[])
        assert listed("?warnings=1") == {loader.pk}
        assert listed("?status=approved") == set()
        assert listed("?stage=99&machine_type=飞机") == {excavator.pk, loader.pk}

        client.post(f"/staff/review/{loader.pk}/refuse/", {"reason": "非本市机械"})
        assert listed("") == {excavator.pk}
        assert listed("?status=refused") == {loader.pk}

    def test_query_count_is_constant(self, owner, reviewer, django_assert_max_num_queries):
        template = declare(owner)
        client = logged_in(reviewer)
        with CaptureQueriesContext(connection) as one:
            assert client.get("/staff/review/").status_code == 200
        # Copies of the row, not 19 more wizard runs: the page reads only the row.
        fields = {
            f.attname: getattr(template, f.attname)
            for f in Declaration._meta.concrete_fields
            if not f.primary_key
        }
        copies = [
            Declaration(**{**fields, "submitted_at": fields["submitted_at"] + timedelta(minutes=i)})
            for i in range(1, 20)
        ]
        Declaration.objects.bulk_create(copies)
        assert Declaration.objects.count() == 20
        with django_assert_max_num_queries(len(one.captured_queries)):
            response = client.get("/staff/review/")
        assert len(rows(page(response))) == 20

    def test_city_admin_sees_all_districts_with_a_filter(self, owner, city_admin):
        pudong = declare(owner)
        minhang = declare(owner, start={"district": "K"})
        client = logged_in(city_admin)
        html = page(client.get("/staff/review/"))
        assert "各区申报（只读）" in html
        assert f">{pudong.pk}</a>" in html and f">{minhang.pk}</a>" in html
        assert "浦东新区" in html and "闵行区" in html
        only_k = page(client.get("/staff/review/?district=K"))
        assert f">{minhang.pk}</a>" in only_k and f">{pudong.pk}</a>" not in only_k


class TestReviewPage:
    def test_shows_data_stage_rule_warnings_photos_and_history(self, owner, reviewer):
        declaration = declare(owner, basic={"acquisition_date": "2026-10-23"})
        response = logged_in(reviewer).get(f"/staff/review/{declaration.pk}/")
        assert response.status_code == 200
        html = page(response)
        for title in ("登记信息", "基本信息", "图片上传", "机械信息", "其它信息"):
            assert title in html
        assert "SY215C" in html and "CNFJG4000L53000006000001" in html
        assert "浦东新区（L）" in html
        assert "国4" in html and "机械环保信息标签的环保信息公开编号" in html
        assert "第七条第（一）项" in html and "第6位为4" in html
        for warning in declaration.warnings:
            assert warning in html
        assert "逾期申报" in html
        assert "2026-12-07" in html and "剩10个工作日" in html
        photos = list(declaration.photos.all())
        assert len(photos) == 4
        for photo in photos:
            assert f'src="/staff/photos/{photo.pk}/"' in html
            assert f'href="/staff/photos/{photo.pk}/"' in html
        assert "第1次提交" in html and "待审核" in html
        assert f'action="/staff/review/{declaration.pk}/approve/"' in html
        assert 'name="field_reason_machine_model"' in html

    def test_photo_view(self, owner, reviewer, city_admin):
        declaration = declare(owner)
        photo = declaration.photos.all()[0]
        for user in (reviewer, city_admin):
            response = logged_in(user).get(f"/staff/photos/{photo.pk}/")
            assert response.status_code == 200
            assert response["Content-Type"] == "image/jpeg"
            assert response.getvalue()[:2] == b"\xff\xd8"  # a JPEG
        assert logged_in(reviewer).get("/staff/photos/999999/").status_code == 404

    def test_round_history_shows_reasons(self, owner, reviewer):
        declaration = declare(owner)
        client = logged_in(reviewer)
        client.post(
            f"/staff/review/{declaration.pk}/return/",
            {"reason": "照片不清晰", "field_reason_machine_model": "型号与铭牌不一致"},
        )
        html = page(client.get(f"/staff/review/{declaration.pk}/"))
        assert "退回重填" in html and "照片不清晰" in html
        assert "规格型号：型号与铭牌不一致" in html and reviewer.name in html
        assert 'id="return-form"' not in html  # decided: no forms any more


class TestDecisions:
    def test_approve(self, owner, reviewer):
        declaration = declare(owner)
        client = logged_in(reviewer)
        response = client.post(f"/staff/review/{declaration.pk}/approve/", follow=True)
        assert response.redirect_chain[-1][0] == "/staff/review/"
        assert "已准予登记，号码：工程机械沪L4-00001" in page(response)
        registration = Registration.objects.get(declaration=declaration)
        assert (registration.number, registration.stage) == ("工程机械沪L4-00001", 4)

    def test_approve_with_override(self, owner, reviewer):
        declaration = declare(owner)
        response = logged_in(reviewer).post(
            f"/staff/review/{declaration.pk}/approve/",
            {"override": "3", "override_reason": "铭牌照片显示为国三机型"},
            follow=True,
        )
        assert "已准予登记，号码：工程机械沪L3-00001" in page(response)
        registration = Registration.objects.get(declaration=declaration)
        assert registration.stage == 3 and registration.stage_rule == "override"
        assert "铭牌照片显示为国三机型" in registration.stage_explanation

    def test_override_without_reason_is_shown_beside_the_field(self, owner, reviewer):
        declaration = declare(owner)
        response = logged_in(reviewer).post(
            f"/staff/review/{declaration.pk}/approve/", {"override": "3", "override_reason": " "}
        )
        assert response.status_code == 400
        html = page(response)
        assert 'id="err_override_reason"' in html and "请填写调整排放阶段的理由" in html
        assert '<option value="3" selected>' in html
        assert not Registration.objects.exists()
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.SUBMITTED

    def test_bad_override_value(self, owner, reviewer):
        declaration = declare(owner)
        response = logged_in(reviewer).post(
            f"/staff/review/{declaration.pk}/approve/", {"override": "9", "override_reason": "x"}
        )
        assert response.status_code == 400
        assert 'id="err_override"' in page(response)

    def test_return_with_field_reasons(self, owner, reviewer):
        declaration = declare(owner)
        response = logged_in(reviewer).post(
            f"/staff/review/{declaration.pk}/return/",
            {
                "reason": "请核对铭牌",
                "field_reason_machine_model": "型号与铭牌不一致",
                "field_reason_photos": "铭牌照片模糊",
                "field_reason_maker": "  ",
            },
        )
        assert response.status_code == 302
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.RETURNED
        assert declaration.get_status_display() == "退回重填"
        current = DeclarationRound.objects.get(declaration=declaration)
        assert current.reason == "请核对铭牌"
        assert current.field_reasons == {
            "machine_model": "型号与铭牌不一致",
            "photos": "铭牌照片模糊",
        }

    def test_return_without_any_reason(self, owner, reviewer):
        declaration = declare(owner)
        response = logged_in(reviewer).post(f"/staff/review/{declaration.pk}/return/", {})
        assert response.status_code == 400
        assert 'id="err_return_reason"' in page(response) and "请填写退回理由" in page(response)

    def test_refuse(self, owner, reviewer):
        declaration = declare(owner)
        client = logged_in(reviewer)
        empty = client.post(f"/staff/review/{declaration.pk}/refuse/", {"reason": ""})
        assert empty.status_code == 400
        assert 'id="err_refuse_reason"' in page(empty) and "请填写不予登记的理由" in page(empty)
        response = client.post(
            f"/staff/review/{declaration.pk}/refuse/", {"reason": "非本市使用的机械"}
        )
        assert response.status_code == 302
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.REFUSED

    def test_a_second_decision_gets_the_action_error(self, owner, reviewer):
        declaration = declare(owner)
        client = logged_in(reviewer)
        client.post(f"/staff/review/{declaration.pk}/approve/")
        for path, data in (
            ("approve", {}),
            ("return", {"reason": "再看看"}),
            ("refuse", {"reason": "不行"}),
        ):
            response = client.post(f"/staff/review/{declaration.pk}/{path}/", data)
            assert response.status_code == 409
            assert "不在待审核状态" in page(response)
        assert Registration.objects.count() == 1

    def test_reviewer_of_another_district_gets_404(self, owner, reviewer_other_district):
        declaration = declare(owner)
        photo = declaration.photos.all()[0]
        client = logged_in(reviewer_other_district)
        assert client.get(f"/staff/review/{declaration.pk}/").status_code == 404
        assert client.get(f"/staff/photos/{photo.pk}/").status_code == 404
        for path, data in (
            ("approve", {}),
            ("return", {"reason": "x"}),
            ("refuse", {"reason": "x"}),
        ):
            assert client.post(f"/staff/review/{declaration.pk}/{path}/", data).status_code == 404
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.SUBMITTED

    def test_city_admin_sees_but_cannot_decide(self, owner, city_admin):
        declaration = declare(owner)
        client = logged_in(city_admin)
        html = page(client.get(f"/staff/review/{declaration.pk}/"))
        assert "SY215C" in html
        assert "/approve/" not in html and 'id="return-form"' not in html
        for path, data in (
            ("approve", {}),
            ("return", {"reason": "x"}),
            ("refuse", {"reason": "x"}),
        ):
            assert client.post(f"/staff/review/{declaration.pk}/{path}/", data).status_code == 403
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.SUBMITTED


class TestCounterIntake:
    START = {
        "site_type": "工地",
        "site_address": "黄浦区中山东一路1号",
        "registration_type": "machine",
    }

    def test_end_to_end(self, owner, clerk):
        client = logged_in(clerk)
        found = page(client.get("/staff/intake/", {"q": owner.id_number}))
        assert "张三" in found and "向机主发送验证码" in found

        sent = client.post("/staff/intake/", {"owner": owner.pk, "op": "send"})
        assert sent.status_code == 200
        assert "验证码已发送至机主手机138****0001" in page(sent)
        code = last_code(owner.phone)
        body = SmsMessage.objects.filter(phone=owner.phone).latest("id").body
        assert "您正在黄浦区窗口办理非道路移动机械申报，验证码" in body

        response = client.post(
            "/staff/intake/", {"owner": owner.pk, "op": "start", "code": code, **self.START}
        )
        declaration = Declaration.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/declarations/{declaration.pk}/step/1/"
        assert declaration.owner == owner and declaration.declared_by == clerk
        assert declaration.district == "A" and declaration.status == DeclarationStatus.DRAFT

        # The code is used up: a second declaration needs a new one.
        again = client.post(
            "/staff/intake/", {"owner": owner.pk, "op": "start", "code": code, **self.START}
        )
        assert again.status_code == 400 and 'id="err_code"' in page(again)
        assert Declaration.objects.count() == 1

    @pytest.mark.parametrize("keyed", [False, True], ids=["plain", "a-new-form-key-each-try"])
    def test_wrong_codes_are_counted(self, owner, clerk, keyed):
        """Also when each try carries a new form key: a refused form keeps what it counted,
        or fresh keys would make guessing the owner's code free."""
        client = logged_in(clerk)
        client.post("/staff/intake/", {"owner": owner.pk, "op": "send"})
        code = last_code(owner.phone)
        wrong = "000000" if code != "000000" else "111111"
        form = {"owner": owner.pk, "op": "start", "code": wrong, **self.START}
        for n in range(3):
            key = {"form_key": f"guessing-key-{n:08d}"} if keyed else {}
            response = client.post("/staff/intake/", {**form, **key})
            assert response.status_code == 400
            assert 'id="err_code"' in page(response) and "验证码不正确" in page(response)
        row = SmsCode.objects.get(phone=owner.phone, purpose=SmsPurpose.COUNTER_INTAKE)
        assert row.failed_attempts == 3 and row.requested_by == clerk
        assert not Declaration.objects.exists() and not IdempotentRequest.objects.exists()

    def test_sent_twice_with_its_form_key_makes_one_draft(self, owner, clerk):
        client = logged_in(clerk)
        sent = client.post("/staff/intake/", {"owner": owner.pk, "op": "send"})
        key = FORM_KEY.search(sent.content.decode()).group(1)  # type: ignore[union-attr]
        form = {"owner": owner.pk, "op": "start", "code": last_code(owner.phone), **self.START}
        first = client.post("/staff/intake/", {**form, "form_key": key})
        assert first.status_code == 302
        # Sent again: the code is used up, but the form lands on the first draft.
        again = client.post("/staff/intake/", {**form, "form_key": key})
        assert again.status_code == 302 and again["Location"] == first["Location"]
        assert Declaration.objects.count() == 1

    def test_form_errors_do_not_use_up_the_code(self, owner, clerk):
        client = logged_in(clerk)
        client.post("/staff/intake/", {"owner": owner.pk, "op": "send"})
        code = last_code(owner.phone)
        response = client.post(
            "/staff/intake/",
            {"owner": owner.pk, "op": "start", "code": code, **self.START, "site_type": ""},
        )
        assert response.status_code == 400 and 'id="err_site_type"' in page(response)
        ok = client.post(
            "/staff/intake/", {"owner": owner.pk, "op": "start", "code": code, **self.START}
        )
        assert ok.status_code == 302

    def test_the_clerks_district_is_forced(self, owner, clerk):
        actions.request_counter_intake(acting_user=clerk, owner=owner)
        declaration = actions.start_counter_declaration(
            acting_user=clerk,
            owner=owner,
            code=last_code(owner.phone),
            data={**self.START, "district": "L"},
        )
        assert declaration.district == clerk.district == "A"

    def test_only_clerks_and_only_for_owners(self, owner, clerk, reviewer, agent):
        with pytest.raises(ActionError) as exc:
            actions.request_counter_intake(acting_user=reviewer, owner=owner)
        assert exc.value.status == 403
        with pytest.raises(ActionError) as exc:
            actions.request_counter_intake(acting_user=clerk, owner=reviewer)
        assert exc.value.code == "bad_owner"
        with pytest.raises(ActionError):
            actions.start_counter_declaration(
                acting_user=agent, owner=owner, code="123456", data=self.START
            )

    def test_another_clerks_code_does_not_work(self, owner, clerk):
        other = make_user("13900000005", "静安窗口", role="clerk", district="B")
        logged_in(clerk).post("/staff/intake/", {"owner": owner.pk, "op": "send"})
        response = logged_in(other).post(
            "/staff/intake/",
            {"owner": owner.pk, "op": "start", "code": last_code(owner.phone), **self.START},
        )
        assert response.status_code == 400
        assert not Declaration.objects.exists()

    def test_unknown_owner(self, clerk, reviewer):
        response = logged_in(clerk).post("/staff/intake/", {"owner": reviewer.pk, "op": "send"})
        assert response.status_code == 400 and "请先查找并选择机主" in page(response)


class TestHome:
    @pytest.mark.parametrize(
        ("person", "links", "absent"),
        [
            ("reviewer", ["/staff/review/"], ["/staff/intake/"]),
            ("clerk", ["/staff/review/", "/staff/intake/"], []),
            ("city_admin", ["/staff/review/"], ["/staff/intake/"]),
            ("inspector", [], ["/staff/review/", "/staff/intake/"]),
        ],
    )
    def test_links_by_role(self, request, person, links, absent):
        html = page(logged_in(request.getfixturevalue(person)).get("/staff/"))
        for link in links:
            assert f'href="{link}"' in html
        for link in absent:
            assert f'href="{link}"' not in html
