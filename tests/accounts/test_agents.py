import pytest

from accounts import actions
from accounts.models import AgentConsent
from core.errors import ActionError
from core.models import AuditEntry
from tests.conftest import last_code, logged_in


@pytest.mark.django_db
class TestAgentConsent:
    def test_owner_code_confirms_the_consent(self, agent, owner):
        assert not actions.can_act_for(agent, owner)
        actions.request_agent_consent(acting_user=agent, owner_phone=owner.phone, owner_name="张三")
        consent = actions.confirm_agent_consent(
            acting_user=agent, owner_phone=owner.phone, code=last_code(owner.phone)
        )
        assert consent.agent == agent and consent.owner == owner
        assert actions.can_act_for(agent, owner)
        assert not actions.can_act_for(owner, agent)
        assert AuditEntry.objects.filter(action="agent.consent_granted").count() == 1

    def test_sms_tells_the_owner_who_asks(self, agent, owner):
        actions.request_agent_consent(acting_user=agent, owner_phone=owner.phone, owner_name="张三")
        body = owner_sms(owner)
        assert "李四" in body and "310***********1238" in body
        assert "310115198001011238" not in body

    def test_name_must_match_the_registration(self, agent, owner):
        with pytest.raises(ActionError) as exc:
            actions.request_agent_consent(
                acting_user=agent, owner_phone=owner.phone, owner_name="张四"
            )
        assert exc.value.code == "owner_not_found"

    def test_unregistered_owner(self, agent):
        with pytest.raises(ActionError) as exc:
            actions.request_agent_consent(
                acting_user=agent, owner_phone="13700000000", owner_name="某人"
            )
        assert exc.value.code == "owner_not_found"

    def test_organisation_can_be_represented(self, agent, organisation):
        actions.request_agent_consent(
            acting_user=agent, owner_phone=organisation.phone, owner_name=organisation.name
        )
        actions.confirm_agent_consent(
            acting_user=agent, owner_phone=organisation.phone, code=last_code(organisation.phone)
        )
        assert actions.can_act_for(agent, organisation)

    def test_organisation_cannot_be_an_agent(self, organisation, owner):
        with pytest.raises(ActionError) as exc:
            actions.request_agent_consent(
                acting_user=organisation, owner_phone=owner.phone, owner_name="张三"
            )
        assert exc.value.status == 403

    def test_cannot_represent_oneself(self, owner):
        with pytest.raises(ActionError) as exc:
            actions.request_agent_consent(
                acting_user=owner, owner_phone=owner.phone, owner_name="张三"
            )
        assert exc.value.code == "self_consent"

    def test_code_requested_by_one_agent_does_not_serve_another(self, agent, other_owner, owner):
        actions.request_agent_consent(acting_user=agent, owner_phone=owner.phone, owner_name="张三")
        with pytest.raises(ActionError):
            actions.confirm_agent_consent(
                acting_user=other_owner, owner_phone=owner.phone, code=last_code(owner.phone)
            )
        assert not AgentConsent.objects.exists()

    def test_wrong_code(self, agent, owner):
        actions.request_agent_consent(acting_user=agent, owner_phone=owner.phone, owner_name="张三")
        wrong = f"{(int(last_code(owner.phone)) + 1) % 10**6:06d}"
        with pytest.raises(ActionError) as exc:
            actions.confirm_agent_consent(acting_user=agent, owner_phone=owner.phone, code=wrong)
        assert exc.value.code == "sms_code_wrong"

    def test_owner_withdraws(self, agent, owner):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        actions.withdraw_agent_consent(acting_user=owner, consent=consent)
        assert not actions.can_act_for(agent, owner)
        consent.refresh_from_db()
        assert consent.withdrawn_by == owner
        with pytest.raises(ActionError) as exc:
            actions.withdraw_agent_consent(acting_user=owner, consent=consent)
        assert exc.value.code == "already_withdrawn"

    def test_outsider_cannot_withdraw(self, agent, owner, other_owner):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        with pytest.raises(ActionError) as exc:
            actions.withdraw_agent_consent(acting_user=other_owner, consent=consent)
        assert exc.value.status == 404

    def test_consent_can_be_given_again_after_withdrawal(self, agent, owner):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        actions.withdraw_agent_consent(acting_user=agent, consent=consent)
        actions.request_agent_consent(acting_user=agent, owner_phone=owner.phone, owner_name="张三")
        actions.confirm_agent_consent(
            acting_user=agent, owner_phone=owner.phone, code=last_code(owner.phone)
        )
        assert AgentConsent.objects.filter(withdrawn_at=None).count() == 1


def owner_sms(owner) -> str:
    from accounts.models import SmsMessage

    return SmsMessage.objects.filter(phone=owner.phone).latest("created_at").body


@pytest.mark.django_db
class TestAgentPages:
    def test_whole_flow_on_the_account_page(self, agent, owner):
        client = logged_in(agent)
        response = client.post(
            "/account/agents/request/", {"owner_phone": owner.phone, "owner_name": "张三"}
        )
        assert "请向机主索取" in response.content.decode()
        response = client.post(
            "/account/agents/confirm/",
            {"owner_phone": owner.phone, "code": last_code(owner.phone)},
            follow=True,
        )
        page = response.content.decode()
        assert "已确认：您可以代张三办理登记" in page
        assert "138****0001" in page and owner.phone not in page

    def test_errors_show_beside_the_field(self, agent):
        response = logged_in(agent).post(
            "/account/agents/request/", {"owner_phone": "13700000000", "owner_name": "某人"}
        )
        assert response.status_code == 400
        assert "未找到该机主" in response.content.decode()

    def test_owner_sees_and_withdraws(self, agent, owner):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        client = logged_in(owner)
        assert "李四" in client.get("/account/").content.decode()
        response = client.post(f"/account/consents/{consent.pk}/withdraw/", follow=True)
        assert "委托已撤销" in response.content.decode()

    def test_outsider_gets_404_alike(self, agent, owner, other_owner):
        consent = AgentConsent.objects.create(agent=agent, owner=owner)
        client = logged_in(other_owner)
        assert client.post(f"/account/consents/{consent.pk}/withdraw/").status_code == 404
        assert client.post("/account/consents/999999/withdraw/").status_code == 404
        consent.refresh_from_db()
        assert consent.active
