"""我的机械 through the Django test client: the sign and card's progress at each stage, the
pickup password only while it is needed, the photo of the fixed sign, the papers; and who
may see any of it (the owner, an agent with consent, nobody else)."""

import re

import pypdfium2 as pdfium
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AgentConsent
from photos.processing import MAX_UPLOAD_BYTES
from registry.constants import CredentialStatus
from registry.models import SignPhoto
from tests.backoffice.test_credential_pages import MONDAY, PLACE, at_stage, live
from tests.conftest import logged_in
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def page(response) -> str:
    return response.content.decode()


def photo_file(data: bytes | None = None, name: str = "IMG_2001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg("steelblue") if data is None else data, "image/jpeg")


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def pickup_codes(html: str) -> list[str]:
    return re.findall(r'data-testid="pickup-code">\s*([^<]*?)\s*<', html)


class TestStages:
    def test_pending(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        response = logged_in(owner).get(f"/registrations/{reg.pk}/")
        assert response.status_code == 200
        html = page(response)
        assert reg.number in html and reg.short_number in html
        assert "挖掘机" in html and "国4" in html and "浦东新区" in html
        assert "属地管理部门正在制作识别标志和信息采集卡" in html
        assert 'aria-current="step">制作中<' in html
        assert pickup_codes(html) == [] and "领取密码" not in html
        assert 'name="photo"' not in html
        assert f'href="/registrations/{reg.pk}/guide.pdf"' in html
        assert f'href="/registrations/{reg.pk}/form.pdf"' in html

    def test_produced_still_hides_the_place(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "produced")
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert "正在制作" in html and 'aria-current="step">制作完成<' in html
        assert pickup_codes(html) == [] and PLACE not in html

    def test_ready_shows_the_code_and_the_place(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "ready")
        credential = live(reg)
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert pickup_codes(html) == [credential.pickup_code]
        assert PLACE in html and "请到以下地点领取" in html
        assert 'aria-current="step">待领取<' in html
        assert 'name="photo"' not in html

    def test_collected_shows_the_upload_form(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert pickup_codes(html) == [] and live(reg).pickup_code not in html
        assert f'action="/registrations/{reg.pk}/sign-photo/"' in html
        assert 'enctype="multipart/form-data"' in html and 'name="photo"' in html
        assert "请在2026年12月3日前将识别标志固定" in html
        assert "已超过上传期限" not in html

    def test_collected_and_late(self, owner, reviewer, frozen):
        reg = at_stage(owner, reviewer, "collected")
        frozen.move_to("2026-12-04 10:00 +0800")
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert "已超过上传期限，请尽快上传" in html

    def test_photo_submitted(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert "照片已上传，等待属地管理部门确认" in html
        assert 'name="photo"' not in html
        assert f'src="/sign-photos/{photo.pk}/"' in html and "待确认" in html

    def test_fixed(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "fixed")
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert "标志固定照片已于2026-11-23确认" in html
        assert 'aria-current="step">已固定<' in html
        assert 'name="photo"' not in html and pickup_codes(html) == []

    def test_a_rejected_photo_shows_the_reason_and_the_form_again(self, owner, reviewer):
        from registry import credentials as cards

        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        cards.reject_sign_photo(acting_user=reviewer, photo=photo, reason="号码看不清")
        html = page(logged_in(owner).get(f"/registrations/{reg.pk}/"))
        assert "号码看不清" in html and 'name="photo"' in html


class TestProgressPage:
    @pytest.mark.parametrize("stage", ["pending", "produced", "ready", "collected", "fixed"])
    def test_pickup_code_only_while_ready(self, owner, reviewer, stage):
        reg = at_stage(owner, reviewer, stage)
        credential = live(reg)
        html = page(logged_in(owner).get("/declarations/"))
        assert reg.number in html
        assert f'href="/registrations/{reg.pk}/"' in html
        if stage == "ready":
            assert pickup_codes(html) == [credential.pickup_code]
            assert PLACE in html
        else:
            assert pickup_codes(html) == []
            assert "领取密码" not in html
            if credential.pickup_code:
                assert credential.pickup_code not in html
        if stage == "collected":
            assert "请在2026年12月3日前固定识别标志并上传照片" in html


class TestWhoMay:
    def owner_routes(self, reg) -> list[tuple[str, str]]:
        photo = SignPhoto.objects.get(credential=live(reg))
        return [
            ("get", f"/registrations/{reg.pk}/"),
            ("post", f"/registrations/{reg.pk}/sign-photo/"),
            ("get", f"/registrations/{reg.pk}/guide.pdf"),
            ("get", f"/registrations/{reg.pk}/form.pdf"),
            ("get", f"/sign-photos/{photo.pk}/"),
        ]

    @pytest.mark.parametrize("who", ["other_owner", "agent"])
    def test_outsiders_get_404_everywhere(self, request, owner, reviewer, who):
        reg = at_stage(owner, reviewer, "photo_submitted")
        client = logged_in(request.getfixturevalue(who))
        for method, url in self.owner_routes(reg):
            if method == "post":
                response = client.post(url, {"photo": photo_file()})
            else:
                response = client.get(url)
            assert response.status_code == 404, (url, response.status_code)
        # The same 404 as for a machine that does not exist.
        assert client.get("/registrations/999999/").status_code == 404
        assert client.get("/sign-photos/999999/").status_code == 404
        assert SignPhoto.objects.count() == 1
        assert reg.number not in page(client.get("/declarations/"))

    def test_outsider_upload_while_collected_changes_nothing(self, owner, other_owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        response = logged_in(other_owner).post(
            f"/registrations/{reg.pk}/sign-photo/", {"photo": photo_file()}
        )
        assert response.status_code == 404
        assert live(reg).status == CredentialStatus.COLLECTED
        assert not SignPhoto.objects.exists()

    def test_agent_with_consent_sees_and_uploads(self, owner, agent, reviewer):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        reg = at_stage(owner, reviewer, "collected")
        client = logged_in(agent)
        html = page(client.get(f"/registrations/{reg.pk}/"))
        assert reg.number in html and 'name="photo"' in html
        response = client.post(f"/registrations/{reg.pk}/sign-photo/", {"photo": photo_file()})
        assert response.status_code == 302
        assert response["Location"] == f"/registrations/{reg.pk}/"
        photo = SignPhoto.objects.get(credential=live(reg))
        assert photo.uploaded_by == agent
        assert live(reg).status == CredentialStatus.PHOTO_SUBMITTED
        followed = page(client.get(f"/registrations/{reg.pk}/"))
        assert "照片已上传，等待属地管理部门确认" in followed
        image = client.get(f"/sign-photos/{photo.pk}/")
        assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
        assert image.getvalue()[:2] == b"\xff\xd8"
        assert client.get(f"/registrations/{reg.pk}/guide.pdf").status_code == 200
        # Withdrawn consent: the agent is an outsider again.
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        assert client.get(f"/registrations/{reg.pk}/").status_code == 404
        assert client.get(f"/sign-photos/{photo.pk}/").status_code == 404

    def test_staff_are_not_owners(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        assert logged_in(reviewer).get(f"/registrations/{reg.pk}/").status_code == 403


class TestUpload:
    def test_owner_uploads(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        client = logged_in(owner)
        response = client.post(
            f"/registrations/{reg.pk}/sign-photo/", {"photo": photo_file()}, follow=True
        )
        assert response.redirect_chain[-1][0] == f"/registrations/{reg.pk}/"
        assert "照片已上传，等待属地管理部门确认" in page(response)
        assert live(reg).status == CredentialStatus.PHOTO_SUBMITTED

    def test_no_file(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        response = logged_in(owner).post(f"/registrations/{reg.pk}/sign-photo/", {})
        assert response.status_code == 400
        html = page(response)
        assert "请选择要上传的照片" in html and 'role="alert"' in html
        assert 'name="photo"' in html  # the form is still there to try again
        assert live(reg).status == CredentialStatus.COLLECTED

    def test_not_an_image(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        response = logged_in(owner).post(
            f"/registrations/{reg.pk}/sign-photo/",
            {"photo": photo_file(b"%PDF-1.4 not a photo", "scan.jpg")},
        )
        assert response.status_code == 400
        assert "文件不是图片" in page(response)
        assert not SignPhoto.objects.exists()
        assert live(reg).status == CredentialStatus.COLLECTED

    def test_empty_file(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        response = logged_in(owner).post(
            f"/registrations/{reg.pk}/sign-photo/", {"photo": photo_file(b"", "empty.jpg")}
        )
        assert response.status_code == 400
        assert "上传的文件为空" in page(response)

    def test_too_large(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        big = photo_file(b"\xff\xd8" + b"\0" * MAX_UPLOAD_BYTES, "huge.jpg")
        response = logged_in(owner).post(f"/registrations/{reg.pk}/sign-photo/", {"photo": big})
        assert response.status_code == 400
        assert "照片不能超过15MB" in page(response)

    @pytest.mark.parametrize(
        ("stage", "message"),
        [
            ("pending", "领取识别标志后才能上传固定照片"),
            ("ready", "领取识别标志后才能上传固定照片"),
            ("photo_submitted", "照片已提交，正在等待属地管理部门确认"),
            ("fixed", "标志固定照片已确认，无需再上传"),
        ],
    )
    def test_wrong_state(self, owner, reviewer, stage, message):
        reg = at_stage(owner, reviewer, stage)
        before = SignPhoto.objects.count()
        response = logged_in(owner).post(
            f"/registrations/{reg.pk}/sign-photo/", {"photo": photo_file()}
        )
        assert response.status_code == 409
        html = page(response)
        assert message in html and 'role="alert"' in html
        assert live(reg).status == stage
        assert SignPhoto.objects.count() == before


class TestPapers:
    @pytest.mark.parametrize("name", ["guide.pdf", "form.pdf"])
    def test_pdf_has_no_full_id_number(self, owner, reviewer, name):
        reg = at_stage(owner, reviewer, "pending")
        response = logged_in(owner).get(f"/registrations/{reg.pk}/{name}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        stem = name.removesuffix(".pdf")
        assert response["Content-Disposition"] == f'attachment; filename="{stem}-{reg.pk}.pdf"'
        assert response.content.startswith(b"%PDF")
        text = pdf_text(response.content)
        assert owner.id_number not in text and owner.phone not in text
        assert reg.number in text.replace("\r", "").replace("\n", "")

    def test_form_shows_the_masked_id_number(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        text = pdf_text(logged_in(owner).get(f"/registrations/{reg.pk}/form.pdf").content)
        assert "110***********002X" in text
        assert "138****0001" in text
        assert "11010519491231002X" not in text
