"""The owners' declaration wizard through the Django test client, as a phone uses it:
start, the four steps, photo uploads, the summary with its stage, submit, the progress
page; returns with per-field reasons; agents; outsiders; the query count of the list."""

import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AgentConsent
from owners import wizard
from registry import actions
from registry.constants import DeclarationStatus
from registry.models import Declaration, DeclarationPhoto, DeclarationRound
from registry.steps import STEP_FIELDS
from tests.conftest import logged_in
from tests.registry.helpers import BASIC_DATA, MACHINE_DATA, START_DATA, declare, jpeg

# A Monday in 2026, inside the holiday table, so review deadlines can be computed.
TODAY = "2026-11-23 10:00 +0800"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def upload(client, pk: int, kind: str, data: bytes | None = None, **extra):
    photo = SimpleUploadedFile("IMG_0001.jpg", data or jpeg(), "image/jpeg")
    return client.post(f"/declarations/{pk}/photos/", {"kind": kind, "file": photo, **extra})


def page(response) -> str:
    return response.content.decode()


def start(client, **fields) -> int:
    response = client.post("/declarations/new/", {**START_DATA, **fields})
    assert response.status_code == 302, page(response)[:2000]
    match = re.fullmatch(r"/declarations/(\d+)/step/1/", response["Location"])
    assert match, response["Location"]
    return int(match.group(1))


def fill_in(client, pk: int, *, machine: dict | None = None) -> None:
    """Steps 1 to 4 with the photos a machine with nameplates needs."""
    assert client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)["Location"] == (
        f"/declarations/{pk}/step/2/"
    )
    for kind in ("front", "rear", "front_45", "machine_nameplate"):
        response = upload(client, pk, kind)
        assert response.status_code == 302, page(response)[:2000]
        assert response["Location"] == f"/declarations/{pk}/step/2/#slot-{kind}"
    response = client.post(f"/declarations/{pk}/step/2/", {"has_nameplates": "true"})
    assert response["Location"] == f"/declarations/{pk}/step/3/"
    response = client.post(f"/declarations/{pk}/step/3/", {**MACHINE_DATA, **(machine or {})})
    assert response["Location"] == f"/declarations/{pk}/step/4/", page(response)[:2000]
    response = client.post(f"/declarations/{pk}/step/4/", {"dpf_maker": "某DPF厂"})
    assert response["Location"] == f"/declarations/{pk}/summary/"


