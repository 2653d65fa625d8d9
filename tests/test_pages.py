"""Owner and staff pages render, errors appear next to their fields, lists stay cheap."""

import pytest

from tests.conftest import PASSWORD, last_code, logged_in


@pytest.mark.django_db
class TestRegistrationPages:
    def test_person_registers_and_lands_on_the_account(self, client):
        client.post("/sms/send/", {"phone": "13912345678", "purpose": "register"})
        response = client.post(
            "/register/person/",
            {
                "name": "王小明",
                "id_number": "11010519491231002X",
                "phone": "13912345678",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "code": last_code("13912345678"),
            },
            follow=True,
        )
        page = response.content.decode()
        assert "注册成功" in page and "110***********002X" in page
        assert "11010519491231002X" not in page

    def test_errors_are_shown_and_secrets_not_echoed(self, client):
        response = client.post(
            "/register/person/",
            {
                "name": "王小明",
                "id_number": "123",
                "phone": "13912345678",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "code": "123456",
            },
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="err_id_number"' in page and "身份证号码应为18位" in page
        assert PASSWORD not in page
        assert 'value="13912345678"' in page

    def test_send_code_fragment(self, client, owner):
        ok = client.post("/sms/send/", {"phone": "13912345678", "purpose": "register"})
        assert ok["X-Sms-Sent"] == "1" and "验证码已发送" in ok.content.decode()
        taken = client.post("/sms/send/", {"phone": owner.phone, "purpose": "register"})
        assert "X-Sms-Sent" not in taken and "已注册" in taken.content.decode()
        again = client.post("/sms/send/", {"phone": "13912345678", "purpose": "register"})
        assert "过于频繁" in again.content.decode()

    def test_password_reset_page(self, client, owner):
        client.post("/sms/send/", {"phone": owner.phone, "purpose": "reset_password"})
        response = client.post(
            "/password/reset/",
            {
                "phone": owner.phone,
                "code": last_code(owner.phone),
                "password": "New-pass-2026",
                "password_confirm": "New-pass-2026",
            },
        )
        assert response.status_code == 302
        owner.refresh_from_db()
        assert owner.check_password("New-pass-2026")

    def test_logout(self, owner):
        client = logged_in(owner)
        assert client.post("/logout/").status_code == 302
        assert client.get("/account/").status_code == 302


@pytest.mark.django_db
class TestBackOffice:
    def test_home_shows_role_and_district(self, reviewer):
        page = logged_in(reviewer).get("/staff/").content.decode()
        assert "区审核员" in page and "浦东新区（L）" in page

    def test_owner_search_masks_and_stays_cheap(
        self, clerk, owner, organisation, django_assert_max_num_queries
    ):
        from tests.conftest import make_user

        for i in range(30):
            make_user(
                f"1370000{i:04d}",
                f"张{i}",
                kind="person",
                id_number=None,
                role="clerk",
                district="A",
            )
        client = logged_in(clerk)
        client.get("/staff/")  # warm the session
        with django_assert_max_num_queries(4):
            response = client.get("/staff/owners/?q=张")
        page = response.content.decode()
        assert "张三" in page and "138****0001" in page and owner.phone not in page
        # Staff named 张 are not owners and are not listed.
        assert "张1" not in page


@pytest.mark.django_db
class TestAdmin:
    @pytest.mark.parametrize(
        "path",
        [
            "/admin/",
            "/admin/core/holiday/",
            "/admin/core/holidayyear/",
            "/admin/core/inplantstandard/",
            "/admin/core/auditentry/",
            "/admin/accounts/user/",
            "/admin/accounts/smsmessage/",
        ],
    )
    def test_city_admin_manages_reference_data(self, city_admin, path):
        assert logged_in(city_admin).get(path).status_code == 200

    def test_holiday_can_be_added_by_the_city_admin(self, city_admin):
        response = logged_in(city_admin).post(
            "/admin/core/holiday/add/", {"date": "2026-12-31", "kind": "holiday", "name": "测试"}
        )
        assert response.status_code == 302

    def test_audit_entries_cannot_be_edited(self, city_admin):
        from core.audit import record

        entry = record("x.y", actor=None, target=city_admin)
        client = logged_in(city_admin)
        assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/").status_code == 403

    @pytest.mark.parametrize("who", ["reviewer", "clerk", "inspector", "owner"])
    def test_others_are_kept_out(self, request, who):
        user = request.getfixturevalue(who)
        response = logged_in(user).get("/admin/core/holiday/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


class TestSecurityHeaders:
    @pytest.mark.parametrize("path", ["/", "/check/", "/staff/login/", "/api/v1/reference"])
    def test_every_response_has_the_policy(self, client, db, path):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"

    def test_templates_carry_no_inline_script_or_style(self):
        """The policy refuses them: a template that brings one back fails here first."""
        import re
        from pathlib import Path

        root = Path(__file__).resolve().parents[1] / "templates"
        offenders = []
        for path in root.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
                offenders.append(f"{path.name}: inline <script>")
            if re.search(r"<style\b|\sstyle=\"|\son[a-z]+=\"", text):
                offenders.append(f"{path.name}: inline style or handler")
        assert offenders == []
