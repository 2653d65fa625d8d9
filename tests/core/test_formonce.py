"""One-time form keys (core.formonce) on the pages that create something: a double tap or
a form resent after a lost answer lands on what the first submission made; a refused
submission keeps its key (and what it counted: a wrong SMS code at the counter, in
tests/backoffice/test_review_pages.py); two copies racing on PostgreSQL make one."""

import re
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client

from core.models import IdempotentRequest
from inspections.models import SpotCheck
from registry.models import Declaration
from tests.conftest import logged_in
from tests.inspections.helpers import TODAY, approved
from tests.registry.helpers import START_DATA

KEY = re.compile(r'name="form_key" value="([A-Za-z0-9_-]{16,64})"')


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def form_key(client: Client, url: str) -> str:
    match = KEY.search(client.get(url).content.decode())
    assert match, url
    return match.group(1)


@pytest.mark.django_db
def test_pages_with_a_form_key_are_never_kept_by_a_cache(owner, inspector, clerk):
    """A shared cache keeping one copy would hand everyone the same key, and the second
    person's form would land on the first person's result."""
    for client, url in (
        (Client(), "/report/"),
        (logged_in(owner), "/declarations/new/"),
        (logged_in(inspector), "/inspect/new/?number=沪L4-00001"),
        (logged_in(clerk), "/staff/intake/"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.django_db
class TestStartingADeclaration:
    def test_sent_twice_makes_one_draft(self, owner):
        client = logged_in(owner)
        key = form_key(client, "/declarations/new/")
        first = client.post("/declarations/new/", {**START_DATA, "form_key": key})
        assert first.status_code == 302
        again = client.post("/declarations/new/", {**START_DATA, "form_key": key}, follow=True)
        assert again.redirect_chain[0][0] == first["Location"]
        assert "这份表单已经提交过" in again.content.decode()
        assert Declaration.objects.filter(owner=owner).count() == 1
        # A new form is a new declaration.
        key2 = form_key(client, "/declarations/new/")
        assert key2 != key
        client.post("/declarations/new/", {**START_DATA, "form_key": key2})
        assert Declaration.objects.filter(owner=owner).count() == 2

    def test_a_refused_form_keeps_its_key_and_records_nothing(self, owner):
        client = logged_in(owner)
        key = form_key(client, "/declarations/new/")
        refused = client.post("/declarations/new/", {**START_DATA, "district": "", "form_key": key})
        assert refused.status_code == 400
        assert f'name="form_key" value="{key}"' in refused.content.decode()
        assert not IdempotentRequest.objects.exists()
        ok = client.post("/declarations/new/", {**START_DATA, "form_key": key})
        assert ok.status_code == 302 and Declaration.objects.count() == 1

    def test_keys_are_per_person(self, owner, other_owner):
        key = form_key(logged_in(owner), "/declarations/new/")
        logged_in(owner).post("/declarations/new/", {**START_DATA, "form_key": key})
        theirs = logged_in(other_owner).post("/declarations/new/", {**START_DATA, "form_key": key})
        assert theirs.status_code == 302
        assert Declaration.objects.filter(owner=other_owner).count() == 1
        mine = Declaration.objects.get(owner=owner)
        assert theirs["Location"] != f"/declarations/{mine.pk}/step/1/"

    def test_a_malformed_key_is_ignored(self, owner):
        client = logged_in(owner)
        for key in ("short", "x" * 65, "<script>alert(1)</script>-padding"):
            assert (
                client.post("/declarations/new/", {**START_DATA, "form_key": key}).status_code
                == 302
            )
        assert Declaration.objects.count() == 3 and not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_a_spot_check_sent_twice_is_recorded_once(inspector, owner, reviewer):
    approved(owner, reviewer)
    client = logged_in(inspector)
    key = form_key(client, "/inspect/new/?number=沪L4-00001")
    form = {
        "number": "沪L4-00001",
        "location": "浦东新区张江路1号工地",
        "district": "",
        "sign": "matches",
        "card": "genuine",
        "notes": "",
        "form_key": key,
    }
    first = client.post("/inspect/new/", form)
    assert first.status_code == 302
    again = client.post("/inspect/new/", form)
    assert again["Location"] == first["Location"]
    assert SpotCheck.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_copies_racing_make_one_draft(owner):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a database server (run with DATABASE_URL)")
    key, copies = "racing-form-key-0001", 4
    start = threading.Barrier(copies)
    answers: list[str] = []

    def send() -> None:
        try:
            client = logged_in(owner)
            start.wait()
            response = client.post("/declarations/new/", {**START_DATA, "form_key": key})
            answers.append(response["Location"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Declaration.objects.filter(owner=owner).count() == 1
    assert len(answers) == copies and len(set(answers)) == 1