@pytest.mark.django_db
class TestWizard:
    def test_the_whole_wizard(self, owner):
        client = logged_in(owner)
        new = client.get("/declarations/new/")
        assert new.status_code == 200
        assert "登记区县" in page(new) and "浦东新区" in page(new) and "工地" in page(new)
        pk = start(client)

        step1 = page(client.get(f"/declarations/{pk}/step/1/"))
        assert 'aria-current="step"' in step1 and "基本信息" in step1 and "完成" in step1
        assert "挖掘机" in step1 and "外省市转入" in step1
        assert 'name="in_plant_plate"' not in step1  # only for in-plant vehicles
        # A later step waits for the earlier ones.
        assert client.get(f"/declarations/{pk}/step/3/")["Location"] == (
            f"/declarations/{pk}/step/1/"
        )
        assert client.post(f"/declarations/{pk}/step/1/", BASIC_DATA).status_code == 302

        step2 = page(client.get(f"/declarations/{pk}/step/2/"))
        # Camera or gallery: phones offer both for accept="image/*" without capture.
        assert 'accept="image/*"' in step2 and "capture=" not in step2
        assert 'enctype="multipart/form-data"' in step2
        for label in ("机身正面", "机械铭牌", "合格证", "其他资料"):
            assert label in step2
        assert "环保信息随车清单正面" not in step2  # not in-plant

        fill_in(client, pk)
        photo = DeclarationPhoto.objects.get(declaration_id=pk, kind="front")
        step2 = page(client.get(f"/declarations/{pk}/step/2/"))
        assert f'src="/photos/{photo.pk}/"' in step2
        assert f"/declarations/{pk}/photos/{photo.pk}/delete/" in step2
        image = client.get(f"/photos/{photo.pk}/")
        assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"

        step3 = page(client.get(f"/declarations/{pk}/step/3/"))
        assert (
            'value="CNFJG4000L53000006000001"' in step3
            and 'hx-post="/declarations/check-group/"' in step3
        )
        assert 'value="110"' in step3  # the stored power, as typed
        assert "✓" in step3.split('id="check_machine_disclosure_number"')[1][:200]

        summary = page(client.get(f"/declarations/{pk}/summary/"))
        assert "国4" in summary and "第6位为4" in summary and "第七条第（一）项" in summary
        assert "履带式挖掘机" in summary and "某DPF厂" in summary and "还需补充" not in summary

        response = client.post(f"/declarations/{pk}/submit/")
        assert response["Location"] == "/declarations/"
        progress = page(client.get("/declarations/"))
        assert "已提交，等待审核（审核期限：2026-12-07）" in progress
        assert "待审核" in progress and "履带式挖掘机" in progress and "张三" in progress
        declaration = Declaration.objects.get(pk=pk)
        assert declaration.status == DeclarationStatus.SUBMITTED and declaration.stage == 4

        # A double tap is one submission; the read-only view has no forms to change it.
        assert client.post(f"/declarations/{pk}/submit/").status_code == 302
        assert DeclarationRound.objects.filter(declaration_id=pk).count() == 1
        detail = page(client.get(f"/declarations/{pk}/"))
        assert "申报详情" in detail and "待审核" in detail and "2026-12-07" in detail
        assert client.get(f"/declarations/{pk}/step/1/")["Location"] == f"/declarations/{pk}/"
        assert upload(client, pk, "other")["Location"] == f"/declarations/{pk}/"

    def test_draft_resumes_at_its_first_unfinished_step(self, owner):
        client = logged_in(owner)
        pk = start(client)
        assert client.get(f"/declarations/{pk}/")["Location"] == f"/declarations/{pk}/step/1/"
        client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        assert client.get(f"/declarations/{pk}/")["Location"] == f"/declarations/{pk}/step/2/"
        # The step indicator marks step 1 done and lets it be reopened.
        step2 = page(client.get(f"/declarations/{pk}/step/2/"))
        assert f'href="/declarations/{pk}/step/1/"' in step2 and "✓" in step2

    def test_in_plant_asks_for_the_plate_and_the_list(self, owner):
        client = logged_in(owner)
        pk = start(client, registration_type="in_plant")
        step1 = client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        assert step1.status_code == 400
        assert 'id="err_in_plant_plate"' in page(step1) and "场内车辆号牌" in page(step1)
        client.post(f"/declarations/{pk}/step/1/", {**BASIC_DATA, "in_plant_plate": "沪场01234"})
        step2 = page(client.get(f"/declarations/{pk}/step/2/"))
        assert "环保信息随车清单正面" in step2 and "环保信息随车清单背面" in step2

    def test_summary_lists_what_is_missing(self, owner):
        client = logged_in(owner)
        pk = start(client)
        client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        client.post(f"/declarations/{pk}/step/2/", {"has_nameplates": "false"})
        client.post(
            f"/declarations/{pk}/step/3/", {**MACHINE_DATA, "machine_disclosure_number": ""}
        )
        client.post(f"/declarations/{pk}/step/4/", {})
        summary = page(client.get(f"/declarations/{pk}/summary/"))
        assert "还需补充" in summary and "请上传机身正面照片" in summary
        assert "无铭牌的机械须上传合格证照片" in summary
        assert f'href="/declarations/{pk}/step/2/"' in summary
        # No disclosure number: the diesel production date decides (Art. 7 (三)).
        assert "国2" in summary and "柴油机械生产日期" in summary
        response = client.post(f"/declarations/{pk}/submit/")
        assert response.status_code == 400
        assert "提交未成功" in page(response) and "去“图片上传”修改" in page(response)
        assert Declaration.objects.get(pk=pk).status == DeclarationStatus.DRAFT


