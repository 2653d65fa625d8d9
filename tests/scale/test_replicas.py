"""Read replicas (core.dbrouter): reads go to a replica only inside @replica_ok views.

The replica here is `replica_1`, a test mirror of the test database (tests/conftest.py adds
it): a second connection to the same data, so each query shows which alias it went to.
The tests commit their rows (transaction=True), since a second connection cannot see a
test's uncommitted ones.
"""

import copy

import pytest
import time_machine
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import dbrouter
from registry.models import Registration
from tests.backoffice.test_credential_pages import MONDAY, at_stage
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica_1"])


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def replica(settings):
    settings.NRMM_REPLICA_DATABASES = ["replica_1"]


@pytest.fixture
def registered(owner, reviewer) -> Registration:
    return at_stage(owner, reviewer, "pending")


def queries(client: Client, url: str, status: int = 200) -> tuple[list[str], list[str]]:
    """(SQL sent to the primary, SQL sent to the replica) while `client` opens `url`."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica_1"]) as replica,
    ):
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == status, url
    return [q["sql"] for q in primary], [q["sql"] for q in replica]


def test_public_verification_reads_from_the_replica(replica, registered):
    url = reverse("verify:number", kwargs={"number": registered.short_number})
    primary, read = queries(Client(), url)
    assert any("registry_registration" in sql for sql in read)
    # The rate counter is written and read on the primary, never the replica.
    assert any("core_ratecounter" in sql for sql in primary)
    assert not any("core_ratecounter" in sql for sql in read)
    assert not any("registry_registration" in sql for sql in primary)


def test_verification_api_reads_from_the_replica(replica, registered):
    url = f"/api/v1/verify?number={registered.short_number}"
    primary, read = queries(Client(), url)
    assert any("registry_registration" in sql for sql in read)
    assert not any("registry_registration" in sql for sql in primary)


def test_statistics_and_exports_read_from_the_replica(replica, registered, city_admin):
    client = logged_in(city_admin)
    for url in (
        reverse("stats:dashboard"),
        reverse("stats:download", kwargs={"table": "districts"}),
        # Streamed: its rows are read while the file is sent, still from the replica.
        reverse("stats:export", kwargs={"name": "registrations"}),
    ):
        primary, read = queries(client, url)
        # The machine tables read the trigger-kept counts (stats_machinecount), the others
        # the registry's tables: both from the replica, neither from the primary.
        data = ("registry_", "stats_machinecount")
        assert any(table in sql for sql in read for table in data), url
        assert not any(table in sql for sql in primary for table in data), url
        # The session and the signed-in user come from the primary (the export's rows join
        # the owners' names, which is a registry query).
        assert any("django_session" in sql for sql in primary), url
        assert not any(
            'FROM "django_session"' in sql or 'FROM "accounts_user"' in sql for sql in read
        ), url


def test_owner_and_review_pages_never_read_from_the_replica(replica, registered, owner, reviewer):
    for client, url in (
        (logged_in(owner), reverse("owners:home")),
        (logged_in(owner), reverse("owners:account")),
        (logged_in(reviewer), reverse("backoffice:review_queue")),
        (logged_in(reviewer), reverse("backoffice:home")),
    ):
        primary, read = queries(client, url)
        assert primary, url
        assert read == [], url


def test_without_a_replica_everything_reads_from_the_primary(registered, city_admin, settings):
    assert settings.NRMM_REPLICA_DATABASES == []
    url = reverse("verify:number", kwargs={"number": registered.short_number})
    primary, read = queries(Client(), url)
    assert read == [] and any("registry_registration" in sql for sql in primary)
    primary, read = queries(logged_in(city_admin), reverse("stats:dashboard"))
    assert read == [] and primary


def test_the_router(replica):
    router = dbrouter.ReplicaRouter()
    assert router.db_for_read(Registration) == "default"  # outside the scope
    with dbrouter.replica_scope():
        assert router.db_for_read(Registration) == "replica_1"
        assert router.db_for_write(Registration) == "default"
        from accounts.models import User
        from core.models import RateCounter

        assert router.db_for_read(User) == "default"
        assert router.db_for_read(RateCounter) == "default"
        # Inside a transaction (which may have written) the primary answers.
        with transaction.atomic():
            assert router.db_for_read(Registration) == "default"
        assert router.db_for_read(Registration) == "replica_1"
    assert router.allow_migrate("replica_1", "registry") is False
    assert router.allow_migrate("default", "registry") is True


def test_the_primary_only_tables_exist():
    """A typo in the router's lists would send those tables to a replica silently."""
    from django.apps import apps

    labels = {config.label for config in apps.get_app_configs()}
    assert dbrouter.PRIMARY_ONLY_APPS <= labels
    models = {model._meta.label_lower for model in apps.get_models()}
    assert dbrouter.PRIMARY_ONLY_MODELS <= models


@pytest.fixture
def dead_replica(settings, monkeypatch):
    """`replica_dead`: a replica that cannot be reached for real (PostgreSQL: a port nobody
    listens on; SQLite: a file in a folder that does not exist), listed before replica_1."""
    alias = "replica_dead"
    dead = copy.deepcopy(connections.settings["default"])
    if dead["ENGINE"].endswith("sqlite3"):
        dead["NAME"] = "/nonexistent-folder/replica.sqlite3"
    else:
        dead.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    connections.settings[alias] = dead
    connection = connections[alias]

    def ensure_connection() -> None:
        # Django's test case refuses to connect to an alias the test does not list (and
        # this one is made here, after the test case was set up): connect as Django does.
        if connection.connection is None:
            with connection.wrap_database_errors:
                connection.connect()

    connection.ensure_connection = ensure_connection  # type: ignore[method-assign]
    settings.NRMM_REPLICA_DATABASES = [alias, "replica_1"]
    monkeypatch.setattr(dbrouter.random, "shuffle", lambda items: None)  # the dead one first
    monkeypatch.setattr(dbrouter, "_down_until", {})
    now = [1000.0]
    monkeypatch.setattr(dbrouter.time, "monotonic", lambda: now[0])
    yield now
    connections[alias].close()
    del connections[alias]
    del connections.settings[alias]


def test_a_replica_that_cannot_be_reached_is_passed_over(dead_replica, registered, caplog):
    url = reverse("verify:number", kwargs={"number": registered.short_number})
    _, read = queries(Client(), url)  # answered, from replica_1
    assert any("registry_registration" in sql for sql in read)
    assert "read replica replica_dead unreachable" in caplog.text
    # For the next DOWN_FOR_SECONDS this process does not try it again.
    attempts = []
    connection = connections["replica_dead"]
    real = connection.ensure_connection

    def counted() -> None:
        attempts.append(1)
        real()

    connection.ensure_connection = counted  # type: ignore[method-assign]
    _, read = queries(Client(), url)
    assert read and attempts == []
    dead_replica[0] += dbrouter.DOWN_FOR_SECONDS + 1
    assert dbrouter.choose_replica() == "replica_1"  # tried again, still down
    assert attempts == [1] and connection.connection is None


def test_with_every_replica_down_the_primary_answers(dead_replica, registered, settings):
    settings.NRMM_REPLICA_DATABASES = ["replica_dead"]
    url = reverse("verify:number", kwargs={"number": registered.short_number})
    primary, read = queries(Client(), url)
    assert read == [] and any("registry_registration" in sql for sql in primary)
    api = Client().get(f"/api/v1/verify?number={registered.short_number}")
    assert api.status_code == 200 and api.json()["registration"]["number"] == registered.number
