"""The back office's signs-and-cards pages through the Django test client (Art. 9-10): the
tabs by state and district, the batch actions, the files for the contractor, the counter,
the photo decisions, and the machine's page."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.audit_labels import label
from core.models import AuditEntry
from registry import credentials as cards
from registry.constants import CredentialReason, CredentialStatus, SignPhotoDecision
from registry.models import Credential, Registration, SignPhoto
from tests.conftest import logged_in
from tests.registry import test_credentials as base
from tests.registry.helpers import jpeg

MONDAY = base.MONDAY
# Notice due Monday 30 November, photo due Thursday 3 December: both overdue on Friday 4.
FRIDAY_AFTER = "2026-12-04 10:00 +0800"
PLACE = "浦东新区生态环境局受理窗口"
STAGES = ("pending", "produced", "ready", "collected", "photo_submitted", "fixed")

pytestmark = pytest.mark.django_db
clerk_l = base.clerk_l
approved = base.approved
live = base.live


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def at_stage(owner: User, staff: User, stage: str, **declare_kwargs) -> Registration:
    """An approved machine of `owner` in `staff`'s district, moved to `stage` through the
    real actions (`staff` is a reviewer: approval and the district work alike)."""
    reg = approved(owner, staff, **declare_kwargs)
    pk = live(reg).pk
    steps = STAGES.index(stage)
    if steps >= 1:
        cards.record_produced(acting_user=staff, ids=[pk])
    if steps >= 2:
        cards.notify_collection(acting_user=staff, ids=[pk], place=PLACE)
    if steps >= 3:
        credential = live(reg)
        cards.record_collection(
            acting_user=staff, credential=credential, pickup_code=credential.pickup_code
        )
    if steps >= 4:
        # A picture of its own: the declaration's photos are all jpeg() (orange).
        cards.upload_sign_photo(acting_user=owner, credential=live(reg), data=jpeg("green"))
    if steps >= 5:
        photo = SignPhoto.objects.get(credential=live(reg))
        cards.confirm_sign_photo(acting_user=staff, photo=photo)
    assert live(reg).status == stage
    return reg


def in_k(owner: User, reviewer_k: User, stage: str) -> Registration:
    return at_stage(owner, reviewer_k, stage, start={"district": "K"})


def page(response) -> str:
    return response.content.decode()


def listed(html: str) -> list[str]:
    """The short numbers of the credentials page's rows (or the counter's cards), in order."""
    return re.findall(r'data-number="([^"]+)"', html)


def tab(client, name: str) -> list[str]:
    response = client.get(f"/staff/credentials/?tab={name}")
    assert response.status_code == 200
    return listed(page(response))


def status_of(reg: Registration) -> str:
    return live(reg).status


# --- the tabs -------------------------------------------------------------------------------


class TestTabs:
    def test_each_tab_lists_its_state_of_the_district_only(
        self, owner, other_owner, reviewer, reviewer_other_district, frozen
    ):
        mine = {stage: at_stage(owner, reviewer, stage) for stage in STAGES}
        theirs = {stage: in_k(other_owner, reviewer_other_district, stage) for stage in STAGES}
        client = logged_in(reviewer)
        other = logged_in(reviewer_other_district)
        for stage in STAGES:
            assert tab(client, stage) == [mine[stage].short_number], stage
            assert tab(other, stage) == [theirs[stage].short_number], stage
        for overdue in ("overdue_notice", "overdue_photo"):
            assert tab(client, overdue) == [] and tab(other, overdue) == []
        html = page(client.get("/staff/credentials/"))  # pending by default
        assert listed(html) == [mine["pending"].short_number]
        assert html.count('<span class="count">1</span>') == 6
        assert html.count('<span class="count">0</span>') == 2
        # Owners are named, their phones masked.
        assert "张三" in html and "138****0001" in html and owner.phone not in html
        assert "钱七" not in html

        frozen.move_to(FRIDAY_AFTER)
        # A new sign-in: the staff session of Monday has timed out by Friday.
        client, other = logged_in(reviewer), logged_in(reviewer_other_district)
        assert tab(client, "overdue_notice") == [mine["produced"].short_number]
        assert tab(client, "overdue_photo") == [mine["collected"].short_number]
        assert tab(other, "overdue_notice") == [theirs["produced"].short_number]
        assert tab(other, "overdue_photo") == [theirs["collected"].short_number]
        produced = page(client.get("/staff/credentials/?tab=produced"))
        assert 'class="overdue"' in produced and "2026-11-30" in produced

    def test_unknown_tab_falls_back_to_pending(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        assert tab(logged_in(reviewer), "revoked") == [reg.short_number]

    def test_photo_tab_shows_the_photo_and_the_decision_forms(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        html = page(logged_in(reviewer).get("/staff/credentials/?tab=photo_submitted"))
        assert f'src="/staff/sign-photos/{photo.pk}/"' in html
        assert f'action="/staff/sign-photos/{photo.pk}/confirm/"' in html
        assert f'action="/staff/sign-photos/{photo.pk}/reject/"' in html

    def test_city_admin_sees_every_district_but_cannot_act(
        self, owner, other_owner, reviewer, reviewer_other_district, city_admin
    ):
        l_regs = {stage: at_stage(owner, reviewer, stage) for stage in STAGES}
        k_regs = {stage: in_k(other_owner, reviewer_other_district, stage) for stage in STAGES}
        client = logged_in(city_admin)
        for stage in STAGES:
            assert set(tab(client, stage)) == {
                l_regs[stage].short_number,
                k_regs[stage].short_number,
            }
        html = page(client.get("/staff/credentials/?tab=pending"))
        assert "记录制作完成" not in html and "短信通知领取" not in html
        photo_html = page(client.get("/staff/credentials/?tab=photo_submitted"))
        assert "/confirm/" not in photo_html
        # Reading the files is allowed; every action is refused by the middleware.
        pending = live(l_regs["pending"])
        produced = live(l_regs["produced"])
        ready = live(l_regs["ready"])
        photo = SignPhoto.objects.get(credential=live(l_regs["photo_submitted"]))
        assert client.get(f"/staff/credentials/{pending.pk}/sign.pdf").status_code == 200
        for url, data in (
            ("/staff/credentials/produce/", {"ids": [pending.pk]}),
            ("/staff/credentials/notify/", {"ids": [produced.pk], "place": PLACE}),
            (f"/staff/credentials/{ready.pk}/collect/", {"pickup_code": ready.pickup_code}),
            (f"/staff/sign-photos/{photo.pk}/confirm/", {}),
            (f"/staff/sign-photos/{photo.pk}/reject/", {"reason": "看不清"}),
        ):
            assert client.post(url, data).status_code == 403, url
        assert client.get("/staff/collection/", {"q": ready.pickup_code}).status_code == 403
        for stage in STAGES:
            assert status_of(l_regs[stage]) == stage
        photo.refresh_from_db()
        assert photo.decision == SignPhotoDecision.PENDING


class TestQueryCount:
    @pytest.mark.parametrize("stage", ["pending", "produced", "photo_submitted", "fixed"])
    def test_constant_as_rows_grow(self, owner, reviewer, django_assert_num_queries, stage):
        client = logged_in(reviewer)
        client.get("/staff/")  # warm the session
        at_stage(owner, reviewer, stage)
        with CaptureQueriesContext(connection) as one:
            assert len(tab(client, stage)) == 1
        for _ in range(4):
            at_stage(owner, reviewer, stage)
        with django_assert_num_queries(len(one.captured_queries)):
            assert len(tab(client, stage)) == 5


# --- batch production and notice ------------------------------------------------------------


class TestBatch:
    def test_produce_then_notify(self, owner, reviewer, django_capture_on_commit_callbacks):
        regs = [at_stage(owner, reviewer, "pending") for _ in range(2)]
        ids = [live(r).pk for r in regs]
        client = logged_in(reviewer)
        response = client.post("/staff/credentials/produce/", {"ids": ids}, follow=True)
        assert response.redirect_chain[-1][0] == "/staff/credentials/?tab=produced"
        html = page(response)
        assert "已记录2套标志和信息卡制作完成，请在5个工作日内通知领取" in html
        assert sorted(listed(html)) == sorted(r.short_number for r in regs)
        assert [status_of(r) for r in regs] == [CredentialStatus.PRODUCED] * 2

        # Ids may also come comma-separated in one value.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/staff/credentials/notify/",
                {"ids": f"{ids[0]},{ids[1]}", "place": "浦东新区锦绣路1号"},
                follow=True,
            )
        assert response.redirect_chain[-1][0] == "/staff/credentials/?tab=ready"
        html = page(response)
        assert "已短信通知2位机主领取" in html and "浦东新区锦绣路1号" in html
        for reg in regs:
            credential = live(reg)
            assert credential.status == CredentialStatus.READY
            assert credential.collection_place == "浦东新区锦绣路1号"
            assert len(credential.pickup_code) == 8
            # The password is the owner's to show: not on the staff's list.
            assert credential.pickup_code not in html

    def test_produce_wrong_state_changes_nothing(self, owner, reviewer):
        done = at_stage(owner, reviewer, "produced")
        waiting = at_stage(owner, reviewer, "pending")
        response = logged_in(reviewer).post(
            "/staff/credentials/produce/",
            {"ids": [live(done).pk, live(waiting).pk]},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == "/staff/credentials/?tab=pending"
        html = page(response)
        assert f"以下号码不在待制作状态：{done.short_number}" in html
        assert status_of(waiting) == CredentialStatus.PENDING
        assert not AuditEntry.objects.filter(
            action="credential.produced", target_id=str(live(waiting).pk)
        ).exists()

    def test_notify_wrong_state_or_no_place_changes_nothing(self, owner, reviewer):
        produced = at_stage(owner, reviewer, "produced")
        pending = at_stage(owner, reviewer, "pending")
        client = logged_in(reviewer)
        ids = [live(produced).pk, live(pending).pk]
        response = client.post(
            "/staff/credentials/notify/", {"ids": ids, "place": PLACE}, follow=True
        )
        assert response.redirect_chain[-1][0] == "/staff/credentials/?tab=produced"
        assert f"以下号码尚未记录制作完成或已通知：{pending.short_number}" in page(response)
        response = client.post(
            "/staff/credentials/notify/", {"ids": ids[:1], "place": "  "}, follow=True
        )
        assert "请填写领取地点" in page(response)
        assert status_of(produced) == CredentialStatus.PRODUCED
        assert status_of(pending) == CredentialStatus.PENDING
        assert live(produced).pickup_code == ""

    def test_nothing_selected_and_other_districts(
        self, owner, other_owner, reviewer, reviewer_other_district
    ):
        mine = at_stage(owner, reviewer, "pending")
        theirs = in_k(other_owner, reviewer_other_district, "pending")
        client = logged_in(reviewer)
        assert "请至少选择一项" in page(client.post("/staff/credentials/produce/", follow=True))
        response = client.post(
            "/staff/credentials/produce/",
            {"ids": [live(mine).pk, live(theirs).pk]},
            follow=True,
        )
        assert "所选项目中有不存在或不属于本区的记录" in page(response)
        assert status_of(mine) == status_of(theirs) == CredentialStatus.PENDING

    def test_get_is_not_allowed(self, reviewer):
        client = logged_in(reviewer)
        assert client.get("/staff/credentials/produce/").status_code == 405
        assert client.get("/staff/credentials/notify/").status_code == 405


# --- files ----------------------------------------------------------------------------------


def assert_pdf(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


class TestFiles:
    def test_batch_pdfs(self, owner, other_owner, reviewer, reviewer_other_district, city_admin):
        regs = [at_stage(owner, reviewer, "pending") for _ in range(2)]
        ids = [live(r).pk for r in regs]
        theirs = live(in_k(other_owner, reviewer_other_district, "pending")).pk
        client = logged_in(reviewer)
        for name in ("signs.pdf", "cards.pdf"):
            url = f"/staff/credentials/{name}"
            response = client.get(url, {"ids": ids})
            assert_pdf(response)
            assert response["Content-Disposition"] == f'attachment; filename="{name}"'
            assert_pdf(client.get(url, {"ids": ",".join(map(str, ids))}))
            assert client.get(url, {"ids": [theirs]}).status_code == 404
            assert client.get(url, {"ids": [ids[0], theirs]}).status_code == 404
            assert client.get(url, {"ids": [987654]}).status_code == 404
            assert client.get(url).status_code == 404
            # The city reads every district's files.
            assert_pdf(logged_in(city_admin).get(url, {"ids": [ids[0], theirs]}))

    def test_single_files(self, owner, other_owner, reviewer, reviewer_other_district):
        reg = at_stage(owner, reviewer, "pending")
        pk = live(reg).pk
        client = logged_in(reviewer)
        svg = client.get(f"/staff/credentials/{pk}/sign.svg")
        assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
        assert b"<svg" in svg.content[:500]
        assert 'filename="sign-' in svg["Content-Disposition"]
        assert_pdf(client.get(f"/staff/credentials/{pk}/sign.pdf"))
        assert_pdf(client.get(f"/staff/credentials/{pk}/card.pdf"))
        assert client.get(f"/staff/credentials/{pk}/card.png").status_code == 404
        assert client.get(f"/staff/credentials/{pk}/sign.svg.bak").status_code == 404
        other = logged_in(reviewer_other_district)
        for kind in ("sign.svg", "sign.pdf", "card.pdf"):
            assert other.get(f"/staff/credentials/{pk}/{kind}").status_code == 404
        theirs = live(in_k(other_owner, reviewer_other_district, "pending")).pk
        assert client.get(f"/staff/credentials/{theirs}/sign.pdf").status_code == 404

    def test_a_revoked_issue_has_no_files(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        old = live(reg)
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        client = logged_in(reviewer)
        assert client.get(f"/staff/credentials/{old.pk}/sign.pdf").status_code == 404
        assert client.get("/staff/credentials/signs.pdf", {"ids": [old.pk]}).status_code == 404
        assert_pdf(client.get(f"/staff/credentials/{live(reg).pk}/card.pdf"))


# --- the counter ----------------------------------------------------------------------------


class TestCollection:
    @pytest.fixture
    def ready(self, owner, other_owner, reviewer, reviewer_other_district):
        mine = at_stage(owner, reviewer, "ready")
        theirs = in_k(other_owner, reviewer_other_district, "ready")
        at_stage(owner, reviewer, "produced")  # not yet notified: never found
        return mine, theirs

    def test_search_finds_by_number_code_phone_and_name(self, ready, clerk_l, owner):
        mine, _theirs = ready
        code = live(mine).pickup_code
        client = logged_in(clerk_l)
        for q in (
            mine.short_number,
            mine.number,
            mine.short_number.lower(),
            mine.number.lower(),
            f" {mine.short_number.replace('-', ' - ')} ",
            mine.short_number.replace("-", "－"),  # a full-width dash from a phone keyboard
            code,
            owner.phone,
            owner.name,
        ):
            response = client.get("/staff/collection/", {"q": q})
            assert response.status_code == 200
            assert listed(page(response)) == [mine.short_number], q
        html = page(client.get("/staff/collection/", {"q": code}))
        assert f'action="/staff/credentials/{live(mine).pk}/collect/"' in html

    def test_search_finds_nothing_of_another_district(self, ready, clerk_l, other_owner):
        _mine, theirs = ready
        client = logged_in(clerk_l)
        for q in (
            theirs.short_number,
            theirs.number,
            live(theirs).pickup_code,
            other_owner.phone,
            other_owner.name,
            "00000000",
            "沪L4-99999",
        ):
            html = page(client.get("/staff/collection/", {"q": q}))
            assert listed(html) == [], q
            assert "没有找到待领取的记录" in html
        empty = page(client.get("/staff/collection/"))
        assert listed(empty) == [] and "没有找到" not in empty

    def test_wrong_code_shows_the_error_and_keeps_the_state(self, ready, clerk_l):
        mine, _theirs = ready
        credential = live(mine)
        wrong = "00000000" if credential.pickup_code != "00000000" else "11111111"
        response = logged_in(clerk_l).post(
            f"/staff/credentials/{credential.pk}/collect/", {"pickup_code": wrong}
        )
        assert response.status_code == 400
        html = page(response)
        assert "领取密码不正确" in html and 'role="alert"' in html
        assert listed(html) == [mine.short_number]
        assert status_of(mine) == CredentialStatus.READY
        assert AuditEntry.objects.filter(action="credential.pickup_code_wrong").count() == 1
        empty = logged_in(clerk_l).post(
            f"/staff/credentials/{credential.pk}/collect/", {"pickup_code": " "}
        )
        assert empty.status_code == 400 and "请输入领取密码" in page(empty)

    def test_right_code_collects(self, ready, clerk_l):
        mine, _theirs = ready
        credential = live(mine)
        client = logged_in(clerk_l)
        response = client.post(
            f"/staff/credentials/{credential.pk}/collect/",
            {"pickup_code": credential.pickup_code, "collector_name": "张三"},
        )
        assert response.status_code == 302 and response["Location"] == "/staff/collection/"
        credential.refresh_from_db()
        assert credential.status == CredentialStatus.COLLECTED
        assert credential.collected_by == clerk_l and credential.collector_name == "张三"
        html = page(client.get("/staff/collection/"))
        assert f"已办理{mine.number}的领取；机主须在10日内上传标志固定照片" in html
        # Collected once: a second hand-over is refused with the reason shown.
        again = client.post(
            f"/staff/credentials/{credential.pk}/collect/",
            {"pickup_code": credential.pickup_code},
        )
        assert again.status_code == 409
        assert "不能办理领取" in page(again)

    def test_another_district_cannot_collect(self, ready, reviewer_other_district):
        mine, _theirs = ready
        credential = live(mine)
        response = logged_in(reviewer_other_district).post(
            f"/staff/credentials/{credential.pk}/collect/",
            {"pickup_code": credential.pickup_code},
        )
        assert response.status_code == 404
        assert status_of(mine) == CredentialStatus.READY


# --- photos of fixed signs ------------------------------------------------------------------


class TestPhotoDecisions:
    def test_confirm(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        client = logged_in(reviewer)
        image = client.get(f"/staff/sign-photos/{photo.pk}/")
        assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
        response = client.post(f"/staff/sign-photos/{photo.pk}/confirm/", follow=True)
        assert response.redirect_chain[-1][0] == "/staff/credentials/?tab=photo_submitted"
        assert "已确认标志固定照片" in page(response)
        assert status_of(reg) == CredentialStatus.FIXED
        again = client.post(f"/staff/sign-photos/{photo.pk}/confirm/", follow=True)
        assert "该照片已处理或不在待确认状态" in page(again)

    def test_reject_needs_a_reason(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        client = logged_in(reviewer)
        response = client.post(
            f"/staff/sign-photos/{photo.pk}/reject/", {"reason": "  "}, follow=True
        )
        assert "请填写未通过的原因" in page(response)
        assert status_of(reg) == CredentialStatus.PHOTO_SUBMITTED
        photo.refresh_from_db()
        assert photo.decision == SignPhotoDecision.PENDING
        response = client.post(
            f"/staff/sign-photos/{photo.pk}/reject/", {"reason": "号码看不清"}, follow=True
        )
        assert "已退回照片，机主将收到短信提醒" in page(response)
        assert status_of(reg) == CredentialStatus.COLLECTED
        photo.refresh_from_db()
        assert (photo.decision, photo.reason) == (SignPhotoDecision.REJECTED, "号码看不清")

    def test_another_district_gets_404(self, owner, reviewer, reviewer_other_district):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        client = logged_in(reviewer_other_district)
        assert client.get(f"/staff/sign-photos/{photo.pk}/").status_code == 404
        assert client.post(f"/staff/sign-photos/{photo.pk}/confirm/").status_code == 404
        response = client.post(f"/staff/sign-photos/{photo.pk}/reject/", {"reason": "x"})
        assert response.status_code == 404
        assert status_of(reg) == CredentialStatus.PHOTO_SUBMITTED


# --- the machine's page ---------------------------------------------------------------------


class TestRegistrationPage:
    def test_credentials_history_and_spot_checks(self, owner, reviewer, inspector):
        from tests.inspections.helpers import record

        reg = at_stage(owner, reviewer, "photo_submitted")
        old = live(reg)
        photo = SignPhoto.objects.get(credential=old)
        cards.confirm_sign_photo(acting_user=reviewer, photo=photo)
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        check = record(inspector, reg)
        response = logged_in(reviewer).get(f"/staff/registrations/{reg.pk}/")
        assert response.status_code == 200
        html = page(response)
        assert reg.number in html and "张三" in html and "138****0001" in html
        assert owner.phone not in html and "浦东新区" in html and "国4" in html
        # Both issues, newest first; the revoked one without files.
        assert html.index('data-issue="2"') < html.index('data-issue="1"')
        assert "补办" in html and "作废" in html
        assert 'class="badge cred-pending"' in html and 'class="badge cred-revoked"' in html
        new = live(reg)
        assert f"/staff/credentials/{new.pk}/sign.svg" in html
        assert f"/staff/credentials/{old.pk}/sign.svg" not in html
        assert f'src="/staff/sign-photos/{photo.pk}/"' in html
        assert PLACE in html
        # The audit history of the declaration, the issues and the photo.
        for action in (
            "declaration.submitted",
            "credential.issued",
            "credential.produced",
            "credential.notified",
            "credential.collected",
            "sign_photo.uploaded",
            "sign_photo.confirmed",
            "credential.revoked",
        ):
            assert f'data-action="{action}">{label(action)}</td>' in html, action
        # The spot-check section.
        assert "inspections-history" in html and "监督检查" in html
        assert f'href="/inspect/checks/{check.pk}/"' in html
        assert "没有监督检查记录" not in html

    def test_no_spot_checks_yet(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        html = page(logged_in(reviewer).get(f"/staff/registrations/{reg.pk}/"))
        assert "没有监督检查记录" in html and "没有责令整改记录" in html
        assert f"/staff/registrations/{reg.pk}/form.pdf" in html

    def test_other_district_gets_404_city_reads(
        self, owner, reviewer, reviewer_other_district, city_admin, clerk_l
    ):
        reg = at_stage(owner, reviewer, "pending")
        other = logged_in(reviewer_other_district)
        assert other.get(f"/staff/registrations/{reg.pk}/").status_code == 404
        assert other.get(f"/staff/registrations/{reg.pk}/form.pdf").status_code == 404
        assert other.get("/staff/registrations/999999/").status_code == 404
        assert logged_in(city_admin).get(f"/staff/registrations/{reg.pk}/").status_code == 200
        assert logged_in(clerk_l).get(f"/staff/registrations/{reg.pk}/").status_code == 200

    def test_form_pdf(self, owner, reviewer, city_admin):
        reg = at_stage(owner, reviewer, "pending")
        response = logged_in(reviewer).get(f"/staff/registrations/{reg.pk}/form.pdf")
        assert_pdf(response)
        assert response["Content-Disposition"] == f'attachment; filename="form-{reg.pk}.pdf"'
        assert_pdf(logged_in(city_admin).get(f"/staff/registrations/{reg.pk}/form.pdf"))


class TestRegistrationList:
    def test_search(self, owner, other_owner, reviewer, reviewer_other_district, city_admin):
        first = at_stage(owner, reviewer, "pending", basic={"factory_serial": "SERIAL-A1"})
        second = at_stage(other_owner, reviewer, "pending")
        theirs = in_k(other_owner, reviewer_other_district, "pending")
        client = logged_in(reviewer)

        def found(q: str = "", who=client) -> set[str]:
            response = who.get("/staff/registrations/", {"q": q} if q else {})
            assert response.status_code == 200
            html = page(response)
            return {
                r.number
                for r in (first, second, theirs)
                if f'href="/staff/registrations/{r.pk}/"' in html
            }

        assert found() == {first.number, second.number}
        assert found(first.short_number) == {first.number}
        assert found(first.number) == {first.number}
        assert found(first.short_number.lower()) == {first.number}
        assert found("张三") == {first.number}
        assert found("钱七") == {second.number}
        assert found("SERIAL-A1") == {first.number}
        assert found(theirs.short_number) == set()
        assert found("沪L4-99999") == set()
        assert found(who=logged_in(city_admin)) == {first.number, second.number, theirs.number}
        html = page(client.get("/staff/registrations/"))
        assert "138****0001" in html and owner.phone not in html
        assert Credential.objects.count() == 3