@pytest.mark.django_db
class TestErrors:
    def test_start_errors_next_to_fields(self, owner):
        response = logged_in(owner).post("/declarations/new/", {"district": "Z9"})
        assert response.status_code == 400
        body = page(response)
        assert 'id="err_district"' in body and 'id="err_site_type"' in body
        assert 'id="err_registration_type"' in body and "请选择使用场所" in body
        assert not Declaration.objects.exists()

    def test_step_errors_next_to_fields_and_values_kept(self, owner):
        client = logged_in(owner)
        pk = start(client)
        response = client.post(
            f"/declarations/{pk}/step/1/",
            {**BASIC_DATA, "machine_type": "", "acquisition_date": "2026-13-01"},
        )
        assert response.status_code == 400
        body = page(response)
        assert 'id="err_machine_type"' in body and "请选择机械类型" in body
        assert 'id="err_acquisition_date"' in body and "格式应为年-月-日" in body
        assert 'value="SY215C"' in body  # what was typed stays
        client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        client.post(f"/declarations/{pk}/step/2/", {"has_nameplates": "true"})
        response = client.post(
            f"/declarations/{pk}/step/3/",
            {
                **MACHINE_DATA,
                "machine_disclosure_number": "CNFJG0000L53000006000001",
                "fuel_type": "",
                "engine_power_kw": "abc",
            },
        )
        assert response.status_code == 400
        body = page(response)
        for name in ("machine_disclosure_number", "fuel_type", "engine_power_kw"):
            assert f'id="err_{name}"' in body
        assert Declaration.objects.get(pk=pk).step == 2

    def test_step_two_needs_the_nameplate_choice(self, owner):
        client = logged_in(owner)
        pk = start(client)
        client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        response = client.post(f"/declarations/{pk}/step/2/", {})
        assert response.status_code == 400 and 'id="err_has_nameplates"' in page(response)

    def test_photo_errors_beside_the_slot(self, owner):
        client = logged_in(owner)
        pk = start(client)
        client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        response = upload(client, pk, "rear", b"not a photo at all")
        assert response.status_code == 400
        body = page(response)
        assert 'id="err_rear"' in body and 'id="slot-rear"' in body
        missing = client.post(f"/declarations/{pk}/photos/", {"kind": "front"})
        assert missing.status_code == 400 and "请选择要上传的照片" in page(missing)
        assert not DeclarationPhoto.objects.exists()

    def test_a_post_without_photo_or_kind_is_a_form_error_not_a_500(self, owner):
        # Found by tests/accounts/test_object_matrix.py: the message's template fell back on
        # errors.kind as a filter argument, which Django resolves strictly.
        client = logged_in(owner)
        pk = start(client)
        response = client.post(f"/declarations/{pk}/photos/", {})
        assert response.status_code == 400
        assert "请选择要上传的照片" in page(response)

    def test_upload_keeps_the_unsaved_nameplate_choice(self, owner):
        client = logged_in(owner)
        pk = start(client)
        client.post(f"/declarations/{pk}/step/1/", BASIC_DATA)
        response = upload(client, pk, "certificate", has_nameplates="false")
        assert response["Location"] == (
            f"/declarations/{pk}/step/2/?has_nameplates=false#slot-certificate"
        )
        body = page(client.get(response["Location"]))
        assert re.search(r'value="false" data-nameplates checked', body)
        assert 'data-photo-group="nameplates" hidden' in body

    def test_photo_delete(self, owner):
        client = logged_in(owner)
        pk = start(client)
        upload(client, pk, "front")
        photo = DeclarationPhoto.objects.get()
        response = client.post(f"/declarations/{pk}/photos/{photo.pk}/delete/")
        assert response["Location"] == f"/declarations/{pk}/step/2/#slot-front"
        assert not DeclarationPhoto.objects.exists()

    def test_check_group_fragment(self, owner):
        client = logged_in(owner)
        url = "/declarations/check-group/"
        ok = client.post(url, {"group": "machine_env_code", "value": "*LSH12345667890123*"})
        assert "✓" in page(ok)
        # htmx sends the input under its own name.
        bad = client.post(url, {"group": "pin", "pin": "123"})
        assert 'class="error"' in page(bad) and "17" in page(bad)
        warned = client.post(url, {"group": "machine_env_code", "value": "LSH12345X67890123"})
        assert 'class="warn"' in page(warned) and "校验字符" in page(warned)
        skipped = client.post(url, {"group": "engine_number", "value": "  "})
        assert "跳过" in page(skipped)
        assert client.post(url, {"group": "nope", "value": "x"}).status_code == 400


