"""Registered machines over the API (api/registrations.py): the owner's machines and the
photo of the fixed sign, the district's production, notices, counter and photo decisions,
and public verification of numbers and scanned cards with the keys to check them offline."""

import json
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import AgentConsent
from registry import credentials as cards
from registry.constants import CredentialReason, CredentialStatus, SignPhotoDecision
from registry.models import SignPhoto
from rules import cardsig
from tests.api.test_accounts_api import call
from tests.api.test_declarations_api import token
from tests.backoffice.test_credential_pages import MONDAY, PLACE, at_stage, in_k, live
from tests.registry import test_credentials as base
from tests.registry.helpers import jpeg

pytestmark = pytest.mark.django_db
UNKNOWN = "沪A2-ZZZZZ"
clerk_l = base.clerk_l


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def bearer(user) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token(user)}"}


def upload(client: Client, pk: int, user, data: bytes | None = None):
    photo = SimpleUploadedFile("IMG_2001.jpg", jpeg("steelblue") if data is None else data)
    return client.post(f"/api/v1/registrations/{pk}/sign-photo", {"file": photo}, **bearer(user))


def error_code(response) -> str:
    return response.json()["error"]["code"]


def assert_pdf(response) -> None:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def assert_public(data, owner) -> None:
    """Nothing about the owner in a public answer."""
    text = json.dumps(data, ensure_ascii=False)
    for private in (
        owner.name,
        owner.phone,
        "138****0001",
        owner.id_number,
        "110***********002X",
        "张江路",
        "SY021CAB12345",
        "pickup",
    ):
        assert private not in text, private


def proof_of(credential) -> str:
    return f"{credential.issue}.{credential.kid}.{credential.signature}"


# --- owners ---------------------------------------------------------------------------------


