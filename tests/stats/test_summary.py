"""stats.MachineCount, kept by database triggers, always equals a fresh count of the
registrations, after any sequence of inserts, changes and deletes (hypothesis), and
rebuild_machine_counts counts it afresh."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.constants import RegistrationStatus
from registry.models import Credential, Declaration, Registration
from stats.generate import generate
from stats.models import MachineCount

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)


def _fresh() -> dict[tuple, int]:
    return {
        key[:-1]: key[-1]
        for key in Registration.objects.values_list(
            "district", "stage", "declaration__machine_type", "declaration__fuel_type", "status"
        )
        .annotate(n=Count("pk"))
        .order_by()
    }


def _kept() -> dict[tuple, int]:
    return {
        row[:-1]: row[-1]
        for row in MachineCount.objects.filter(n__gt=0).values_list(
            "district", "stage", "machine_type", "fuel_type", "status", "n"
        )
    }


@pytest.fixture
def machines():
    generate(12, seed=9, today=TODAY, days=200)
    return list(Registration.objects.values_list("pk", flat=True))


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["status", "district", "stage", "type", "fuel", "delete", "copy", "bulk_status"]
        ),
        st.integers(min_value=0, max_value=11),
        st.sampled_from(["A", "B", "L", "J"]),
        st.sampled_from(RegistrationStatus.values),
        st.integers(min_value=1, max_value=4),
    ),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_counts_equal_a_fresh_count_after_any_changes(machines, steps):
    assert _kept() == _fresh()
    with transaction.atomic():
        for step, (what, index, district, status, stage) in enumerate(steps):
            registration = Registration.objects.filter(pk=machines[index]).first()
            if registration is None:
                continue  # deleted by an earlier step
            declaration = registration.declaration
            if what == "status":
                registration.status = status
                registration.save(update_fields=["status"])
            elif what == "district":
                registration.district = district
                registration.save(update_fields=["district"])
            elif what == "stage":
                Registration.objects.filter(pk=registration.pk).update(stage=stage)
            elif what == "type":
                declaration.machine_type = (
                    "挖掘机" if declaration.machine_type != "挖掘机" else "叉车"
                )
                declaration.save(update_fields=["machine_type"])
            elif what == "fuel":
                Declaration.objects.filter(pk=declaration.pk).update(fuel_type="电动")
            elif what == "delete":
                Credential.objects.filter(registration=registration).delete()
                registration.delete()
            elif what == "copy":
                # A renumbering: the old number stays, a new registration is made.
                registration.pk = None
                registration.number += f"X{step}"
                registration.short_number += f"X{step}"
                registration.serial = 30_000 + step * 100 + index
                registration.declaration = Declaration.objects.create(
                    owner_id=registration.owner_id,
                    declared_by_id=registration.owner_id,
                    machine_type=declaration.machine_type,
                    fuel_type="柴油",
                )
                registration.save()
            elif what == "bulk_status":
                Registration.objects.filter(district=district).update(status=status)
            assert _kept() == _fresh()
        transaction.set_rollback(True)
    assert _kept() == _fresh()


def test_rebuild_counts_afresh(machines):
    MachineCount.objects.all().delete()
    assert _kept() != _fresh()
    out = StringIO()
    call_command("rebuild_machine_counts", stdout=out)
    assert _kept() == _fresh()
    assert "groups=" in out.getvalue()


def test_generated_data_is_counted(machines):
    generate(30, seed=10, today=TODAY, days=200)
    assert _kept() == _fresh()
    assert sum(_kept().values()) == Registration.objects.count() == 42


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_empties_the_counts(machines):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE registry_credential, registry_registration CASCADE")
    assert not MachineCount.objects.exists()
