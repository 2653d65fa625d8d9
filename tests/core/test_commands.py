import pytest
from django.core.management import call_command

from accounts import actions
from accounts.constants import Role
from accounts.models import AgentConsent, User
from core.models import AuditEntry


@pytest.mark.django_db
def test_demo_data_is_idempotent(capsys):
    call_command("load_demo")
    first = set(User.objects.values_list("phone", "role"))
    call_command("load_demo")
    assert set(User.objects.values_list("phone", "role")) == first
    roles = {role for _, role in first}
    assert roles == {"owner", "clerk", "reviewer", "city_admin", "inspector"}
    assert AgentConsent.objects.count() == 1
    assert User.objects.get(phone="13900000009").check_password("Demo2026!")
    staff_member = User.objects.get(phone="13800000004")
    assert staff_member.organisation == User.objects.get(phone="13800000002")


@pytest.mark.django_db
def test_sms_outbox_prints_messages(capsys):
    actions.send_registration_code("13912345678")
    actions.send_registration_code("13712345678")
    call_command("sms_outbox", "--phone", "139 1234 5678")
    out = capsys.readouterr().out
    assert "13912345678" in out and "13712345678" not in out and "注册验证码" in out
    call_command("sms_outbox", "--last")
    out = capsys.readouterr().out
    assert "13712345678" in out and "13912345678" not in out


@pytest.mark.django_db
def test_sms_outbox_when_empty(capsys):
    call_command("sms_outbox")
    assert "empty" in capsys.readouterr().out


@pytest.mark.django_db
def test_staff_creation_checks_the_district(city_admin):
    from core.errors import FieldErrors

    with pytest.raises(FieldErrors) as exc:
        actions.create_staff_user(
            acting_user=city_admin,
            form=actions.StaffForm(
                name="某人", phone="13600000000", role=Role.REVIEWER, district="C"
            ),
            password="x",
        )
    assert "district" in exc.value.errors
    user = actions.create_staff_user(
        acting_user=city_admin,
        form=actions.StaffForm(name="某人", phone="13600000000", role=Role.REVIEWER, district="W"),
        password="Demo2026!",
    )
    assert user.district == "W"
    assert AuditEntry.objects.get(action="account.staff_created").actor == city_admin


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
