"""Demo accounts, one per role (README lists them). Idempotent: an account whose phone
already exists is left as it is, so a second `make run` keeps everything."""

import re

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import actions
from accounts.constants import AccountKind, Department, Role
from accounts.models import AgentConsent, SmsMessage, User
from core import audit
from core.models import DistrictOffice

DEMO_PASSWORD = "Demo2026!"
DEMO_ORG_STAFF_PHONE = "13800000004"


def _outbox_code(phone: str) -> str:
    """The code in the newest demo-outbox message to `phone`, as its holder would read it."""
    message = SmsMessage.objects.filter(phone=phone).latest("created_at", "id")
    match = re.search(r"验证码(\d{6})", message.body)
    if match is None:
        raise RuntimeError("no code in the demo outbox")
    return match.group(1)


OWNERS = [
    {
        "phone": "13800000001",
        "name": "张三",
        "kind": AccountKind.PERSON,
        "id_number": "11010519491231002X",
    },
    {
        "phone": "13800000002",
        "name": "上海示例建设工程有限公司",
        "kind": AccountKind.ORGANISATION,
        "credit_code": "91310115MA1K3BTP2B",
        "legal_representative": "王五",
        "contact_name": "赵六",
    },
    {
        "phone": "13800000003",
        "name": "李四",
        "kind": AccountKind.PERSON,
        "id_number": "310115198001011238",
    },
]

STAFF = [
    actions.StaffForm(name="黄浦窗口受理员", phone="13900000001", role=Role.CLERK, district="A"),
    actions.StaffForm(name="浦东审核员", phone="13900000002", role=Role.REVIEWER, district="L"),
    actions.StaffForm(name="浦东窗口受理员", phone="13900000005", role=Role.CLERK, district="L"),
    actions.StaffForm(name="闵行审核员", phone="13900000003", role=Role.REVIEWER, district="K"),
    actions.StaffForm(
        name="建设行业检查员",
        phone="13900000004",
        role=Role.INSPECTOR,
        department=Department.CONSTRUCTION,
    ),
    actions.StaffForm(name="市级管理员", phone="13900000009", role=Role.CITY_ADMIN),
]


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) if they are not there yet."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        created = 0
        for fields in OWNERS:
            if User.objects.filter(phone=fields["phone"]).exists():
                continue
            user = User(role=Role.OWNER, **fields)
            user.set_password(DEMO_PASSWORD)
            user.save()
            audit.record("account.demo_created", actor=None, target=user)
            created += 1
        for form in STAFF:
            if not User.objects.filter(phone=form.phone).exists():
                actions.create_staff_user(acting_user=None, form=form, password=DEMO_PASSWORD)
                created += 1
        # 李四 acts for 张三 (as if 张三 had passed on the SMS code).
        agent = User.objects.get(phone="13800000003")
        owner = User.objects.get(phone="13800000001")
        if not AgentConsent.objects.filter(agent=agent, owner=owner).exists():
            consent = AgentConsent.objects.create(agent=agent, owner=owner)
            audit.record("agent.demo_consent", actor=None, target=consent)
        # The organisation's staff member, with a login of their own.
        if not User.objects.filter(phone=DEMO_ORG_STAFF_PHONE).exists():
            organisation = User.objects.get(phone="13800000002")
            # As if 王小二 had read out the code sent to their phone (the demo outbox).
            actions.request_org_staff_code(acting_user=organisation, phone=DEMO_ORG_STAFF_PHONE)
            actions.create_org_staff(
                acting_user=organisation,
                form=actions.OrgStaffForm(
                    name="王小二",
                    phone=DEMO_ORG_STAFF_PHONE,
                    password=DEMO_PASSWORD,
                    password_confirm=DEMO_PASSWORD,
                    code=_outbox_code(DEMO_ORG_STAFF_PHONE),
                ),
            )
            created += 1
        # Pudong's collection window, so that notices name a place (a demo address).
        DistrictOffice.objects.filter(district="L", address="").update(
            address="（演示）浦东新区示例路100号1楼", phone="021-00000000", hours="工作日9:00-17:00"
        )
        self.stdout.write(f"demo accounts created: {created} (password for all: {DEMO_PASSWORD})")