class TestOwner:
    @pytest.mark.parametrize("stage", ["pending", "produced", "ready", "collected", "fixed"])
    def test_pickup_code_only_while_ready(self, client, owner, reviewer, stage):
        reg = at_stage(owner, reviewer, stage)
        credential = live(reg)
        t = token(owner)
        listed = call(client, "get", "registrations", token=t)
        assert listed.status_code == 200
        rows = listed.json()
        assert [r["id"] for r in rows] == [reg.pk]
        detail = call(client, "get", f"registrations/{reg.pk}", token=t).json()
        assert detail == rows[0]
        assert detail["number"] == reg.number and detail["short_number"] == reg.short_number
        assert detail["machine_type"] == "挖掘机" and detail["stage_label"] == "国4"
        assert detail["district"] == "L" and detail["status"] == "valid"
        got = detail["credential"]
        assert got["id"] == credential.pk and got["issue"] == 1 and got["status"] == stage
        if stage == "ready":
            assert got["pickup_code"] == credential.pickup_code
            assert got["collection_place"] == PLACE
        else:
            assert got["pickup_code"] is None
        if stage == "produced":
            assert got["notice_due"] == "2026-11-30"
        if stage == "collected":
            assert got["photo_due"] == "2026-12-03"
        if stage == "fixed":
            assert [p["decision"] for p in got["photos"]] == ["confirmed"]
            assert got["fixed_at"] is not None

    def test_only_the_live_issue_is_shown(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "ready")
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        got = call(client, "get", f"registrations/{reg.pk}", token=token(owner)).json()
        assert got["credential"]["issue"] == 2 and got["credential"]["status"] == "pending"
        assert got["credential"]["reason"] == "reissue" and got["credential"]["pickup_code"] is None

    def test_sign_photo_upload(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        response = upload(client, reg.pk, owner)
        assert response.status_code == 201, response.content
        body = response.json()
        photo = SignPhoto.objects.get(credential=live(reg))
        assert body["id"] == photo.pk and body["decision"] == "pending"
        assert body["decision_label"] == "待确认" and body["reason"] == ""
        assert live(reg).status == CredentialStatus.PHOTO_SUBMITTED
        again = upload(client, reg.pk, owner)
        assert again.status_code == 409 and error_code(again) == "wrong_state"
        assert "等待" in again.json()["error"]["message"]
        assert SignPhoto.objects.count() == 1

    @pytest.mark.parametrize("stage", ["pending", "ready", "fixed"])
    def test_sign_photo_wrong_state(self, client, owner, reviewer, stage):
        reg = at_stage(owner, reviewer, stage)
        before = SignPhoto.objects.count()
        response = upload(client, reg.pk, owner)
        assert response.status_code == 409
        assert error_code(response) == "wrong_state"
        assert live(reg).status == stage and SignPhoto.objects.count() == before

    def test_sign_photo_errors(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        bad = upload(client, reg.pk, owner, b"not a photo")
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "photo_not_image"
        assert bad.json()["error"]["field"] == "file"  # the multipart field's name
        missing = client.post(f"/api/v1/registrations/{reg.pk}/sign-photo", {}, **bearer(owner))
        assert missing.status_code == 422
        assert live(reg).status == CredentialStatus.COLLECTED

    def test_papers(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        for name in ("guide.pdf", "form.pdf"):
            response = client.get(f"/api/v1/registrations/{reg.pk}/{name}", **bearer(owner))
            assert_pdf(response)
            assert f"-{reg.pk}.pdf" in response["Content-Disposition"]

    def test_other_owner_gets_404(self, client, owner, other_owner, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        t = token(other_owner)
        assert call(client, "get", "registrations", token=t).json() == []
        assert call(client, "get", f"registrations/{reg.pk}", token=t).status_code == 404
        headers = {"HTTP_AUTHORIZATION": f"Bearer {t}"}
        for name in ("guide.pdf", "form.pdf"):
            assert (
                client.get(f"/api/v1/registrations/{reg.pk}/{name}", **headers).status_code == 404
            )
        assert upload(client, reg.pk, other_owner).status_code == 404
        assert live(reg).status == CredentialStatus.COLLECTED
        assert call(client, "get", "registrations/999999", token=t).status_code == 404

    def test_agent_with_consent(self, client, owner, agent, reviewer):
        reg = at_stage(owner, reviewer, "collected")
        assert call(client, "get", f"registrations/{reg.pk}", token=token(agent)).status_code == 404
        AgentConsent.objects.create(agent=agent, owner=owner)
        rows = call(client, "get", "registrations", token=token(agent)).json()
        assert [r["id"] for r in rows] == [reg.pk]
        assert upload(client, reg.pk, agent).status_code == 201

    def test_staff_and_anonymous_are_refused(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        assert call(client, "get", "registrations", token=token(reviewer)).status_code == 403
        assert call(client, "get", f"registrations/{reg.pk}").status_code == 401


# --- district staff -------------------------------------------------------------------------


class TestStaff:
    def test_list_by_status(
        self, client, owner, other_owner, reviewer, reviewer_other_district, city_admin
    ):
        mine = {s: at_stage(owner, reviewer, s) for s in ("pending", "ready", "fixed")}
        theirs = in_k(other_owner, reviewer_other_district, "pending")
        t = token(reviewer)
        for status, reg in mine.items():
            rows = call(client, "get", f"staff/credentials?status={status}", token=t).json()
            assert [r["registration_id"] for r in rows] == [reg.pk], status
            assert rows[0]["number"] == reg.number and rows[0]["owner_name"] == "张三"
            assert "pickup_code" not in rows[0]
        default = call(client, "get", "staff/credentials", token=t).json()
        assert [r["short_number"] for r in default] == [mine["pending"].short_number]
        assert call(client, "get", "staff/credentials?status=produced", token=t).json() == []
        bad = call(client, "get", "staff/credentials?status=lost", token=t)
        assert bad.status_code == 400 and error_code(bad) == "bad_status"
        assert bad.json()["error"]["field"] == "status"
        everyone = call(client, "get", "staff/credentials", token=token(city_admin)).json()
        assert {r["registration_id"] for r in everyone} == {mine["pending"].pk, theirs.pk}
        assert call(client, "get", "staff/credentials", token=token(owner)).status_code == 403

    def test_produce_and_notify(self, client, owner, reviewer, django_capture_on_commit_callbacks):
        regs = [at_stage(owner, reviewer, "pending") for _ in range(2)]
        ids = [live(r).pk for r in regs]
        t = token(reviewer)
        produced = call(client, "post", "staff/credentials/produce", {"ids": ids}, token=t)
        assert produced.status_code == 200, produced.content
        assert [r["status"] for r in produced.json()] == ["produced", "produced"]
        assert produced.json()[0]["notice_due"] == "2026-11-30"
        again = call(client, "post", "staff/credentials/produce", {"ids": ids}, token=t)
        assert again.status_code == 409 and error_code(again) == "wrong_state"

        no_place = call(
            client, "post", "staff/credentials/notify", {"ids": ids, "place": " "}, token=t
        )
        assert no_place.status_code == 400 and error_code(no_place) == "place_required"
        with django_capture_on_commit_callbacks(execute=True):
            notified = call(
                client, "post", "staff/credentials/notify", {"ids": ids, "place": PLACE}, token=t
            )
        assert notified.status_code == 200
        assert [r["status"] for r in notified.json()] == ["ready", "ready"]
        assert all(r["collection_place"] == PLACE for r in notified.json())
        assert "pickup_code" not in notified.json()[0]
        again = call(
            client, "post", "staff/credentials/notify", {"ids": ids, "place": PLACE}, token=t
        )
        assert again.status_code == 409 and error_code(again) == "wrong_state"
        empty = call(client, "post", "staff/credentials/produce", {"ids": []}, token=t)
        assert empty.status_code == 400 and error_code(empty) == "nothing_selected"

    def test_other_district_is_404(
        self, client, owner, other_owner, reviewer, reviewer_other_district
    ):
        mine = at_stage(owner, reviewer, "pending")
        theirs = live(in_k(other_owner, reviewer_other_district, "ready"))
        t = token(reviewer)
        for path, body in (
            ("staff/credentials/produce", {"ids": [live(mine).pk, theirs.pk]}),
            ("staff/credentials/notify", {"ids": [theirs.pk], "place": PLACE}),
        ):
            response = call(client, "post", path, body, token=t)
            assert response.status_code == 404 and error_code(response) == "not_found"
        collect = call(
            client,
            "post",
            f"staff/credentials/{theirs.pk}/collect",
            {"pickup_code": theirs.pickup_code},
            token=t,
        )
        assert collect.status_code == 404
        for kind in ("sign.svg", "sign.pdf", "card.pdf"):
            response = call(client, "get", f"staff/credentials/{theirs.pk}/{kind}", token=t)
            assert response.status_code == 404
        assert live(mine).status == CredentialStatus.PENDING
        theirs.refresh_from_db()
        assert theirs.status == CredentialStatus.READY

    def test_collect(self, client, owner, reviewer, clerk_l):
        reg = at_stage(owner, reviewer, "ready")
        credential = live(reg)
        t = token(clerk_l)
        url = f"staff/credentials/{credential.pk}/collect"
        wrong = "00000000" if credential.pickup_code != "00000000" else "11111111"
        refused = call(client, "post", url, {"pickup_code": wrong}, token=t)
        assert refused.status_code == 400 and error_code(refused) == "pickup_code_wrong"
        assert refused.json()["error"]["field"] == "pickup_code"
        assert live(reg).status == CredentialStatus.READY
        done = call(
            client,
            "post",
            url,
            {"pickup_code": credential.pickup_code, "collector_name": "张三"},
            token=t,
        )
        assert done.status_code == 200
        assert done.json()["status"] == "collected" and done.json()["photo_due"] == "2026-12-03"
        twice = call(client, "post", url, {"pickup_code": credential.pickup_code}, token=t)
        assert twice.status_code == 409 and error_code(twice) == "wrong_state"
        late = call(client, "post", url, {"pickup_code": "1"}, token=token(reviewer))
        assert late.status_code == 409 and error_code(late) == "wrong_state"

    def test_photo_decisions(self, client, owner, reviewer, reviewer_other_district):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        t = token(reviewer)
        other = token(reviewer_other_district)
        base = f"staff/sign-photos/{photo.pk}"
        assert call(client, "post", f"{base}/confirm", token=other).status_code == 404
        no_reason = call(client, "post", f"{base}/reject", {"reason": " "}, token=t)
        assert no_reason.status_code == 400 and error_code(no_reason) == "reason_required"
        rejected = call(client, "post", f"{base}/reject", {"reason": "号码看不清"}, token=t)
        assert rejected.status_code == 200
        assert rejected.json()["decision"] == "rejected"
        assert rejected.json()["reason"] == "号码看不清"
        assert live(reg).status == CredentialStatus.COLLECTED
        late = call(client, "post", f"{base}/confirm", token=t)
        assert late.status_code == 409 and error_code(late) == "wrong_state"
        assert upload(client, reg.pk, owner).status_code == 201
        second = SignPhoto.objects.filter(credential=live(reg)).latest("pk")
        confirmed = call(client, "post", f"staff/sign-photos/{second.pk}/confirm", token=t)
        assert confirmed.status_code == 200 and confirmed.json()["decision"] == "confirmed"
        second.refresh_from_db()
        assert second.decision == SignPhotoDecision.CONFIRMED
        assert live(reg).status == CredentialStatus.FIXED

    def test_files(self, client, owner, reviewer, city_admin):
        reg = at_stage(owner, reviewer, "pending")
        pk = live(reg).pk
        for t in (token(reviewer), token(city_admin)):
            svg = call(client, "get", f"staff/credentials/{pk}/sign.svg", token=t)
            assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
            assert b"<svg" in svg.content[:500]
            assert_pdf(call(client, "get", f"staff/credentials/{pk}/sign.pdf", token=t))
            assert_pdf(call(client, "get", f"staff/credentials/{pk}/card.pdf", token=t))
            bad = call(client, "get", f"staff/credentials/{pk}/card.png", token=t)
            assert bad.status_code == 404 and error_code(bad) == "bad_kind"
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        revoked = call(client, "get", f"staff/credentials/{pk}/sign.pdf", token=token(reviewer))
        assert revoked.status_code == 409 and error_code(revoked) == "revoked"

    def test_city_admin_cannot_act(self, client, owner, reviewer, city_admin):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        t = token(city_admin)
        for path, body in (
            ("staff/credentials/produce", {"ids": [live(reg).pk]}),
            ("staff/credentials/notify", {"ids": [live(reg).pk], "place": PLACE}),
            (f"staff/credentials/{live(reg).pk}/collect", {"pickup_code": "12345678"}),
            (f"staff/sign-photos/{photo.pk}/confirm", None),
            (f"staff/sign-photos/{photo.pk}/reject", {"reason": "x"}),
        ):
            response = call(client, "post", path, body, token=t)
            assert response.status_code == 403 and error_code(response) == "forbidden", path
        assert live(reg).status == CredentialStatus.PHOTO_SUBMITTED


# --- the public -----------------------------------------------------------------------------


class TestVerifyNumber:
    def test_found(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "fixed")
        for typed in (reg.short_number, reg.number, reg.short_number.lower()):
            response = client.get("/api/v1/verify", {"number": typed})
            assert response.status_code == 200
            data = response.json()
            assert data["found"] is True and data["card"] is None
            facts = data["registration"]
            assert facts["number"] == reg.number and facts["short_number"] == reg.short_number
            assert facts["machine_type"] == "挖掘机" and facts["stage"] == "国4"
            assert facts["district"] == "浦东新区" and facts["status"] == "valid"
            assert facts["issued_on"] == "2026-11-23"
            labels = [p["label"] for p in facts["photos"]]
            assert labels == ["机身正面", "机身后面", "机身45度前侧", "标志固定照片"]
            assert_public(data, owner)

    def test_photo_urls_are_percent_encoded_and_serve_images(
        self, client, owner, reviewer, settings
    ):
        reg = at_stage(owner, reviewer, "fixed")
        data = client.get("/api/v1/verify", {"number": reg.short_number}).json()
        prefix = f"{settings.NRMM_PUBLIC_BASE_URL}/v/{quote(reg.short_number, safe='')}/photos/"
        for photo in data["registration"]["photos"]:
            url = photo["url"]
            assert url.isascii() and url.startswith(prefix), url
            image = client.get(url.removeprefix(settings.NRMM_PUBLIC_BASE_URL))
            assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"

    def test_not_found_and_bad_numbers(self, client, db):
        unknown = client.get("/api/v1/verify", {"number": UNKNOWN})
        assert unknown.status_code == 200
        assert unknown.json() == {"found": False, "card": None, "registration": None}
        for typed, message in (("沪L400001", "缺少短横分隔符"), ("京L4-00001", "不是本市")):
            bad = client.get("/api/v1/verify", {"number": typed})
            assert bad.status_code == 400
            assert error_code(bad) == "bad_number" and message in bad.json()["error"]["message"]
            assert bad.json()["error"]["field"] == "number"
        assert client.get("/api/v1/verify").status_code == 422

    def test_rate_limited(self, owner, reviewer, settings):
        settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE = 3
        reg = at_stage(owner, reviewer, "pending")
        client = Client(REMOTE_ADDR="10.1.0.1")
        for _ in range(3):
            assert client.get("/api/v1/verify", {"number": reg.short_number}).status_code == 200
        limited = client.get("/api/v1/verify", {"number": reg.short_number})
        assert limited.status_code == 429 and error_code(limited) == "rate_limited"
        assert "registration" not in limited.json()
        other = Client(REMOTE_ADDR="10.1.0.2")
        assert other.get("/api/v1/verify", {"number": reg.short_number}).status_code == 200
        # Scans have four times the allowance, counted apart.
        url = cards.qr_url(live(reg), reg.short_number)
        for i in range(12):
            assert client.get("/api/v1/verify/card", {"url": url}).status_code == 200, i
        scan_limited = client.get("/api/v1/verify/card", {"url": url})
        assert scan_limited.status_code == 429 and error_code(scan_limited) == "rate_limited"


class TestVerifyCard:
    def test_valid(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        url = cards.qr_url(live(reg), reg.short_number)
        response = client.get("/api/v1/verify/card", {"url": url})
        assert response.status_code == 200
        data = response.json()
        assert data["found"] is True
        assert data["card"]["outcome"] == "valid" and data["card"]["issue"] == 1
        assert "真实的信息采集卡" in data["card"]["message"]
        assert data["registration"]["number"] == reg.number
        assert_public(data, owner)
        # Any host: the signature is what is trusted, not where the URL points.
        elsewhere = url.replace("http://127.0.0.1:8000", "https://nrmm.example.org")
        other = client.get("/api/v1/verify/card", {"url": elsewhere}).json()
        assert other["card"]["outcome"] == "valid"

    @pytest.mark.parametrize(
        "mangle",
        [
            pytest.param(lambda u: u[:-1] + ("A" if u[-1] != "A" else "B"), id="signature"),
            pytest.param(lambda u: u.replace("/1.s1.", "/2.s1."), id="issue"),
            pytest.param(lambda u: u.replace(".s1.", ".k9."), id="kid"),
            pytest.param(lambda u: u.replace("L4-00001", "L4-00002"), id="number"),
        ],
    )
    def test_tampered_is_not_genuine(self, client, owner, reviewer, mangle):
        reg = at_stage(owner, reviewer, "pending")
        at_stage(owner, reviewer, "pending")  # 沪L4-00002 exists too
        url = cards.qr_url(live(reg), reg.short_number)
        response = client.get("/api/v1/verify/card", {"url": mangle(url)})
        assert response.status_code == 200
        data = response.json()
        assert data["card"] == {
            "outcome": "not_genuine",
            "message": data["card"]["message"],
            "issue": None,
        }
        assert "不是本平台签发的信息采集卡" in data["card"]["message"]
        assert data["registration"] is None and data["found"] is False

    def test_revoked(self, client, owner, reviewer):
        reg = at_stage(owner, reviewer, "fixed")
        old = cards.qr_url(live(reg), reg.short_number)
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        data = client.get("/api/v1/verify/card", {"url": old}).json()
        assert data["card"]["outcome"] == "revoked" and data["card"]["issue"] == 1
        assert data["registration"]["number"] == reg.number
        new = cards.qr_url(live(reg), reg.short_number)
        assert client.get("/api/v1/verify/card", {"url": new}).json()["card"]["issue"] == 2

    def test_unknown_number_with_a_genuine_signature(self, client, settings):
        keys = settings.NRMM_CARD_KEYS
        claim = cardsig.Claim(UNKNOWN, 1, keys.active_kid)
        url = cardsig.card_url("https://x.example", claim, cardsig.sign(claim, keys.active))
        data = client.get("/api/v1/verify/card", {"url": url}).json()
        assert data["card"]["outcome"] == "unknown_number" and data["registration"] is None

    @pytest.mark.parametrize(
        "text", ["https://example.org/", "沪L4-00001", "", "http://127.0.0.1:8000/v/沪L4-00001/"]
    )
    def test_not_a_card(self, client, db, text):
        response = client.get("/api/v1/verify/card", {"url": text})
        assert response.status_code == 400
        assert error_code(response) == "not_a_card"
        assert response.json()["error"]["field"] == "url"


class TestVerifyKeys:
    def test_the_active_key_verifies_a_card(self, client, owner, reviewer, settings):
        reg = at_stage(owner, reviewer, "pending")
        url = cards.qr_url(live(reg), reg.short_number)
        response = client.get("/api/v1/verify/keys")
        assert response.status_code == 200
        data = response.json()
        assert data["scheme"] == "NRMM1"
        assert data["message_format"] == "NRMM1|{short_number}|{issue}|{kid}"
        active = [k for k in data["keys"] if k["active"]]
        assert len(active) == 1 and active[0]["kid"] == settings.NRMM_CARD_KEYS.active_kid
        key = cardsig.load_public_key(active[0]["public_key"])
        assert active[0]["fingerprint"] == cardsig.fingerprint(key)
        verdict = cardsig.verify_url(url, {active[0]["kid"]: key})
        assert verdict.genuine
        assert verdict.claim == cardsig.Claim(reg.short_number, 1, active[0]["kid"])
        # And only that: a key of another deployment does not verify it.
        stranger = cardsig.derive_private_key("another deployment", active[0]["kid"])
        assert not cardsig.verify_url(url, {active[0]["kid"]: stranger.public_key()}).genuine
        assert "private" not in json.dumps(data)
