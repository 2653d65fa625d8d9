"""ID numbers at rest (issue #8): stored sealed (AES-GCM) with a keyed hash, never in the
clear; found, deduplicated and logged in with through the hash; keys rotate."""

import base64
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client

from accounts.constants import AccountKind, Role
from accounts.models import ID_NUMBER_PURPOSE, User, id_number_hash
from core import fieldcrypt
from core.fieldcrypt import KeyRing, SealError
from tests.conftest import PASSWORD, last_code, make_user

ID = "11010519491231002X"
pytestmark = pytest.mark.django_db


def every_row_of_every_table() -> str:
    """All the database holds, as text, table by table (raw SQL, no model in between)."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(dump)


def test_the_database_never_holds_the_plain_id_number(client, reviewer, settings):
    """Register through the page, log in with the ID number (and once mistyped), let staff
    and the owner reveal it: no table anywhere holds the number, in any case."""
    client.post("/sms/send/", {"phone": "13912345678", "purpose": "register"})
    client.post(
        "/register/person/",
        {
            "name": "王小明",
            "id_number": ID.lower(),
            "phone": "13912345678",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "code": last_code("13912345678"),
        },
    )
    user = User.objects.get(phone="13912345678")
    assert user.id_number == ID
    other = Client()
    assert other.post("/login/", {"identifier": ID, "password": PASSWORD}).status_code == 302
    Client().post("/login/", {"identifier": "110101199003074530", "password": "wrong"})
    assert other.post("/account/id-number/").status_code == 200
    admin = make_user("13900000009", "市管", role=Role.CITY_ADMIN)
    staff = Client()
    staff.force_login(admin)
    assert ID in staff.post(f"/staff/owners/{user.pk}/id-number/").content.decode()

    dump = every_row_of_every_table()
    for secret in (ID, ID.lower(), ID[:17], "110101199003074530"):
        assert secret not in dump
    assert user.id_number_enc and user.id_number_hash
    assert user.id_number_enc in dump and user.id_number_hash in dump


def test_the_property_seals_and_hashes(owner):
    owner.refresh_from_db()
    assert owner.id_number == ID
    assert owner.id_number_enc and owner.id_number_enc.startswith("f1.")
    assert ID not in owner.id_number_enc
    assert owner.id_number_hash == id_number_hash(ID) == id_number_hash(" 1101 0519 4912 3100 2x")
    owner.id_number = None
    assert (owner.id_number_enc, owner.id_number_hash, owner.id_number) == (None, None, None)


def test_lookup_by_id_number_goes_through_the_hash(owner, other_owner, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert list(User.objects.by_id_number(ID.lower())) == [owner]
    assert not User.objects.by_id_number("110101194912310011").exists()
    assert not User.objects.by_id_number("").exists()
    assert not User.objects.by_id_number("  ").exists()


def test_login_with_the_id_number_any_case(owner):
    assert authenticate(None, username=ID.lower(), password=PASSWORD) == owner
    assert authenticate(None, username=f" {ID[:6]} {ID[6:]} ", password=PASSWORD) == owner
    assert authenticate(None, username=ID, password="wrong") is None


def test_staff_search_finds_the_exact_id_number(owner, reviewer):
    from accounts.queries import search_owners

    assert list(search_owners(ID.lower())) == [owner]
    assert list(search_owners(ID[:10])) == []  # exact only: a prefix is no key to a hash


def test_the_database_refuses_a_second_owner_with_the_same_number(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("13800000099", "冒名", kind=AccountKind.PERSON, id_number=ID.lower())


def test_a_person_owner_needs_an_id_number(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("13800000099", "无证", kind=AccountKind.PERSON)


def test_ciphertext_and_hash_come_together(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=owner.pk).update(id_number_enc=None)


def test_a_tampered_ciphertext_is_refused(owner):
    token = owner.id_number_enc
    User.objects.filter(pk=owner.pk).update(id_number_enc=token[:-4] + "AAAA")
    owner.refresh_from_db()
    with pytest.raises(SealError):
        _ = owner.id_number


def test_a_ciphertext_moved_to_another_user_still_reads_but_the_hash_does_not_follow(
    owner, other_owner
):
    """The hash is what lookups trust: copying only the ciphertext changes no login."""
    User.objects.filter(pk=other_owner.pk).update(id_number_enc=owner.id_number_enc)
    assert User.objects.by_id_number(ID).get() == owner


def key(n: int) -> bytes:
    return bytes([n]) * 32


class TestRotation:
    def run(self, *args: str) -> str:
        out = StringIO()
        call_command("field_keys", *args, stdout=out)
        return out.getvalue()

    def test_new_key_first_old_key_still_opens_then_rotate(self, owner, other_owner, settings):
        old = fieldcrypt.ring()
        before = User.objects.get(pk=owner.pk).id_number_enc
        settings.NRMM_FIELD_CRYPTO = KeyRing((key(7), *old.keys), old.hash_key)
        new = fieldcrypt.ring()
        # Before rotation: the old seals still open and lookups still work.
        assert User.objects.get(pk=owner.pk).id_number == ID
        assert User.objects.by_id_number(ID).get() == owner
        assert f"{old.current_kid}: 2 ID numbers (re-seal with --rotate)" in self.run()

        assert "re-sealed 2 ID numbers" in self.run("--rotate")
        after = User.objects.get(pk=owner.pk).id_number_enc
        assert after and after != before and new.is_current(after)
        assert "re-sealed 0" in self.run("--rotate")  # a second run has nothing to do
        # The old key can go now.
        settings.NRMM_FIELD_CRYPTO = KeyRing((key(7),), old.hash_key)
        assert User.objects.get(pk=owner.pk).id_number == ID
        assert User.objects.by_id_number(ID).get() == owner

    def test_a_new_hash_key_needs_the_rotation_for_lookups(self, owner, settings):
        old = fieldcrypt.ring()
        settings.NRMM_FIELD_CRYPTO = KeyRing(old.keys, key(8))
        assert not User.objects.by_id_number(ID).exists()
        assert "1 keyed hashes recomputed" in self.run("--rotate")
        assert User.objects.by_id_number(ID).get() == owner
        assert authenticate(None, username=ID, password=PASSWORD) == owner

    def test_generate_prints_a_usable_key(self):
        text = self.run("--generate").strip()
        assert len(base64.b64decode(text)) == 32

    def test_development_keys_are_printed_only_when_derived(self, settings):
        ring = fieldcrypt.ring()
        assert ring.derived
        encryption, hashing = self.run("--development").split()
        assert base64.b64decode(encryption) == ring.keys[0]
        assert base64.b64decode(hashing) == ring.hash_key
        settings.NRMM_FIELD_CRYPTO = KeyRing((key(7),), key(8))
        with pytest.raises(Exception, match="configured"):
            self.run("--development")


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_existing_rows_and_can_go_back():
    """0008 seals the plain numbers 0007 left; going back opens them again."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0007_id_number_sealed_fields")]
    after = [("accounts", "0009_drop_plain_id_number")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_user = executor.loader.project_state(before).apps.get_model("accounts", "User")
    old_user.objects.create(phone="13800000001", name="张三", kind="person", id_number=ID)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    user = User.objects.get(phone="13800000001")
    assert user.id_number == ID and ID not in every_row_of_every_table()
    assert user.id_number_enc
    assert fieldcrypt.ring().open(user.id_number_enc, purpose=ID_NUMBER_PURPOSE) == ID

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM accounts_user WHERE phone = %s", ["13800000001"])
        assert cursor.fetchone() == (ID,)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)


