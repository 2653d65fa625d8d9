"""Organisation staff, as found in review: a disabled login's sessions stay ended when it is
re-enabled; a disabled organisation's staff (and an inactive owner's agents) act for nobody;
a staff login never becomes an owner (counter intake, owner search, owner change,
other-city records)."""

import pytest
from django.test import Client

from accounts import actions
from accounts.queries import acting_for_ids, declarable_owners, search_owners
from changes import actions as change_actions
from registry import actions as registry_actions
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert (
        client.post("/login/", {"identifier": user.phone, "password": PASSWORD}).status_code == 302
    )
    return client


def test_re_enabling_does_not_revive_old_sessions(organisation, org_staff_member):
    browser = signed_in(org_staff_member)
    assert browser.get("/fleet/").status_code == 200
    actions.set_org_staff_active(acting_user=organisation, staff=org_staff_member, active=False)
    actions.set_org_staff_active(acting_user=organisation, staff=org_staff_member, active=True)
    assert browser.get("/fleet/").status_code == 302  # that cookie is over
    assert signed_in(org_staff_member).get("/fleet/").status_code == 200


def test_a_disabled_organisations_staff_act_for_nobody(organisation, org_staff_member):
    assert acting_for_ids(org_staff_member) == [organisation.pk]
    organisation.is_active = False
    organisation.save(update_fields=["is_active"])
    org_staff_member.refresh_from_db()
    assert acting_for_ids(org_staff_member) == []
    assert declarable_owners(org_staff_member) == []
    assert not actions.can_act_for(org_staff_member, organisation)


def test_staff_are_never_owners(clerk, organisation, org_staff_member, owner):
    with pytest.raises(Exception, match="机械所有者须为"):
        registry_actions.request_counter_intake(acting_user=clerk, owner=org_staff_member)
    assert org_staff_member not in list(search_owners(org_staff_member.phone))
    assert organisation in list(search_owners(organisation.name))
    errors: dict[str, str] = {}
    assert change_actions._find_new_owner(org_staff_member.phone, errors, owner) is None
    assert "new_owner_phone" in errors


def test_staff_record_other_city_machines_for_the_organisation(organisation, org_staff_member):
    record = change_actions.record_external(
        acting_user=org_staff_member,
        city_name="江苏省苏州市",
        number="苏E2-00123",
        machine_type="挖掘机",
        district="L",
    )
    assert record.owner_id == organisation.pk
