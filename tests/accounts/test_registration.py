from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accounts import actions
from accounts.constants import AccountKind, Role, SmsPurpose
from accounts.models import SmsCode, SmsMessage, User
from accounts.sms import take_code
from core.errors import ActionError, FieldErrors
from core.models import AuditEntry
from tests.conftest import PASSWORD, last_code

PHONE = "13912345678"


def person_form(**overrides: str) -> actions.PersonForm:
    fields = {
        "name": "王小明",
        "id_number": "11010519491231002X",
        "phone": PHONE,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "code": "",
    }
    fields.update(overrides)
    return actions.PersonForm(**fields)


def org_form(**overrides: str) -> actions.OrganisationForm:
    fields = {
        "name": "上海港机械有限公司",
        "credit_code": "91310115MA1K3BTP2B",
        "legal_representative": "陈一",
        "contact_name": "周二",
        "phone": PHONE,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "code": "",
    }
    fields.update(overrides)
    return actions.OrganisationForm(**fields)


@pytest.mark.django_db
class TestRegisterPerson:
    def test_registers_with_the_code_from_the_sms(self):
        actions.send_registration_code(PHONE)
        user = actions.register_person(person_form(code=last_code(PHONE)))
        assert user.kind == AccountKind.PERSON and user.role == Role.OWNER
        assert user.id_number == "11010519491231002X"
        assert user.check_password(PASSWORD)
        assert AuditEntry.objects.filter(action="account.registered", target_id=str(user.pk))

    def test_normalises_what_people_type(self):
        actions.send_registration_code("+86 139 1234 5678")
        user = actions.register_person(
            person_form(
                id_number=" 11010519491231002x ", phone="139-1234-5678", code=last_code(PHONE)
            )
        )
        assert user.phone == PHONE and user.id_number == "11010519491231002X"

    def test_bad_id_number_is_refused_next_to_its_field(self):
        with pytest.raises(FieldErrors) as exc:
            actions.register_person(person_form(id_number="110105194912310021"))
        assert "校验位" in exc.value.errors["id_number"]
        assert not User.objects.exists()

    def test_impossible_birth_date_is_refused(self):
        with pytest.raises(FieldErrors) as exc:
            actions.register_person(person_form(id_number="110105194913310024"))
        assert "出生日期" in exc.value.errors["id_number"]

    def test_every_bad_field_is_reported_at_once(self):
        with pytest.raises(FieldErrors) as exc:
            actions.register_person(
                person_form(name=" ", phone="12345", password="abc", password_confirm="abd")
            )
        assert set(exc.value.errors) == {"name", "phone", "password"}

    def test_passwords_must_match(self):
        with pytest.raises(FieldErrors) as exc:
            actions.register_person(person_form(password_confirm=PASSWORD + "x"))
        assert exc.value.errors == {"password_confirm": "两次输入的密码不一致"}

    def test_reused_phone_is_refused(self, owner):
        with pytest.raises(FieldErrors) as exc:
            actions.register_person(person_form(phone=owner.phone, id_number="110101199003074530"))
        assert "该手机号已注册" in exc.value.errors["phone"]

    def test_reused_id_number_is_refused(self, owner):
        with pytest.raises(FieldErrors) as exc:
            actions.register_person(person_form(id_number=owner.id_number))
        assert "该身份证号码已注册" in exc.value.errors["id_number"]

    def test_wrong_code_is_counted_and_nothing_saved(self):
        actions.send_registration_code(PHONE)
        right = last_code(PHONE)
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        with pytest.raises(ActionError) as exc:
            actions.register_person(person_form(code=wrong))
        assert exc.value.code == "sms_code_wrong" and "还可以再试4次" in exc.value.message
        assert SmsCode.objects.get().failed_attempts == 1
        assert not User.objects.exists()

    def test_five_wrong_codes_lock_the_code(self):
        actions.send_registration_code(PHONE)
        right = last_code(PHONE)
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        for _ in range(5):
            with pytest.raises(ActionError):
                actions.register_person(person_form(code=wrong))
        with pytest.raises(ActionError) as exc:
            actions.register_person(person_form(code=right))
        assert exc.value.code == "sms_code_locked"

    def test_code_expires_after_five_minutes(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            actions.send_registration_code(PHONE)
        with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
            with pytest.raises(ActionError) as exc:
                actions.register_person(person_form(code=last_code(PHONE)))
        assert exc.value.code == "sms_code_expired"

    def test_code_works_just_before_it_expires(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            actions.send_registration_code(PHONE)
        with time_machine.travel(start + timedelta(minutes=4, seconds=59), tick=False):
            assert actions.register_person(person_form(code=last_code(PHONE)))

    def test_a_code_works_once(self):
        actions.send_registration_code(PHONE)
        code = last_code(PHONE)
        with transaction.atomic():
            assert take_code(PHONE, SmsPurpose.REGISTER, code) is None
        with transaction.atomic():
            error = take_code(PHONE, SmsPurpose.REGISTER, code)
        assert error is not None and error.code == "sms_code_missing"

    def test_code_for_another_phone_does_not_work(self):
        actions.send_registration_code("13700000000")
        with pytest.raises(ActionError):
            actions.register_person(person_form(code=last_code("13700000000")))

    def test_code_is_stored_hashed(self):
        actions.send_registration_code(PHONE)
        row = SmsCode.objects.get()
        assert last_code(PHONE) not in (row.code_hash, row.salt)
        assert len(row.code_hash) == 64


@pytest.mark.django_db
class TestRegisterOrganisation:
    def test_registers(self):
        actions.send_registration_code(PHONE)
        user = actions.register_organisation(org_form(code=last_code(PHONE)))
        assert user.kind == AccountKind.ORGANISATION
        assert (user.credit_code, user.legal_representative) == ("91310115MA1K3BTP2B", "陈一")

    def test_bad_credit_code(self):
        with pytest.raises(FieldErrors) as exc:
            actions.register_organisation(org_form(credit_code="91310115MA1K3BTP2C"))
        assert "统一社会信用代码" in exc.value.errors["credit_code"]

    def test_reused_credit_code(self, organisation):
        with pytest.raises(FieldErrors) as exc:
            actions.register_organisation(org_form())
        assert "该统一社会信用代码已注册" in exc.value.errors["credit_code"]

    def test_legal_representative_and_contact_required(self):
        with pytest.raises(FieldErrors) as exc:
            actions.register_organisation(org_form(legal_representative="", contact_name=""))
        assert set(exc.value.errors) == {"legal_representative", "contact_name"}


@pytest.mark.django_db
class TestSendLimits:
    def test_one_send_a_minute(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            actions.send_registration_code(PHONE)
        with time_machine.travel(start + timedelta(seconds=59), tick=False):
            with pytest.raises(ActionError) as exc:
                actions.send_registration_code(PHONE)
        assert exc.value.code == "sms_too_frequent" and exc.value.status == 429
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            actions.send_registration_code(PHONE)
        assert SmsMessage.objects.filter(phone=PHONE).count() == 2

    def test_ten_a_day(self):
        start = timezone.now()
        for i in range(10):
            with time_machine.travel(start + timedelta(minutes=2 * i), tick=False):
                actions.send_registration_code(PHONE)
        with time_machine.travel(start + timedelta(minutes=30), tick=False):
            with pytest.raises(ActionError) as exc:
                actions.send_registration_code(PHONE)
        assert exc.value.code == "sms_daily_limit"
        with time_machine.travel(start + timedelta(days=1, minutes=1), tick=False):
            actions.send_registration_code(PHONE)

    def test_new_code_replaces_the_old_one(self):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            actions.send_registration_code(PHONE)
            first = last_code(PHONE)
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            actions.send_registration_code(PHONE)
            second = last_code(PHONE)
            if first != second:
                with pytest.raises(ActionError):
                    actions.register_person(person_form(code=first))
            assert actions.register_person(person_form(code=second))

    def test_registration_code_refused_for_registered_phone(self, owner):
        with pytest.raises(FieldErrors) as exc:
            actions.send_registration_code(owner.phone)
        assert "已注册" in exc.value.errors["phone"]
        assert not SmsMessage.objects.exists()


@pytest.mark.django_db
class TestPasswordReset:
    def test_reset_with_code(self, owner):
        actions.send_password_reset_code(owner.phone)
        actions.reset_password(
            phone=owner.phone,
            code=last_code(owner.phone),
            password="New-pass-2026",
            password_confirm="New-pass-2026",
        )
        owner.refresh_from_db()
        assert owner.check_password("New-pass-2026")
        assert AuditEntry.objects.filter(action="account.password_reset").count() == 1

    def test_unknown_phone_gets_no_sms_and_the_same_answer(self, db):
        actions.send_password_reset_code("13700000000")
        assert not SmsMessage.objects.exists()

    def test_reset_ends_api_tokens(self, owner):
        actions.issue_api_token(acting_user=owner)
        actions.send_password_reset_code(owner.phone)
        actions.reset_password(
            phone=owner.phone,
            code=last_code(owner.phone),
            password="New-pass-2026",
            password_confirm="New-pass-2026",
        )
        assert not owner.api_tokens.exists()

    def test_registration_code_does_not_reset(self, owner):
        actions.send_registration_code("13700000000")
        with pytest.raises(ActionError):
            actions.reset_password(
                phone="13700000000",
                code=last_code("13700000000"),
                password="New-pass-2026",
                password_confirm="New-pass-2026",
            )


@pytest.mark.django_db
class TestLogin:
    @pytest.mark.parametrize(
        "identifier",
        ["13800000001", "+86 138 0000 0001", "11010519491231002X", "11010519491231002x"],
    )
    def test_person_logs_in_with_phone_or_id(self, client, owner, identifier):
        response = client.post("/login/", {"identifier": identifier, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/account/"

    def test_organisation_logs_in_with_credit_code(self, client, organisation):
        response = client.post(
            "/login/", {"identifier": "91310115ma1k3btp2b", "password": PASSWORD}
        )
        assert response.status_code == 302

    def test_wrong_password(self, client, owner):
        response = client.post("/login/", {"identifier": owner.phone, "password": "nope"})
        assert response.status_code == 400
        assert "账号或密码不正确" in response.content.decode()

    def test_staff_go_to_the_back_office(self, client, reviewer):
        response = client.post(
            "/staff/login/", {"identifier": reviewer.phone, "password": PASSWORD}
        )
        assert response["Location"] == "/staff/"

    def test_next_is_followed_only_on_this_site(self, client, owner):
        response = client.post(
            "/login/?next=https://evil.example/",
            {"identifier": owner.phone, "password": PASSWORD, "next": "https://evil.example/"},
        )
        assert response["Location"] == "/account/"

    def test_deactivated_account_cannot_log_in(self, client, owner):
        owner.is_active = False
        owner.save(update_fields=["is_active"])
        response = client.post("/login/", {"identifier": owner.phone, "password": PASSWORD})
        assert response.status_code == 400


@pytest.mark.django_db
def test_password_messages_are_chinese():
    with pytest.raises(FieldErrors) as exc:
        actions.register_person(person_form(password="abc", password_confirm="abc"))
    assert exc.value.errors["password"].startswith("密码太短，至少需要8个字符")
    assert "This password" not in exc.value.errors["password"]