@pytest.mark.django_db
class TestReturned:
    def test_reasons_are_shown_and_the_owner_corrects_and_resubmits(self, owner, reviewer):
        declaration = declare(owner)
        actions.return_for_correction(
            acting_user=reviewer,
            declaration=declaration,
            reason="照片不清晰",
            field_reasons={"machine_model": "型号与铭牌不一致", "photos": "机身照片过暗"},
        )
        client = logged_in(owner)
        progress = page(client.get("/declarations/"))
        assert "退回重填" in progress and "照片不清晰" in progress
        assert "规格型号：型号与铭牌不一致" in progress and "修改后重新提交" in progress

        pk = declaration.pk
        assert client.get(f"/declarations/{pk}/")["Location"] == f"/declarations/{pk}/summary/"
        summary = page(client.get(f"/declarations/{pk}/summary/"))
        assert "审核退回" in summary and f'href="/declarations/{pk}/step/1/">规格型号' in summary
        step1 = page(client.get(f"/declarations/{pk}/step/1/"))
        field = step1.split('id="field-machine_model"')[1].split('class="field"')[0]
        assert "审核意见：型号与铭牌不一致" in field
        assert "审核意见（照片）：机身照片过暗" in page(client.get(f"/declarations/{pk}/step/2/"))

        response = client.post(
            f"/declarations/{pk}/step/1/", {**BASIC_DATA, "machine_model": "SY215C-9"}
        )
        assert response.status_code == 302
        assert upload(client, pk, "front", jpeg("white"), has_nameplates="true").status_code == 302
        assert client.post(f"/declarations/{pk}/submit/")["Location"] == "/declarations/"
        declaration.refresh_from_db()
        assert declaration.status == DeclarationStatus.SUBMITTED and declaration.rounds == 2
        assert declaration.machine_model == "SY215C-9"
        progress = page(client.get("/declarations/"))
        assert "待审核" in progress and "照片不清晰" not in progress

    def test_refusal_and_approval_on_the_progress_page(self, owner, reviewer):
        refused = declare(owner)
        actions.refuse(acting_user=reviewer, declaration=refused, reason="非本市机械")
        approved = declare(owner, machine={"pin": ""})
        actions.approve(acting_user=reviewer, declaration=approved)
        client = logged_in(owner)
        progress = page(client.get("/declarations/"))
        assert "不予登记理由" in progress and "非本市机械" in progress
        assert "工程机械沪L4-00001" in progress and "沪L4-00001" in progress
        detail = page(client.get(f"/declarations/{approved.pk}/"))
        assert "工程机械沪L4-00001" in detail and "国4" in detail
        assert "非本市机械" in page(client.get(f"/declarations/{refused.pk}/"))


@pytest.mark.django_db
class TestWhoMay:
    def test_agent_with_consent_declares_for_the_owner(self, agent, owner):
        AgentConsent.objects.create(agent=agent, owner=owner)
        client = logged_in(agent)
        new = page(client.get("/declarations/new/"))
        assert "代张三申报" in new and "本人（李四）" in new
        pk = start(client, owner=str(owner.pk))
        declaration = Declaration.objects.get(pk=pk)
        assert declaration.owner == owner and declaration.declared_by == agent
        fill_in(client, pk)
        assert client.post(f"/declarations/{pk}/submit/").status_code == 302
        # Both the agent and the owner follow it.
        assert "待审核" in page(client.get("/declarations/"))
        owner_view = page(logged_in(owner).get("/declarations/"))
        assert "待审核" in owner_view and "履带式挖掘机" in owner_view

    def test_no_consent_no_declaring_for_someone(self, agent, owner):
        response = logged_in(agent).post("/declarations/new/", {**START_DATA, "owner": owner.pk})
        assert response.status_code == 400 and 'id="err_owner"' in page(response)
        assert not Declaration.objects.exists()

    def test_another_owner_gets_404_everywhere(self, owner, other_owner):
        declaration = declare(owner, submit=False)
        photo = declaration.photos.first()
        assert photo is not None
        pk = declaration.pk
        client = logged_in(other_owner)
        for method, url in (
            ("get", f"/declarations/{pk}/"),
            ("get", f"/declarations/{pk}/step/1/"),
            ("post", f"/declarations/{pk}/step/1/"),
            ("get", f"/declarations/{pk}/step/2/"),
            ("get", f"/declarations/{pk}/summary/"),
            ("post", f"/declarations/{pk}/submit/"),
            ("post", f"/declarations/{pk}/photos/"),
            ("post", f"/declarations/{pk}/photos/{photo.pk}/delete/"),
            ("get", f"/photos/{photo.pk}/"),
        ):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (url, response.status_code)
        # The same 404 as for a declaration that does not exist.
        assert client.get("/declarations/999999/").status_code == 404
        assert "履带式挖掘机" not in page(client.get("/declarations/"))
        assert Declaration.objects.get(pk=pk).status == DeclarationStatus.DRAFT
        assert DeclarationPhoto.objects.filter(pk=photo.pk).exists()

    def test_clerk_of_the_district_files_for_an_owner(self, clerk, owner, other_owner):
        client = logged_in(clerk)  # district A
        # The start page sends a clerk to the counter intake (the owner's SMS code first).
        response = client.get(f"/declarations/new/?owner={owner.pk}")
        assert response.status_code == 302 and response["Location"] == "/staff/intake/"
        pk = declare(clerk, owner, submit=False).pk
        assert Declaration.objects.get(pk=pk).owner == owner
        fill_in(client, pk)
        response = client.post(f"/declarations/{pk}/submit/")
        assert response["Location"] == f"/declarations/{pk}/"
        # Not for a declaration in another district.
        elsewhere = declare(other_owner, submit=False)
        assert client.get(f"/declarations/{elsewhere.pk}/step/1/").status_code == 404


