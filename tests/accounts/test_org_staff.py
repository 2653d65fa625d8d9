"""An organisation's staff logins: created, disabled and re-enabled by the organisation's
main account; they act for the organisation and nothing else."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import actions
from accounts.constants import AccountKind
from accounts.models import ApiToken, SmsMessage, User
from core.errors import ActionError, FieldErrors
from core.models import AuditEntry
from registry import actions as registry_actions
from registry.models import Declaration
from tests.conftest import PASSWORD, last_code, logged_in, new_org_staff
from tests.registry.helpers import START_DATA, declare

pytestmark = pytest.mark.django_db


def _form(phone: str = "13700000001", **changes: str) -> actions.OrgStaffForm:
    values = dict(name="单位员工甲", phone=phone, password=PASSWORD, password_confirm=PASSWORD)
    values.update(changes)
    return actions.OrgStaffForm(**values)


@pytest.fixture
def member(organisation) -> User:
    return new_org_staff(organisation)


@pytest.fixture
def other_org(db) -> User:
    from tests.conftest import make_user

    return make_user(
        "13800000022", "另一家单位", kind=AccountKind.ORGANISATION, credit_code="91110000600037341L"
    )


class TestManagingStaff:
    def test_the_organisation_creates_a_login_and_it_is_audited(self, organisation, member):
        assert (member.kind, member.role, member.organisation) == (
            "org_staff",
            "owner",
            organisation,
        )
        assert member.check_password(PASSWORD) and member.id_number is None
        entry = AuditEntry.objects.get(action="org_staff.created")
        assert (entry.actor, entry.target_id) == (organisation, str(member.pk))

    def test_the_phones_holder_must_agree_with_their_code(self, organisation, other_org, owner):
        with pytest.raises(ActionError) as caught:
            actions.create_org_staff(acting_user=organisation, form=_form())
        assert caught.value.code == "sms_code_required"
        # A code another organisation asked for is not this organisation's to use.
        actions.request_org_staff_code(acting_user=other_org, phone="13700000001")
        code = last_code("13700000001")
        with pytest.raises(ActionError) as caught:
            actions.create_org_staff(acting_user=organisation, form=_form(code=code))
        assert caught.value.code == "sms_code_missing"
        later = timezone.now() + timedelta(minutes=2)  # past the one-minute resend limit
        with time_machine.travel(later, tick=False):
            actions.request_org_staff_code(acting_user=organisation, phone="13700000001")
            wrong = "000000" if last_code("13700000001") != "000000" else "111111"
            with pytest.raises(ActionError) as caught:
                actions.create_org_staff(acting_user=organisation, form=_form(code=wrong))
        assert caught.value.code == "sms_code_wrong"
        assert not User.objects.filter(phone="13700000001").exists()
        assert "另一家单位" in SmsMessage.objects.filter(phone="13700000001").earliest("id").body
        # No code is sent to a phone that already has an account.
        with pytest.raises(FieldErrors) as caught:
            actions.request_org_staff_code(acting_user=organisation, phone=owner.phone)
        assert "已被其他账户使用" in caught.value.errors["phone"]

    def test_form_errors(self, organisation, owner):
        with pytest.raises(FieldErrors) as caught:
            actions.create_org_staff(
                acting_user=organisation, form=_form(phone=owner.phone, name="", password="1")
            )
        assert set(caught.value.errors) >= {"name", "phone", "password"}
        assert "已被其他账户使用" in caught.value.errors["phone"]

    @pytest.mark.parametrize("who", ["owner", "member"])
    def test_only_the_main_account_manages_staff(self, request, who, member):
        actor = request.getfixturevalue(who)
        with pytest.raises(ActionError) as caught:
            actions.create_org_staff(acting_user=actor, form=_form(phone="13700000002"))
        assert caught.value.status == 403
        with pytest.raises(ActionError):
            actions.set_org_staff_active(acting_user=actor, staff=member, active=False)

    def test_another_organisation_cannot_disable_them(self, other_org, member):
        with pytest.raises(ActionError) as caught:
            actions.set_org_staff_active(acting_user=other_org, staff=member, active=False)
        assert caught.value.status == 404

    def test_disabled_staff_cannot_log_in_and_lose_their_tokens(self, organisation, member):
        actions.issue_api_token(acting_user=member)
        session = logged_in(member)
        actions.set_org_staff_active(acting_user=organisation, staff=member, active=False)
        assert not ApiToken.objects.filter(user=member).exists()
        client = Client()
        response = client.post("/login/", {"identifier": member.phone, "password": PASSWORD})
        assert "_auth_user_id" not in client.session
        assert response.status_code in (200, 400)
        # The session opened before is no longer a signed-in one.
        assert session.get("/account/").status_code == 302
        api = Client().post(
            "/api/v1/auth/token",
            {"identifier": member.phone, "password": PASSWORD},
            content_type="application/json",
        )
        assert api.status_code >= 400
        assert AuditEntry.objects.filter(action="org_staff.disabled").exists()

    def test_re_enabled_staff_log_in_again(self, organisation, member):
        actions.set_org_staff_active(acting_user=organisation, staff=member, active=False)
        actions.set_org_staff_active(acting_user=organisation, staff=member, active=True)
        client = Client()
        client.post("/login/", {"identifier": member.phone, "password": PASSWORD})
        assert client.session.get("_auth_user_id") == str(member.pk)
        assert AuditEntry.objects.filter(action="org_staff.enabled").exists()
        with pytest.raises(ActionError) as caught:
            actions.set_org_staff_active(acting_user=organisation, staff=member, active=True)
        assert caught.value.status == 409


class TestActingForTheOrganisation:
    def test_staff_declare_and_submit_the_organisations_machines(self, organisation, member):
        declaration = declare(member, organisation)
        assert (declaration.owner, declaration.declared_by) == (organisation, member)
        assert declaration.status == "submitted"
        assert actions.can_act_for(member, organisation)

    def test_staff_own_nothing_and_act_for_no_one_else(self, member, owner, other_org):
        assert not actions.can_act_for(member, member)
        assert not actions.can_act_for(member, other_org)
        with pytest.raises(ActionError):
            registry_actions.start_declaration(acting_user=member, owner=member, data=START_DATA)

    def test_staff_see_the_organisations_declarations_pages(self, organisation, member):
        mine = declare(organisation, submit=False)
        client = logged_in(member)
        assert client.get(f"/declarations/{mine.pk}/", follow=True).status_code == 200
        assert str(mine.pk) in client.get("/declarations/").content.decode()
        new = client.post("/declarations/new/", START_DATA)
        assert new.status_code == 302
        assert Declaration.objects.filter(owner=organisation, declared_by=member).exists()

    def test_staff_of_org_a_get_404_for_org_b(self, member, other_org):
        theirs = declare(other_org, submit=False)
        client = logged_in(member)
        assert client.get(f"/declarations/{theirs.pk}/").status_code == 404
        assert client.get(f"/declarations/{theirs.pk}/summary/").status_code == 404
        assert client.post(f"/declarations/{theirs.pk}/submit/").status_code == 404
        token = actions.issue_api_token(acting_user=member)
        api = Client().get(
            f"/api/v1/declarations/{theirs.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert api.status_code == 404

    def test_disabled_staff_act_for_no_one(self, organisation, member):
        actions.set_org_staff_active(acting_user=organisation, staff=member, active=False)
        member.refresh_from_db()
        assert not actions.can_act_for(member, organisation)

    def test_staff_cannot_manage_staff_or_agents(self, member):
        client = logged_in(member)
        assert client.get("/account/staff/").status_code == 403
        assert client.post("/account/staff/", {"name": "x"}).status_code == 403
        response = client.post(
            "/account/agents/request/", {"owner_phone": "13800000001", "owner_name": "张三"}
        )
        assert "只有个人账户可以作为被委托人" in response.content.decode()
        token = actions.issue_api_token(acting_user=member)
        api = Client().get("/api/v1/me/staff", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.status_code == 403

    def test_account_page_names_the_organisation(self, organisation, member):
        page = logged_in(member).get("/account/").content.decode()
        assert organisation.name in page and "代我办理的人" not in page
        assert "/account/staff/" not in page


class TestStaffPages:
    def test_create_list_disable_enable(self, organisation):
        client = logged_in(organisation)
        bad = client.post("/account/staff/", {"name": "员工乙", "phone": "123"})
        assert bad.status_code == 400 and 'id="err_phone"' in bad.content.decode()
        fields = {"name": "员工乙", "phone": "13700000009"}
        sent = client.post("/account/staff/", {**fields, "action": "send_code"})
        assert sent.status_code == 200 and 'value="13700000009"' in sent.content.decode()
        fields |= {"password": PASSWORD, "password_confirm": PASSWORD}
        wrong = client.post("/account/staff/", {**fields, "code": "x"})
        assert wrong.status_code == 400 and 'id="err_code"' in wrong.content.decode()
        assert not User.objects.filter(phone="13700000009").exists()
        fields["code"] = last_code("13700000009")
        created = client.post("/account/staff/", fields, follow=True)
        page = created.content.decode()
        assert "员工乙" in page and "137****0009" in page and PASSWORD not in page
        member = User.objects.get(phone="13700000009")
        client.post(f"/account/staff/{member.pk}/disable/")
        member.refresh_from_db()
        assert not member.is_active
        client.post(f"/account/staff/{member.pk}/enable/")
        member.refresh_from_db()
        assert member.is_active

    def test_another_organisations_staff_are_404(self, other_org, member):
        client = logged_in(other_org)
        assert client.post(f"/account/staff/{member.pk}/disable/").status_code == 404
        assert "单位员工甲" not in client.get("/account/staff/").content.decode()

    def test_people_cannot_open_the_staff_page(self, owner):
        assert logged_in(owner).get("/account/staff/").status_code == 403

    def test_api(self, organisation):
        token = actions.issue_api_token(acting_user=organisation)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        body = {"phone": "13700000008"}
        sent = client.post("/api/v1/me/staff/codes", body, content_type="application/json")
        assert sent.status_code == 202, sent.content
        body |= {"name": "员工丙", "password": PASSWORD, "password_confirm": PASSWORD}
        missing = client.post("/api/v1/me/staff", body, content_type="application/json")
        assert missing.status_code == 422  # the code is a required field
        body["code"] = last_code("13700000008")
        created = client.post("/api/v1/me/staff", body, content_type="application/json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["phone"] == "137****0008" and body["is_active"]
        assert [m["id"] for m in client.get("/api/v1/me/staff").json()] == [body["id"]]
        disabled = client.post(f"/api/v1/me/staff/{body['id']}/disable")
        assert disabled.status_code == 200 and not disabled.json()["is_active"]
        again = client.post(f"/api/v1/me/staff/{body['id']}/disable")
        assert again.status_code == 409 and again.json()["error"]["code"] == "unchanged"
        assert client.post(f"/api/v1/me/staff/{body['id']}/enable").json()["is_active"]
        assert client.post("/api/v1/me/staff/999999/enable").status_code == 404