class TestAdmin:
    def test_search_by_exact_id_number_and_nothing_shown_in_full(self, owner, city_admin):
        client = Client()
        client.force_login(city_admin)
        found = client.get("/admin/accounts/user/", {"q": ID.lower()}).content.decode()
        assert owner.name in found and ID not in found
        assert "13800000001" not in found  # the list masks phones too
        page = client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
        assert "110***********002X" in page and ID not in page
        assert owner.id_number_enc not in page and "id_number_hash" not in page

    def test_correcting_the_id_number(self, owner, other_owner, city_admin):
        client = Client()
        client.force_login(city_admin)
        url = f"/admin/accounts/user/{owner.pk}/change/"
        form = {
            "kind": "person",
            "role": "owner",
            "name": owner.name,
            "phone": owner.phone,
            "is_active": "on",
        }
        taken = client.post(url, {**form, "new_id_number": other_owner.id_number})
        assert "该身份证号码已注册" in taken.content.decode()
        assert client.post(url, {**form, "new_id_number": "310115198001011238"}).status_code == 302
        assert User.objects.by_id_number("310115198001011238").get() == owner
        assert client.post(url, form).status_code == 302  # empty keeps it
        assert User.objects.get(pk=owner.pk).id_number == "310115198001011238"

    def test_the_sms_outbox_lists_phones_masked(self, city_admin):
        from accounts.models import SmsMessage

        SmsMessage.objects.create(phone="13812341234", body="验证码123456", backend="test")
        client = Client()
        client.force_login(city_admin)
        page = client.get("/admin/accounts/smsmessage/").content.decode()
        assert "138****1234" in page and "13812341234" not in page
        found = client.get("/admin/accounts/smsmessage/", {"q": "13812341234"}).content.decode()
        assert "验证码123456" in found