@pytest.mark.django_db
class TestProgressQueries:
    def test_query_count_does_not_grow_with_the_list(
        self, owner, agent, reviewer, django_assert_max_num_queries
    ):
        AgentConsent.objects.create(agent=agent, owner=owner)

        def add(n: int) -> None:
            for i in range(n):
                declaration = declare(owner, basic={"machine_name": f"挖掘机{i}"})
                if i % 2:
                    actions.return_for_correction(
                        acting_user=reviewer,
                        declaration=declaration,
                        reason="请核对",
                        field_reasons={"maker": "厂家名称不全"},
                    )
            declare(agent, submit=False)  # the agent's own draft is listed too

        def count_queries() -> tuple[int, str]:
            client = logged_in(agent)
            client.get("/account/")  # warm the session
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/declarations/")
            return len(queries), page(response)

        add(1)
        one, body = count_queries()
        assert body.count('class="card declaration"') == 2
        add(9)
        ten, body = count_queries()
        assert body.count('class="card declaration"') == 12
        assert body.count("厂家名称不全") == 4
        assert one == ten
        client = logged_in(agent)
        client.get("/account/")
        # Session, user, the owners acted for, the page, its cards, its rounds.
        with django_assert_max_num_queries(6):
            client.get("/declarations/")


def test_every_step_field_has_an_input_on_its_page():
    # The pages post exactly the fields of registry.steps; a field added there must get an
    # input here, or saving the step would silently blank it.
    for step in (1, 3, 4):
        on_page = {name for _title, _hint, names in wizard.SECTIONS[step] for name in names}
        assert on_page == set(STEP_FIELDS[step]), step
        assert {s.name for s in wizard.SPECS[step]} == set(STEP_FIELDS[step])


class TestProgressPages:
    """A fleet may follow thousands of machines: 50 a page, the same queries each page."""

    def test_pages_of_fifty_with_chinese_links(self, owner):
        template = declare(owner, submit=False)
        fields = {
            f.attname: getattr(template, f.attname)
            for f in Declaration._meta.concrete_fields
            if not f.primary_key
        }
        Declaration.objects.bulk_create(
            [Declaration(**{**fields, "machine_name": f"复制{i}"}) for i in range(54)]
        )
        client = logged_in(owner)
        client.get("/account/")  # warm the session
        with CaptureQueriesContext(connection) as first_queries:
            first = page(client.get("/declarations/"))
        assert first.count('class="card declaration"') == 50
        assert "第1页" in first and "?page=2" in first and "上一页" not in first
        with CaptureQueriesContext(connection) as second_queries:
            second = page(client.get("/declarations/?page=2"))
        assert second.count('class="card declaration"') == 5
        assert "上一页" in second and "第2页" in second and "下一页" not in second
        assert len(first_queries) == len(second_queries)
        # Past the end: no rows, a way back; nonsense: the first page.
        assert client.get("/declarations/?page=9")["Location"] == "/declarations/"
        assert page(client.get("/declarations/?page=x")).count('class="card declaration"') == 50
