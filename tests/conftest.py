"""Named people, built by hand, for every test that needs someone."""

import copy
import re

import pytest
from django.test import Client

from accounts.constants import AccountKind, Department, Role
from accounts.models import SmsMessage, User

PASSWORD = "Secret-pass-2026"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A read replica for the router's tests (tests/scale/test_replicas.py): `replica_1`, a
    test mirror of the default database. The router uses it only where a test names it in
    settings.NRMM_REPLICA_DATABASES; tests that do not list it may not touch it."""
    from django.conf import settings
    from django.db import connections

    if "replica_1" not in settings.DATABASES:
        mirror = copy.deepcopy(connections.settings["default"])
        mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default"}
        settings.DATABASES["replica_1"] = mirror


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # PBKDF2 with its production work factor would make the suite crawl; a test hasher
    # changes nothing the tests look at.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Uploaded photos go to a folder of the test's own, never into var/.
    settings.MEDIA_ROOT = tmp_path / "media"


def make_user(phone: str, name: str, **fields) -> User:
    user = User(phone=phone, name=name, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def owner(db) -> User:
    return make_user("13800000001", "张三", kind=AccountKind.PERSON, id_number="11010519491231002X")


@pytest.fixture
def other_owner(db) -> User:
    return make_user("13800000011", "钱七", kind=AccountKind.PERSON, id_number="110101199003074530")


@pytest.fixture
def organisation(db) -> User:
    return make_user(
        "13800000002",
        "上海示例建设工程有限公司",
        kind=AccountKind.ORGANISATION,
        credit_code="91310115MA1K3BTP2B",
        legal_representative="王五",
        contact_name="赵六",
    )


@pytest.fixture
def agent(db) -> User:
    return make_user("13800000003", "李四", kind=AccountKind.PERSON, id_number="310115198001011238")


@pytest.fixture
def clerk(db) -> User:
    return make_user("13900000001", "黄浦窗口", role=Role.CLERK, district="A")


@pytest.fixture
def reviewer(db) -> User:
    return make_user("13900000002", "浦东审核员", role=Role.REVIEWER, district="L")


@pytest.fixture
def reviewer_other_district(db) -> User:
    return make_user("13900000003", "闵行审核员", role=Role.REVIEWER, district="K")


@pytest.fixture
def inspector(db) -> User:
    return make_user(
        "13900000004", "建设检查员", role=Role.INSPECTOR, department=Department.CONSTRUCTION
    )


@pytest.fixture
def city_admin(db) -> User:
    return make_user("13900000009", "市级管理员", role=Role.CITY_ADMIN)


def last_code(phone: str) -> str:
    """The 6-digit code in the newest outbox message to `phone` (as a person reads it)."""
    message = SmsMessage.objects.filter(phone=phone).order_by("-created_at", "-id").first()
    assert message is not None, f"no SMS to {phone}"
    match = re.search(r"\d{6}", message.body)
    assert match, message.body
    return match.group()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def reference_data(request):
    """Transactional tests flush the database after each test, taking the rows that the
    migrations seeded (holidays, in-plant standard dates) with them: put them back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        from core.services import seed_reference_data

        request.getfixturevalue("transactional_db")
        seed_reference_data()


def new_org_staff(organisation: User, phone: str = "13700000001", name: str = "单位员工甲") -> User:
    """A staff login as the organisation makes it: the code goes to the staff member's
    phone and they read it out."""
    from accounts import actions

    actions.request_org_staff_code(acting_user=organisation, phone=phone)
    form = actions.OrgStaffForm(
        name=name, phone=phone, password=PASSWORD, password_confirm=PASSWORD, code=last_code(phone)
    )
    return actions.create_org_staff(acting_user=organisation, form=form)
