"""Public verification pages (Art. 15, 17): a typed number, a scanned card's QR URL, the
machine's public photos, the rate limit, and the inspector's way on to a spot check."""

import re
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import ratelimit
from registry import actions
from registry import credentials as cards
from registry.constants import BODY_PHOTOS, CredentialReason
from registry.models import Credential, DeclarationPhoto, Registration, SignPhoto
from tests.backoffice.test_credential_pages import MONDAY, at_stage, live
from tests.conftest import logged_in
from tests.registry.helpers import declare, jpeg

pytestmark = pytest.mark.django_db
UNKNOWN = "沪A2-ZZZZZ"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_housekeeping(monkeypatch):
    # core.ratelimit drops old windows on 1% of hits: an extra query now and then.
    monkeypatch.setattr(ratelimit, "random", SimpleNamespace(random=lambda: 0.5))


def page(response) -> str:
    return response.content.decode()


def number_url(number: str) -> str:
    return reverse("verify:number", kwargs={"number": number})


def card_url(number: str, proof: str) -> str:
    return reverse("verify:card", kwargs={"number": number, "proof": proof})


def proof_of(credential: Credential) -> str:
    return f"{credential.issue}.{credential.kid}.{credential.signature}"


def scan(client: Client, reg: Registration, **extra):
    return client.get(card_url(reg.short_number, proof_of(live(reg))), **extra)


def outcome(html: str) -> str | None:
    match = re.search(r'data-outcome="([^"]+)"', html)
    return match.group(1) if match else None


def approved_with_own_nameplate(owner, reviewer) -> Registration:
    """The helper's declarations use one picture for every photo; here the nameplate is a
    different picture, so that its hash is its own."""
    declaration = declare(owner, submit=False)
    actions.upload_photo(
        acting_user=owner, declaration=declaration, kind="machine_nameplate", data=jpeg("blue")
    )
    declaration = actions.submit(acting_user=owner, declaration=declaration)
    return actions.approve(acting_user=reviewer, declaration=declaration)


def assert_no_private_data(html: str, owner) -> None:
    for private in (
        owner.name,
        owner.phone,
        "138****0001",
        owner.id_number,
        "110***********002X",
        "张江路",  # the site address
        "SY021CAB12345",  # the factory serial
    ):
        assert private not in html, private


def assert_facts(html: str, reg: Registration) -> None:
    assert reg.number in html
    assert "挖掘机" in html and "国4" in html and "浦东新区" in html
    assert 'data-status="valid"' in html and "登记有效" in html
    assert "2026-11-23" in html


