"""The spot-check and rectification pages: checkers on their phones, district staff, owners."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from accounts.models import AgentConsent
from inspections import actions
from inspections.models import Rectification, SpotCheck, SpotCheckPhoto
from inspections.queries import for_registration
from registry.models import Registration
from tests.conftest import logged_in
from tests.inspections.helpers import (
    TODAY,
    approved,
    failed_check,
    order,
    other_inspector,
    record,
)
from tests.registry.helpers import jpeg


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def machine(db, owner, reviewer) -> Registration:
    return approved(owner, reviewer)


def page(response) -> str:
    return response.content.decode()


def photo_file(data: bytes | None = None, name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg(), "image/jpeg")


FORM = {
    "location": "浦东新区张江路1号工地",
    "district": "",
    "sign": "matches",
    "card": "genuine",
    "notes": "",
}


@pytest.mark.django_db
class TestCheckingInTheField:
    def test_from_the_verification_page_to_a_saved_check(self, inspector, owner, machine):
        client = logged_in(inspector)
        response = client.get("/inspect/?number=沪l4-00001&card=genuine")
        assert response.status_code == 302
        assert response["Location"] == "/inspect/new/?number=%E6%B2%AAl4-00001&card=genuine"
        html = page(client.get(response["Location"]))
        for fact in ("工程机械沪L4-00001", "挖掘机", "工程机械", "国4", "浦东新区（L）", "有效"):
            assert fact in html
        assert owner.name not in html and owner.phone not in html  # no personal data
        assert 'value="genuine" checked' in html
        assert 'accept="image/*" capture="environment"' in html
        response = client.post(
            "/inspect/new/",
            {**FORM, "number": "沪L4-00001", "photos": [photo_file(), photo_file(jpeg("blue"))]},
        )
        assert response.status_code == 302, page(response)[:3000]
        check = SpotCheck.objects.get()
        assert response["Location"] == f"/inspect/checks/{check.pk}/"
        assert (check.result, check.registration, check.photos.count()) == ("passed", machine, 2)
        html = page(client.get(response["Location"]))
        assert "检查记录已保存：合格" in html and "张江路1号工地" in html
        photo = check.photos.all()[0]
        assert f"/inspect/photos/{photo.pk}/" in html
        response = client.get(f"/inspect/photos/{photo.pk}/")
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, max-age=3600"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # type: ignore[attr-defined]

    def test_an_unknown_number_can_still_be_recorded(self, inspector, machine):
        client = logged_in(inspector)
        html = page(client.get("/inspect/new/?number=沪L4-00099"))
        assert "未查到登记" in html and 'value="present"' in html and 'value="matches"' not in html
        response = client.post("/inspect/new/", {**FORM, "number": "沪L4-00099", "sign": "present"})
        assert response.status_code == 400
        assert "未查到登记时，请选择检查地所在区" in page(response)
        response = client.post(
            "/inspect/new/",
            {
                **FORM,
                "number": "沪L4-00099",
                "sign": "present",
                "district": "K",
                "card": "not_genuine",
            },
        )
        assert response.status_code == 302
        check = SpotCheck.objects.get()
        assert check.reasons == ["not_registered", "card_not_genuine"]
        assert "不合格（未查到环保登记、信息采集卡核验不符）" in page(
            client.get(response["Location"])
        )

    def test_a_malformed_number_says_why(self, inspector):
        html = page(logged_in(inspector).get("/inspect/new/?number=沪L4-0000O"))
        assert "序号不能含有字母O" in html and "保存检查记录" not in html

    def test_choices_are_required_and_errors_shown(self, reviewer, machine):
        client = logged_in(reviewer)
        response = client.post("/inspect/new/", {"number": "沪L4-00001", "location": ""})
        assert response.status_code == 400
        html = page(response)
        assert "请选择环保标志检查情况" in html and "请选择信息采集卡检查情况" in html
        assert not SpotCheck.objects.exists()
        response = client.post("/inspect/new/", {**FORM, "number": "沪L4-00001", "location": ""})
        assert "请填写检查地点" in page(response)

    def test_a_bad_photo_saves_nothing(self, inspector, machine):
        response = logged_in(inspector).post(
            "/inspect/new/",
            {
                **FORM,
                "number": "沪L4-00001",
                "photos": [photo_file(), photo_file(b"not a photo", "x.pdf")],
            },
        )
        assert response.status_code == 400
        assert "第2张照片：" in page(response)
        assert not SpotCheck.objects.exists() and not SpotCheckPhoto.objects.exists()

    def test_my_checks(self, inspector, machine):
        mine = record(inspector, machine)
        record(other_inspector(), machine, smoke_visible=True)
        html = page(logged_in(inspector).get("/inspect/mine/"))
        assert f"/inspect/checks/{mine.pk}/" in html and html.count("/inspect/checks/") == 1


@pytest.mark.django_db
class TestOrderingFromTheCheck:
    def test_reviewer_of_the_district_orders(self, reviewer, inspector, machine):
        check = failed_check(inspector, machine)
        client = logged_in(reviewer)
        html = page(client.get(f"/inspect/checks/{check.pk}/"))
        assert "责令整改（第十六条）" in html and "排气可见黑烟" in html
        response = client.post(
            f"/inspect/checks/{check.pk}/order/", {"requirement": "", "due_date": "2026-11-01"}
        )
        assert response.status_code == 400
        assert "请填写整改要求" in page(response) and "整改期限不能早于今天" in page(response)
        response = client.post(
            f"/inspect/checks/{check.pk}/order/",
            {"requirement": "加装DPF", "due_date": "2026-12-07"},
        )
        rectification = Rectification.objects.get()
        assert response["Location"] == f"/inspect/rectifications/{rectification.pk}/"
        # Ordered: no second form.
        assert "责令整改（第十六条）" not in page(client.get(f"/inspect/checks/{check.pk}/"))

    def test_who_sees_no_order_form(self, inspector, city_admin, machine):
        check = failed_check(inspector, machine)
        for user in (inspector, city_admin):
            html = page(logged_in(user).get(f"/inspect/checks/{check.pk}/"))
            assert "排气可见黑烟" in html and "责令整改（第十六条）" not in html

    def test_ordering_from_another_district_is_refused_on_the_page(
        self, reviewer_other_district, inspector, machine
    ):
        # Checked in 闵行 (K), registered in 浦东 (L): K sees it, only L orders.
        check = record(inspector, machine, smoke_visible=True, district="K")
        client = logged_in(reviewer_other_district)
        html = page(client.get(f"/inspect/checks/{check.pk}/"))
        assert "排气可见黑烟" in html and "责令整改（第十六条）" not in html
        response = client.post(
            f"/inspect/checks/{check.pk}/order/", {"requirement": "x", "due_date": "2026-12-07"}
        )
        assert response.status_code == 403
        assert "该机械登记在浦东新区（L）" in page(response)


@pytest.mark.django_db
class TestRectificationPages:
    def test_owner_answers_and_reviewer_closes(self, owner, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        url = f"/inspect/rectifications/{rectification.pk}/"
        client = logged_in(owner)
        listing = page(client.get("/inspect/rectifications/"))
        assert url in listing and "沪L4-00001" in listing and "待整改" in listing
        html = page(client.get(url))
        assert "加装颗粒捕集器并复检" in html and "回复整改情况" in html
        assert inspector.name not in html  # the owner sees the department, not the person
        response = client.post(f"{url}answer/", {"text": ""})
        assert response.status_code == 400 and "请填写整改情况" in page(response)
        response = client.post(f"{url}answer/", {"text": "已加装DPF", "photos": [photo_file()]})
        assert response.status_code == 302
        html = page(client.get(url))
        assert "已加装DPF" in html and "回复整改情况" not in html
        photo = Rectification.objects.get().answers.get().photos.get()
        assert client.get(f"/inspect/answer-photos/{photo.pk}/")["Content-Type"] == "image/jpeg"

        staff = logged_in(reviewer)
        html = page(staff.get(url))
        assert "审核整改情况" in html and owner.name in html and "138****0001" in html
        assert owner.phone not in html
        response = staff.post(f"{url}close/", {"decision": "reject", "note": ""})
        assert response.status_code == 400 and "退回整改时请填写审核意见" in page(response)
        staff.post(f"{url}close/", {"decision": "reject", "note": "看不清铭牌"})
        html = page(client.get(url))
        assert "上次回复未通过审核" in html and "看不清铭牌" in html and "回复整改情况" in html
        client.post(f"{url}answer/", {"text": "补拍铭牌"})
        response = staff.post(f"{url}close/", {"decision": "accept", "note": "合格"})
        assert response.status_code == 302
        html = page(client.get(url))
        assert "已办结" in html and "整改合格" in html and "第2次回复" in html

    def test_an_agent_follows_the_owner_s_orders(self, owner, agent, reviewer, inspector, machine):
        rectification = order(reviewer, failed_check(inspector, machine))
        client = logged_in(agent)
        assert f"/inspect/rectifications/{rectification.pk}/" not in page(
            client.get("/inspect/rectifications/")
        )
        AgentConsent.objects.create(agent=agent, owner=owner)
        assert f"/inspect/rectifications/{rectification.pk}/" in page(
            client.get("/inspect/rectifications/")
        )
        assert client.get(f"/inspect/rectifications/{rectification.pk}/").status_code == 200

    def test_overdue_is_marked(self, owner, reviewer, inspector, machine):
        order(reviewer, failed_check(inspector, machine))
        with time_machine.travel("2026-12-08 09:00 +0800", tick=False):
            assert "逾期" in page(logged_in(owner).get("/inspect/rectifications/"))


@pytest.mark.django_db
def test_outsiders_get_404_on_every_page(
    owner, other_owner, reviewer, reviewer_other_district, clerk, inspector, machine
):
    check = failed_check(inspector, machine)
    check_photo = record(inspector, machine, smoke_visible=True, photos=1).photos.get()
    rectification = order(reviewer, check)
    answer = actions.answer_rectification(
        acting_user=owner, rectification=rectification, text="已修", photos=[jpeg()]
    )
    answer_photo = answer.photos.get()
    r = rectification.pk
    staff_paths = [
        ("get", f"/inspect/checks/{check.pk}/"),
        ("get", f"/inspect/photos/{check_photo.pk}/"),
        ("post", f"/inspect/checks/{check.pk}/order/"),
        ("get", f"/inspect/rectifications/{r}/"),
        ("post", f"/inspect/rectifications/{r}/close/"),
        ("get", f"/inspect/answer-photos/{answer_photo.pk}/"),
    ]
    owner_paths = [
        ("get", f"/inspect/rectifications/{r}/"),
        ("post", f"/inspect/rectifications/{r}/answer/"),
        ("get", f"/inspect/answer-photos/{answer_photo.pk}/"),
    ]
    # A reviewer of 闵行 and a clerk of 黄浦: neither the place of the check nor the machine's.
    for user in (reviewer_other_district, clerk):
        client = logged_in(user)
        for method, path in staff_paths:
            assert getattr(client, method)(path).status_code == 404, (user, path)
    stranger = logged_in(other_inspector())
    for method, path in staff_paths[:2] + staff_paths[3:4] + staff_paths[5:]:
        assert getattr(stranger, method)(path).status_code == 404, path
    client = logged_in(other_owner)
    for method, path in owner_paths:
        assert getattr(client, method)(path).status_code == 404, path
    assert f"/inspect/rectifications/{r}/" not in page(client.get("/inspect/rectifications/"))
    # Missing objects answer the same.
    assert logged_in(reviewer).get("/inspect/checks/999999/").status_code == 404
    assert logged_in(owner).get("/inspect/rectifications/999999/").status_code == 404


@pytest.mark.django_db
class TestDistrictList:
    def test_district_staff_see_checks_in_or_of_their_district(
        self, reviewer, reviewer_other_district, city_admin, inspector, machine
    ):
        in_l = record(inspector, machine)
        in_k = record(inspector, machine, smoke_visible=True, district="K")
        unregistered_k = record(inspector, None, number="沪K4-00077", district="K")
        listed = lambda user, query="": {  # noqa: E731
            c.pk
            for c in SpotCheck.objects.all()
            if f"/inspect/checks/{c.pk}/" in page(logged_in(user).get(f"/inspect/district/{query}"))
        }
        assert listed(reviewer) == {in_l.pk, in_k.pk}
        assert listed(reviewer_other_district) == {in_k.pk, unregistered_k.pk}
        assert listed(city_admin) == {in_l.pk, in_k.pk, unregistered_k.pk}
        assert listed(city_admin, "?district=K") == {in_k.pk, unregistered_k.pk}
        assert listed(reviewer, "?result=failed") == {in_k.pk}
        assert listed(reviewer, "?result=passed&district=K") == {in_l.pk}  # district: city only
        assert listed(reviewer, "?date_from=2026-11-24") == set()
        assert listed(reviewer, "?date_from=2026-11-23&date_to=2026-11-23") == {in_l.pk, in_k.pk}
        assert listed(reviewer, "?date_to=2026-11-22&result=nonsense") == set()
        assert listed(reviewer, "?date_from=not-a-date") == {in_l.pk, in_k.pk}

    def test_query_count_is_constant(
        self, owner, reviewer, inspector, machine, django_assert_max_num_queries
    ):
        rectification = order(reviewer, failed_check(inspector, machine))
        actions.answer_rectification(
            acting_user=owner, rectification=rectification, text="a", photos=[jpeg()]
        )
        record(inspector, machine, photos=1)
        record(reviewer, machine)  # every list has a row to start with
        pages = {
            reviewer: ["/inspect/district/", "/inspect/mine/", "/inspect/rectifications/"],
            inspector: ["/inspect/mine/"],
            owner: ["/inspect/rectifications/"],
        }
        counts = {}
        for user, paths in pages.items():
            client = logged_in(user)
            for path in paths:
                with CaptureQueriesContext(connection) as one:
                    assert client.get(path).status_code == 200
                counts[(user.pk, path)] = len(one.captured_queries)
        # More rows of every kind: checks (with photos and orders), and orders.
        record(reviewer, machine, photos=1)
        for _ in range(5):
            check = record(inspector, machine, photos=2, smoke_visible=True)
            order(reviewer, check)
            record(inspector, None, number="沪L4-00099", district="L")
        assert SpotCheck.objects.count() == 14 and Rectification.objects.count() == 6
        for user, paths in pages.items():
            client = logged_in(user)
            for path in paths:
                with django_assert_max_num_queries(counts[(user.pk, path)], info=path):
                    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_registration_section_for_the_machine_history(
    owner, reviewer, inspector, machine, django_assert_num_queries
):
    check = failed_check(inspector, machine)
    record(inspector, machine, photos=2)
    rectification = order(reviewer, check)
    actions.answer_rectification(
        acting_user=owner, rectification=rectification, text="a", photos=[jpeg()]
    )
    with django_assert_num_queries(5):
        context = for_registration(machine)
    for _ in range(3):
        order(reviewer, record(inspector, machine, photos=1, smoke_visible=True))
    with django_assert_num_queries(5):
        context = for_registration(machine)
    assert len(context["spot_checks"]) == 5 and len(context["rectifications"]) == 4

    class Viewer:
        is_platform_staff = True

    with django_assert_num_queries(0):
        html = render_to_string(
            "inspections/_registration_section.html", {**context, "user": Viewer()}
        )
    assert html.count("/inspect/checks/") == 5 and html.count("/inspect/rectifications/") == 4
    assert "不合格" in html and "合格" in html and "2张照片" in html and "1次回复" in html
    owner_view = render_to_string(
        "inspections/_registration_section.html", {**context, "user": owner}
    )
    assert "/inspect/checks/" not in owner_view and "/inspect/rectifications/" in owner_view


@pytest.mark.django_db
def test_admin_lists_are_read_only(city_admin, inspector, reviewer, machine):
    order(reviewer, failed_check(inspector, machine))
    client = logged_in(city_admin)
    for path in ("/admin/inspections/spotcheck/", "/admin/inspections/rectification/"):
        assert client.get(path).status_code == 200
    check = SpotCheck.objects.get()
    assert client.get(f"/admin/inspections/spotcheck/{check.pk}/change/").status_code == 200
    assert client.get("/admin/inspections/spotcheck/add/").status_code == 403


@pytest.mark.django_db
def test_an_oversized_photo_is_refused_before_it_is_read(inspector, machine, monkeypatch):
    monkeypatch.setattr("inspections.uploads.MAX_UPLOAD_BYTES", 100)
    response = logged_in(inspector).post(
        "/inspect/new/", {**FORM, "number": "沪L4-00001", "photos": [photo_file()]}
    )
    assert response.status_code == 400 and "第1张照片：照片不能超过" in page(response)
    assert not SpotCheck.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("card", "checked"),
    [("genuine", "genuine"), ("not_genuine", "not_genuine"), ("unsigned", None), ("bogus", None)],
)
def test_the_verification_page_s_card_result_is_preselected(inspector, machine, card, checked):
    client = logged_in(inspector)
    response = client.get(f"/inspect/?number=沪L4-00001&card={card}")
    assert response.status_code == 302
    html = page(client.get(response["Location"]))
    if checked:
        assert f'value="{checked}" checked' in html
    else:
        assert 'name="card" value="' in html and "checked>" not in html.split("信息采集卡 <")[1]