class TestTypedNumber:
    def test_short_number_shows_the_public_facts_only(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        response = Client().get(number_url(reg.short_number))
        assert response.status_code == 200
        html = page(response)
        assert_facts(html, reg)
        assert_no_private_data(html, owner)
        assert outcome(html) is None
        assert "未核验卡片真伪" in html
        # The body photos, not the nameplate.
        assert html.count("/photos/") == 3
        assert "机身正面" in html and "铭牌" not in html

    @pytest.mark.parametrize(
        "typed",
        [
            lambda r: r.number,
            lambda r: r.short_number.lower(),
            lambda r: r.number.lower(),
            lambda r: r.short_number.replace("-", " - "),
        ],
    )
    def test_other_forms_redirect_to_the_short_form(self, owner, reviewer, typed):
        reg = at_stage(owner, reviewer, "pending")
        response = Client().get(number_url(typed(reg)))
        assert response.status_code == 302
        assert response["Location"] == number_url(reg.short_number)

    def test_check_form(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        client = Client()
        empty = client.get("/check/")
        assert empty.status_code == 200
        assert 'name="number"' in page(empty) and 'role="alert"' not in page(empty)
        assert client.get("/check/", {"number": "  "}).status_code == 200
        for typed in (reg.short_number, reg.number, f" {reg.number.lower()} "):
            response = client.get("/check/", {"number": typed})
            assert response.status_code == 302, typed
            assert response["Location"] == number_url(reg.short_number)

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("沪L400001", "缺少短横分隔符"),
            ("京L4-00001", "不是本市（沪）的号码"),
            ("沪I4-00001", "未知的区代号"),
            ("飞机沪L4-00001", "未知的机械种类"),
        ],
    )
    def test_bad_number(self, db, typed, message):
        client = Client()
        response = client.get("/check/", {"number": typed})
        assert response.status_code == 400
        html = page(response)
        assert message in html and 'role="alert"' in html
        assert f'value="{typed}"' in html  # kept to be corrected
        direct = client.get(number_url(typed))
        assert direct.status_code == 400 and message in page(direct)

    def test_unknown_number_is_a_404_page(self, db):
        response = Client().get(number_url(UNKNOWN))
        assert response.status_code == 404
        assert f"平台中没有号码“{UNKNOWN}”" in page(response)

    def test_status_other_than_valid_is_shown(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        Registration.objects.filter(pk=reg.pk).update(status="suspended")
        html = page(Client().get(number_url(reg.short_number)))
        assert 'data-status="suspended"' in html and "登记已暂停" in html


class TestCard:
    def test_valid(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "fixed")
        response = scan(Client(), reg)
        assert response.status_code == 200
        html = page(response)
        assert outcome(html) == "valid"
        assert "真实的信息采集卡" in html
        assert_facts(html, reg)
        assert_no_private_data(html, owner)
        # The confirmed photo of the fixed sign is public too.
        assert "标志固定照片" in html and html.count("/photos/") == 4

    def test_the_url_qr_url_makes_opens_as_valid(self, owner, reviewer, settings):
        reg = at_stage(owner, reviewer, "pending")
        url = cards.qr_url(live(reg), reg.short_number)
        path = url.removeprefix(settings.NRMM_PUBLIC_BASE_URL)
        # The printed URL has no trailing slash and opens without a redirect; a slash added
        # by a scanner app is accepted too.
        assert path == card_url(reg.short_number, proof_of(live(reg)))
        response = Client().get(path)
        assert response.status_code == 200
        assert outcome(page(response)) == "valid"
        assert outcome(page(Client().get(path + "/"))) == "valid"

    @pytest.mark.parametrize(
        "mangle",
        [
            pytest.param(lambda p: "2" + p[1:], id="changed-issue"),
            pytest.param(lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"), id="last-char"),
            pytest.param(lambda p: p[:20] + ("x" if p[20] != "x" else "y") + p[21:], id="char"),
            pytest.param(lambda p: p.replace(".s1.", ".k9."), id="unknown-kid"),
            pytest.param(lambda p: "garbage", id="garbage"),
            pytest.param(lambda p: p + "A", id="too-long"),
        ],
    )
    def test_tampered_is_not_genuine_and_shows_no_facts(self, owner, reviewer, mangle):
        reg = at_stage(owner, reviewer, "pending")
        proof = proof_of(live(reg))
        assert ".s1." in proof
        response = Client().get(card_url(reg.short_number, mangle(proof)))
        assert response.status_code == 200
        html = page(response)
        assert outcome(html) == "not_genuine"
        assert "非本平台签发的信息采集卡" in html
        assert reg.number not in html and "挖掘机" not in html and "data-status" not in html
        assert "/photos/" not in html
        assert "平台中没有号码" not in html

    def test_a_genuine_proof_on_another_number_is_not_genuine(self, owner, reviewer):
        first = at_stage(owner, reviewer, "pending")
        second = at_stage(owner, reviewer, "pending")
        html = page(Client().get(card_url(second.short_number, proof_of(live(first)))))
        assert outcome(html) == "not_genuine"
        assert second.number not in html and first.number not in html

    def test_revoked(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "fixed")
        old = live(reg)
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        client = Client()
        html = page(client.get(card_url(reg.short_number, proof_of(old))))
        assert outcome(html) == "revoked"
        assert "已作废" in html
        assert_facts(html, reg)  # the machine is still registered
        assert outcome(page(scan(client, reg))) == "valid"

    def test_genuine_card_for_a_number_the_platform_does_not_hold(self, db, settings):
        from rules import cardsig

        keys = settings.NRMM_CARD_KEYS
        claim = cardsig.Claim(UNKNOWN, 1, keys.active_kid)
        proof = cardsig.proof(claim, cardsig.sign(claim, keys.active))
        response = Client().get(card_url(UNKNOWN, proof))
        assert response.status_code == 200
        assert outcome(page(response)) == "unknown_number"
        assert "平台中没有号码" in page(response)

    def test_query_count_is_small_and_constant(self, owner, reviewer):
        client = Client()
        bare = at_stage(owner, reviewer, "pending")
        fixed = at_stage(owner, reviewer, "fixed")
        scan(client, bare)  # the rate counter's row of this minute now exists
        # The rate limit (one upsert), and the registration with the card's record, its
        # confirmed sign photo and its body photos.
        for reg in (bare, fixed, bare):
            url = card_url(reg.short_number, proof_of(live(reg)))
            with CaptureQueriesContext(connection) as queries:
                assert outcome(page(client.get(url))) == "valid"
            assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]


class TestPhotos:
    def test_body_photos_only(self, owner, reviewer):
        reg = approved_with_own_nameplate(owner, reviewer)
        body = DeclarationPhoto.objects.filter(
            declaration=reg.declaration, kind__in=BODY_PHOTOS
        ).first()
        nameplate = DeclarationPhoto.objects.get(
            declaration=reg.declaration, kind="machine_nameplate"
        )
        assert body is not None and body.sha256 != nameplate.sha256
        client = Client()
        html = page(client.get(number_url(reg.short_number)))
        urls = set(re.findall(r'src="([^"]+/photos/[0-9a-f]{16}\.jpg)"', html))
        assert urls == {reverse("verify:photo", args=[reg.short_number, body.sha256[:16]])}
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            assert response["Content-Type"] == "image/jpeg"
            assert response["Cache-Control"] == "public, max-age=3600"
            assert response.getvalue()[:2] == b"\xff\xd8"

        def photo(number: str, key: str) -> int:
            return client.get(reverse("verify:photo", args=[number, key])).status_code

        assert photo(reg.short_number, nameplate.sha256[:16]) == 404
        for bad in (
            "zzzzzzzzzzzzzzzz",
            body.sha256[:15],
            body.sha256[:17],
            body.sha256[:16].upper(),
        ):
            assert photo(reg.short_number, bad) == 404, bad
        assert photo(UNKNOWN, body.sha256[:16]) == 404

    def test_sign_photo_is_public_once_confirmed(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "photo_submitted")
        photo = SignPhoto.objects.get(credential=live(reg))
        url = reverse("verify:photo", args=[reg.short_number, photo.sha256[:16]])
        client = Client()
        assert client.get(url).status_code == 404
        cards.confirm_sign_photo(acting_user=reviewer, photo=photo)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


class TestRateLimit:
    def test_typed_look_ups(self, owner, reviewer, settings):
        settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE = 3
        reg = at_stage(owner, reviewer, "pending")
        client = Client()
        here: dict[str, Any] = {"REMOTE_ADDR": "10.0.0.1"}
        for _ in range(3):
            assert client.get(number_url(reg.short_number), **here).status_code == 200
        limited = client.get(number_url(reg.short_number), **here)
        assert limited.status_code == 429
        # Four hits against three: until ceil(4 * (60 - e) / 60) <= 2 in the next minute.
        assert 30 <= int(limited["Retry-After"]) <= 90
        assert "查询过于频繁，请" in page(limited) and "分钟后再试" in page(limited)
        assert reg.number not in page(limited)
        # Unknown numbers count too: that is what enumeration looks like.
        assert client.get(number_url(UNKNOWN), **here).status_code == 429
        elsewhere = client.get(number_url(reg.short_number), REMOTE_ADDR="10.0.0.2")
        assert elsewhere.status_code == 200
        # Scans carry a signature and have their own, larger allowance.
        assert scan(client, reg, **here).status_code == 200

    def test_scans_allow_four_times_as_many(self, owner, reviewer, settings):
        settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE = 3
        reg = at_stage(owner, reviewer, "pending")
        client = Client()
        here: dict[str, Any] = {"REMOTE_ADDR": "10.0.0.3"}
        for i in range(12):
            assert scan(client, reg, **here).status_code == 200, i
        limited = scan(client, reg, **here)
        assert limited.status_code == 429 and 0 < int(limited["Retry-After"]) <= 120
        assert outcome(page(limited)) is None
        assert scan(client, reg, REMOTE_ADDR="10.0.0.4").status_code == 200

    def test_it_lets_go_when_retry_after_says(self, owner, reviewer, settings, frozen):
        settings.NRMM_PUBLIC_LOOKUPS_PER_MINUTE = 3
        reg = at_stage(owner, reviewer, "pending")
        client = Client()
        for _ in range(4):
            last = client.get(number_url(reg.short_number))
        assert last.status_code == 429
        wait = int(last["Retry-After"])
        frozen.shift(wait - 1)
        again = client.get(number_url(reg.short_number))
        assert again.status_code == 429  # and counted, so the wait is new
        frozen.shift(int(again["Retry-After"]))
        assert client.get(number_url(reg.short_number)).status_code == 200


class TestInspectorLink:
    LINK = "记录现场检查"

    def link_card(self, html: str) -> str | None:
        match = re.search(r'href="/inspect/\?number=[^"&]+&amp;card=([a-z_]+)"', html)
        return match.group(1) if match else None

    def test_inspector_sees_the_link_with_the_card_outcome(self, owner, reviewer, inspector):
        reg = at_stage(owner, reviewer, "pending")
        old_proof = proof_of(live(reg))
        client = logged_in(inspector)
        html = page(client.get(number_url(reg.short_number)))
        assert self.LINK in html and self.link_card(html) == "unsigned"
        assert self.link_card(page(scan(client, reg))) == "genuine"
        tampered = card_url(reg.short_number, "garbage")
        assert self.link_card(page(client.get(tampered))) == "not_genuine"
        cards.issue_credential(
            acting_user=reviewer, registration=reg, reason=CredentialReason.REISSUE
        )
        revoked = page(client.get(card_url(reg.short_number, old_proof)))
        assert outcome(revoked) == "revoked" and self.link_card(revoked) == "not_genuine"
        # An unknown number can still be recorded as checked.
        unknown = client.get(number_url(UNKNOWN))
        assert unknown.status_code == 404 and self.link_card(page(unknown)) == "unsigned"

    def test_district_staff_see_it_too(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        assert self.link_card(page(scan(logged_in(reviewer), reg))) == "genuine"

    def test_owner_and_public_do_not(self, owner, reviewer):
        reg = at_stage(owner, reviewer, "pending")
        for client in (logged_in(owner), Client()):
            for response in (client.get(number_url(reg.short_number)), scan(client, reg)):
                assert response.status_code == 200
                assert self.LINK not in page(response) and "/inspect/" not in page(response)
