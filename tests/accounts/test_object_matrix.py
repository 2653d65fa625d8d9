"""Every page and API endpoint × every kind of person × their own and someone else's object.

The URL configuration is walked (every Django route and every django-ninja operation under
/api/v1/ with its HTTP methods); each route must have a row in ROUTES below, so a new
endpoint fails `test_every_route_is_classified` until someone decides who may reach what.

ADDING A ROUTE
  1. Add its rule to accounts/access.py (role level) and tests/accounts/test_access_matrix.py.
  2. Add a row here, under ROUTES, keyed by its view name:
       - a route without an object id:  "app:name": page("get")  /  api()
       - a route with one:  "app:name": page("post", ids={"pk": "draft"}, reach=OWNER_SIDE | CLERK)
         `ids` maps each URL parameter that names an object to a kind in the world (see
         SIDE_OBJECTS: draft, submitted, registration, credential, sign_photo, spot_check,
         change, report, consent, org_staff, import_job, ... and their photos); `reach` says
         which relations to the object's owner let a person through (OWNER, AGENT,
         ORG_STAFF, CLERK and REVIEWER of the object's district, CITY, CHECKER who recorded
         the spot check). Everyone else whom access.py lets in must get 404, alike for
         "missing" and "not yours".
       - other URL parameters (a step number, a file kind) go in `fixed`; a query string in
         `query`.
       - API operations take their methods from the URLconf; page rows list theirs. An API
         operation with a body needs `body=` valid enough to pass the schema, so that an
         outsider's request reaches the access check (a 422 there fails the test and says so).
     A new kind of object: build one for each side in `build_world` and add it to the
     bundles.
  3. Run `pytest tests/accounts/test_object_matrix.py -k app:name`.

Each request runs inside a savepoint that is rolled back, so allowed requests (an approval,
a withdrawal) do not change the world for the next one; for every refused request the audit
chain, row counts and the status of every object are compared before and after.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from accounts import actions as account_actions
from accounts.access import ACCESS, DELEGATED_NAMESPACES, allows
from accounts.constants import AccountKind, Department, Role
from accounts.models import AgentConsent, User
from changes.models import ChangePhoto
from fleets import actions as fleet_actions
from inspections import actions as inspection_actions
from inspections.models import RectificationPhoto, SpotCheckPhoto
from registry import actions as registry_actions
from registry import credentials as cards
from registry.constants import CredentialStatus
from registry.models import Credential, DeclarationPhoto, SignPhoto
from reports import actions as report_actions
from reports.models import ReportPhoto
from tests.changes.helpers import dpf
from tests.conftest import PASSWORD, last_code, make_user, new_org_staff
from tests.fleets.conftest import row as import_row
from tests.fleets.conftest import xlsx
from tests.registry.helpers import declare, jpeg
from tests.urlconf import walk_urlconf

# Every test needs the test database (pytest-django creates it only for marked tests); each
# runs in a savepoint of the world's transaction, rolled back after it.
pytestmark = pytest.mark.django_db

NOW = "2026-11-23 10:00 +0800"  # a Monday inside the holiday table (review deadlines)

# --- people ----------------------------------------------------------------------------------

ANON = "anonymous"
OWNER_A = "owner_a"  # a person; side A's machines are in 浦东 (L)
AGENT_A = "agent_a"  # a person acting for owner A with consent
AGENT_NONE = "agent_revoked"  # had owner A's consent and lost it; asked B, never granted
OWNER_B = "owner_b"  # an organisation; side B's machines are in 闵行 (K)
ORG_STAFF_B = "org_staff_b"  # a staff login of organisation B
CLERK_L, REVIEWER_L = "clerk_L", "reviewer_L"
CLERK_K, REVIEWER_K = "clerk_K", "reviewer_K"
INSPECTOR = "inspector"
CITY_ADMIN = "city_admin"
PEOPLE = (
    ANON,
    OWNER_A,
    AGENT_A,
    AGENT_NONE,
    OWNER_B,
    ORG_STAFF_B,
    CLERK_L,
    REVIEWER_L,
    CLERK_K,
    REVIEWER_K,
    INSPECTOR,
    CITY_ADMIN,
)

# --- relations to an object's side -----------------------------------------------------------

OWNER, AGENT, ORG_STAFF = "owner", "agent", "org_staff"
CLERK, REVIEWER, CITY, CHECKER = "clerk", "reviewer", "city", "checker"
OWNER_SIDE = frozenset({OWNER, AGENT, ORG_STAFF})
DISTRICT = frozenset({CLERK, REVIEWER})
DISTRICT_AND_CITY = DISTRICT | {CITY}
NOBODY: frozenset[str] = frozenset()

# Who stands in which relation to each side's objects. A: owner A (person) in L, with an
# agent; its spot check recorded by the inspector. B: organisation B in K, with a staff login;
# its spot check recorded by K's clerk (so the inspector meets someone else's check).
SIDES: dict[str, dict[str, str | None]] = {
    "A": {
        OWNER: OWNER_A,
        AGENT: AGENT_A,
        ORG_STAFF: None,
        CLERK: CLERK_L,
        REVIEWER: REVIEWER_L,
        CITY: CITY_ADMIN,
        CHECKER: INSPECTOR,
    },
    "B": {
        OWNER: OWNER_B,
        AGENT: None,
        ORG_STAFF: ORG_STAFF_B,
        CLERK: CLERK_K,
        REVIEWER: REVIEWER_K,
        CITY: CITY_ADMIN,
        CHECKER: CLERK_K,
    },
}


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...] = ("get",)  # pages only; API methods come from the URLconf
    ids: dict[str, str] = field(default_factory=dict)  # URL parameter -> object kind
    reach: frozenset[str] = NOBODY  # relations that reach the object
    fixed: dict[str, str] = field(default_factory=dict)  # other URL parameters
    query: str = ""  # may name objects too: "ids={credential}"
    body: dict[str, Any] | None = None  # API body (JSON, or multipart for Form/File)
    # Only an organisation's main account (not people, agents or its staff): the view refuses
    # everyone else with 403 whatever the id, as accounts.access refuses a role.
    org_only: bool = False
    # A page or endpoint without an object id that lists machines: who may see each side's
    # machines in it (by their serials, names and numbers in HTML and JSON answers).
    lists: frozenset[str] = OWNER_SIDE | DISTRICT_AND_CITY
    # Sides whose object has nothing for this route (an organisation has no ID number to
    # reveal): everyone let in by access.py gets 404 there, the reach included.
    nothing_on: frozenset[str] = frozenset()

    @property
    def has_object(self) -> bool:
        return bool(self.ids) or "{" in self.query or self.ids_in_body

    @property
    def ids_in_body(self) -> bool:
        return re.search(r"\{[a-z_]+\}", repr(self.body)) is not None


def page(methods: str = "get", **kwargs: Any) -> Route:
    return Route(methods=tuple(methods.split(",")), **kwargs)


def api(**kwargs: Any) -> Route:
    return Route(methods=(), **kwargs)


def photo_file() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")


FILER = OWNER_SIDE | {CLERK}  # who fills in a declaration: the owner side, the counter clerk
PHOTO = OWNER_SIDE | DISTRICT_AND_CITY
CHECK = DISTRICT_AND_CITY | {CHECKER}
RECTIFICATION = OWNER_SIDE | CHECK
# A fleet (its imports) is the owner's account's and its staff's; an agent acts for an owner
# one declaration at a time and sees only their own fleet.
FLEET = frozenset({OWNER, ORG_STAFF})

# Lookups by a typed number show it back: they get one that is nobody's (a number is public).
NO_SUCH_NUMBER = "沪Z4-99999"

# fmt: off
ROUTES: dict[str, Route] = {
    # --- owners' pages ---
    "owners:home": page(),
    "health": page(),
    "bench:floor": page(),  # 404 unless NRMM_BENCH_FLOOR is set
    "owners:register": page(),
    "owners:register_person": page(),
    "owners:register_organisation": page(),
    "owners:send_code": page("post"),
    "owners:login": page(),
    "owners:logout": page("post"),
    "owners:logout_everywhere": page("post"),
    "owners:password_reset": page(),
    "owners:account": page(),
    "owners:account_id_number": page("post"),
    "owners:agent_request": page("post"),
    "owners:agent_confirm": page("post"),
    # Either party ends a consent.
    "owners:consent_withdraw": page("post", ids={"consent_id": "consent"}, reach=frozenset({OWNER, AGENT})),  # noqa: E501
    "owners:declarations": page(),
    "owners:declaration_new": page("get,post"),
    "owners:declaration_check_group": page("post"),
    "owners:declaration": page(ids={"pk": "draft"}, reach=FILER),
    "owners:declaration_step": page("get,post", ids={"pk": "draft"}, fixed={"step": "1"}, reach=FILER),  # noqa: E501
    "owners:declaration_summary": page(ids={"pk": "draft"}, reach=FILER),
    "owners:declaration_submit": page("post", ids={"pk": "draft"}, reach=FILER),
    "owners:declaration_photo_upload": page("post", ids={"pk": "draft"}, reach=FILER),
    "owners:declaration_photo_delete": page("post", ids={"pk": "draft", "photo_id": "draft_photo"}, reach=FILER),  # noqa: E501
    "owners:photo": page(ids={"pk": "draft_photo"}, reach=PHOTO),
    "owners:registration": page(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "owners:registration_sign_photo": page("post", ids={"pk": "registration"}, reach=OWNER_SIDE),
    "owners:registration_guide": page(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "owners:registration_form": page(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "owners:registration_photo": page(ids={"pk": "sign_photo"}, reach=OWNER_SIDE),
    # --- public verification (numbers and card proofs are public, not objects of anyone) ---
    "verify:lookup": page(query=f"number={NO_SUCH_NUMBER}"),
    "verify:number": page(fixed={"number": NO_SUCH_NUMBER}),
    "verify:card": page(fixed={"number": NO_SUCH_NUMBER, "proof": "1.s1.x"}),
    "verify:photo": page(fixed={"number": NO_SUCH_NUMBER, "key": "0123456789abcdef"}),
    # --- back office ---
    "backoffice:login": page(),
    "backoffice:login_code": page(),
    "backoffice:totp_setup": page(),
    "backoffice:home": page(),
    "backoffice:owners": page(query="q=张"),
    "backoffice:review_queue": page(),
    "backoffice:review": page(ids={"pk": "submitted"}, reach=DISTRICT_AND_CITY),
    "backoffice:owner_id_number": page("post", ids={"pk": "owner"}, reach=frozenset({CLERK, REVIEWER, CITY}), nothing_on=frozenset({"B"})),  # noqa: E501
    "backoffice:approve": page("post", ids={"pk": "submitted"}, reach=frozenset({REVIEWER})),
    "backoffice:return": page("post", ids={"pk": "submitted"}, reach=frozenset({REVIEWER})),
    "backoffice:refuse": page("post", ids={"pk": "submitted"}, reach=frozenset({REVIEWER})),
    "backoffice:photo": page(ids={"pk": "draft_photo"}, reach=DISTRICT_AND_CITY),
    "backoffice:intake": page("get,post", query="q=张"),
    "backoffice:overdue": page(),
    "backoffice:credentials": page(),
    # Batches name their objects in the body: another's id is answered as a missing one.
    "backoffice:credentials_produce": page("post", body={"ids": "{credential}"}, reach=DISTRICT),
    "backoffice:credentials_notify": page("post", body={"ids": "{credential}", "place": "窗口"}, reach=DISTRICT),  # noqa: E501
    "backoffice:signs_pdf": page(query="ids={credential}", reach=DISTRICT_AND_CITY),
    "backoffice:cards_pdf": page(query="ids={credential}", reach=DISTRICT_AND_CITY),
    "backoffice:credential_file": page(ids={"pk": "credential"}, fixed={"kind": "sign.svg"}, reach=DISTRICT_AND_CITY),  # noqa: E501
    "backoffice:collect": page("post", ids={"pk": "credential"}, reach=DISTRICT),
    "backoffice:collection": page(query=f"q={NO_SUCH_NUMBER}"),
    "backoffice:sign_photo": page(ids={"pk": "sign_photo"}, reach=DISTRICT_AND_CITY),
    "backoffice:sign_photo_confirm": page("post", ids={"pk": "sign_photo"}, reach=DISTRICT),
    "backoffice:sign_photo_reject": page("post", ids={"pk": "sign_photo"}, reach=DISTRICT),
    "backoffice:registrations": page(),
    "backoffice:registration": page(ids={"pk": "registration"}, reach=DISTRICT_AND_CITY),
    "backoffice:registration_form_pdf": page(ids={"pk": "registration"}, reach=DISTRICT_AND_CITY),
    # --- inspections ---
    "inspections:home": page(),
    "inspections:new": page("get,post", query=f"number={NO_SUCH_NUMBER}"),
    "inspections:mine": page(lists=CHECK | OWNER_SIDE),
    "inspections:check": page(ids={"pk": "spot_check"}, reach=CHECK),
    "inspections:photo": page(ids={"pk": "spot_check_photo"}, reach=CHECK),
    "inspections:order": page("post", ids={"pk": "spot_check"}, reach=DISTRICT),
    "inspections:district_checks": page(),
    "inspections:rectifications": page(lists=CHECK | OWNER_SIDE),
    "inspections:rectification": page(ids={"pk": "rectification"}, reach=RECTIFICATION),
    "inspections:answer": page("post", ids={"pk": "rectification"}, reach=OWNER_SIDE),
    "inspections:close": page("post", ids={"pk": "rectification"}, reach=DISTRICT),
    "inspections:answer_photo": page(ids={"pk": "answer_photo"}, reach=RECTIFICATION),
    # --- changes ---
    "changes:home": page(),
    "changes:registration": page(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "changes:owner_code": page("post", ids={"pk": "registration"}, reach=OWNER_SIDE),
    "changes:new": page("get,post", ids={"pk": "registration"}, fixed={"kind": "reissue"}, reach=OWNER_SIDE),  # noqa: E501
    "changes:request": page(ids={"pk": "change"}, reach=OWNER_SIDE),
    "changes:withdraw": page("post", ids={"pk": "change"}, reach=OWNER_SIDE),
    "changes:resend_code": page("post", ids={"pk": "change"}, reach=OWNER_SIDE),
    "changes:confirm_owner": page("get,post"),
    "changes:photo": page(ids={"pk": "change_photo"}, reach=PHOTO),
    "changes:external": page("get,post"),
    "changes:district_queue": page(),
    "changes:district_external": page(),
    "changes:district_request": page(ids={"pk": "change"}, reach=DISTRICT_AND_CITY),
    "changes:approve": page("post", ids={"pk": "change"}, reach=frozenset({REVIEWER})),
    "changes:reject": page("post", ids={"pk": "change"}, reach=frozenset({REVIEWER})),
    "changes:site_check": page("post", ids={"pk": "change"}, reach=DISTRICT),
    # --- public reports: a report is "A's" when seen in L, "B's" when seen in K ---
    "reports:new": page("get,post"),
    "reports:filed": page(),
    "reports:follow": page(query="code=ZZZZZ-ZZZZZ"),
    "reports:staff_list": page(),
    "reports:staff_detail": page(ids={"pk": "report"}, reach=DISTRICT_AND_CITY),
    "reports:photo": page(ids={"pk": "report_photo"}, reach=DISTRICT_AND_CITY),
    "reports:assign": page("post", ids={"pk": "report"}, reach=DISTRICT),
    "reports:note": page("post", ids={"pk": "report"}, reach=DISTRICT),
    "reports:close": page("post", ids={"pk": "report"}, reach=DISTRICT),
    "reports:reopen": page("post", ids={"pk": "report"}, reach=DISTRICT),
    # --- fleets: an organisation's staff logins are its main account's to manage ---
    "fleets:staff": page(org_only=True),
    "fleets:staff_disable": page("post", ids={"pk": "org_staff"}, reach=frozenset({OWNER}), org_only=True),  # noqa: E501
    "fleets:staff_enable": page("post", ids={"pk": "org_staff"}, reach=frozenset({OWNER}), org_only=True),  # noqa: E501
    "fleets:machines": page(),
    "fleets:submit_many": page("post", body={"ids": "{draft}"}, reach=FILER),
    "fleets:imports": page(),
    "fleets:template": page(),
    "fleets:import_job": page(ids={"pk": "import_job"}, reach=FLEET),
    "fleets:import_progress": page(ids={"pk": "import_job"}, reach=FLEET),
    # --- statistics ---
    "stats:dashboard": page(),
    "stats:download": page(fixed={"table": "districts"}),
    "stats:export": page(fixed={"name": "registrations"}),
    # 附件1 of an owner: the districts where the owner has machines, and the city.
    "stats:form1": page(fixed={"fmt": "xlsx"}, query="owners={owner}", reach=DISTRICT_AND_CITY),
    # --- API: accounts ---
    "api:openapi-json": page(),
    "api:openapi-view": page(),
    "api:api-root": page(),
    "api:reference": api(),
    "api:sms_codes": api(),
    "api:register_person": api(),
    "api:register_organisation": api(),
    "api:token": api(),
    "api:password_reset": api(),
    "api:logout": api(),
    "api:logout_everywhere": api(),
    "api:me": api(),
    "api:me_id_number": api(),
    "api:staff_owner_id_number": api(ids={"owner_id": "owner"}, reach=frozenset({CLERK, REVIEWER, CITY}), nothing_on=frozenset({"B"})),  # noqa: E501
    "api:principals": api(),
    "api:principal_requests": api(),
    # The agent ends a consent as agent; the owner as owner.
    "api:principal_detail": api(ids={"consent_id": "consent"}, reach=frozenset({AGENT})),
    "api:agents": api(),
    "api:agent_detail": api(ids={"consent_id": "consent"}, reach=frozenset({OWNER})),
    "api:staff_owners": api(query="q=张"),
    "api:org_staff": api(org_only=True, body={"name": "员工乙", "phone": "13700000009", "password": PASSWORD, "password_confirm": PASSWORD, "code": "000000"}),  # noqa: E501
    "api:org_staff_codes": api(org_only=True, body={"phone": "13700000009"}),
    "api:org_staff_disable": api(ids={"pk": "org_staff"}, reach=frozenset({OWNER}), org_only=True),
    "api:org_staff_enable": api(ids={"pk": "org_staff"}, reach=frozenset({OWNER}), org_only=True),
    # --- API: declarations and review ---
    "api:fleet": api(),
    "api:declarations_submit_many": api(body={"ids": ["{draft}"]}, reach=FILER),
    "api:imports": api(),
    "api:import_template": api(),
    "api:import": api(ids={"pk": "import_job"}, reach=FLEET),
    "api:declarations": api(),
    "api:declaration": api(ids={"pk": "draft"}, reach=FILER),
    "api:declaration_step": api(ids={"pk": "draft"}, fixed={"step": "1"}, reach=FILER, body={"data": {}}),  # noqa: E501
    "api:declaration_check_group": api(),
    "api:declaration_submit": api(ids={"pk": "draft"}, reach=FILER),
    "api:declaration_photos": api(ids={"pk": "draft"}, reach=FILER, body={"kind": "front", "file": photo_file}),  # noqa: E501
    "api:declaration_photo": api(ids={"pk": "draft", "photo_id": "draft_photo"}, reach=FILER),
    "api:photo": api(ids={"photo_id": "draft_photo"}, reach=PHOTO),
    "api:counter_intake_codes": api(),
    "api:counter_intake": api(),
    "api:review_queue": api(),
    "api:review_declaration": api(ids={"pk": "submitted"}, reach=DISTRICT_AND_CITY),
    "api:review_approve": api(ids={"pk": "submitted"}, reach=frozenset({REVIEWER})),
    "api:review_return": api(ids={"pk": "submitted"}, reach=frozenset({REVIEWER})),
    "api:review_refuse": api(ids={"pk": "submitted"}, reach=frozenset({REVIEWER}), body={"reason": "x"}),  # noqa: E501
    # --- API: registrations, signs and cards ---
    "api:registrations": api(),
    "api:registration": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:registration_sign_photo": api(ids={"pk": "registration"}, reach=OWNER_SIDE, body={"file": photo_file}),  # noqa: E501
    "api:registration_guide": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:registration_form": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:staff_credentials": api(),
    "api:staff_credentials_produce": api(body={"ids": ["{credential}"]}, reach=DISTRICT),
    "api:staff_credentials_notify": api(body={"ids": ["{credential}"], "place": "窗口"}, reach=DISTRICT),  # noqa: E501
    "api:staff_collect": api(ids={"pk": "credential"}, reach=DISTRICT, body={"pickup_code": "000000"}),  # noqa: E501
    "api:staff_credential_file": api(ids={"pk": "credential"}, fixed={"kind": "sign.svg"}, reach=DISTRICT_AND_CITY),  # noqa: E501
    "api:staff_sign_photo_confirm": api(ids={"pk": "sign_photo"}, reach=DISTRICT),
    "api:staff_sign_photo_reject": api(ids={"pk": "sign_photo"}, reach=DISTRICT, body={"reason": "x"}),  # noqa: E501
    "api:verify_number": api(query=f"number={NO_SUCH_NUMBER}"),
    "api:verify_card": api(query="url=x"),
    "api:verify_keys": api(),
    # --- API: inspections ---
    "api:spot_checks": api(),
    "api:spot_check": api(ids={"pk": "spot_check"}, reach=CHECK),
    "api:spot_check_photo": api(ids={"pk": "spot_check_photo"}, reach=CHECK),
    "api:spot_check_rectification": api(ids={"pk": "spot_check"}, reach=DISTRICT),
    "api:rectifications": api(),
    "api:rectification": api(ids={"pk": "rectification"}, reach=RECTIFICATION),
    "api:rectification_answer": api(ids={"pk": "rectification"}, reach=OWNER_SIDE),
    "api:rectification_close": api(ids={"pk": "rectification"}, reach=DISTRICT, body={"accepted": True}),  # noqa: E501
    "api:rectification_photo": api(ids={"pk": "answer_photo"}, reach=RECTIFICATION),
    # --- API: changes ---
    "api:change_list": api(),
    "api:change_detail": api(ids={"pk": "change"}, reach=PHOTO),
    "api:change_history": api(ids={"pk": "registration"}, reach=PHOTO),
    "api:change_photo": api(ids={"pk": "change_photo"}, reach=PHOTO),
    "api:change_owner_code": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_owner": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_location": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_dpf": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_retrofit": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_alteration": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_reissue": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_transfer_out": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    "api:change_deregistration": api(ids={"pk": "registration"}, reach=OWNER_SIDE),
    # Only an owner change's new owner confirms one; the world's change is a DPF request, so
    # everyone gets the same 404.
    "api:change_confirm": api(ids={"pk": "change"}, reach=NOBODY),
    "api:change_resend_code": api(ids={"pk": "change"}, reach=OWNER_SIDE),
    "api:change_withdraw": api(ids={"pk": "change"}, reach=OWNER_SIDE),
    "api:change_site_check": api(ids={"pk": "change"}, reach=DISTRICT),
    "api:change_approve": api(ids={"pk": "change"}, reach=frozenset({REVIEWER})),
    "api:change_reject": api(ids={"pk": "change"}, reach=frozenset({REVIEWER})),
    "api:external_registrations": api(),
    "api:external_registration_create": api(),
    # --- API: public reports ---
    "api:report_file": api(),
    "api:report_follow": api(fixed={"code": "ZZZZZZZZZZ"}),
    "api:staff_reports": api(),
    "api:staff_report": api(ids={"pk": "report"}, reach=DISTRICT_AND_CITY),
    "api:staff_report_photo": api(ids={"pk": "report_photo"}, reach=DISTRICT_AND_CITY),
    "api:staff_report_assign": api(ids={"pk": "report"}, reach=DISTRICT),
    "api:staff_report_note": api(ids={"pk": "report"}, reach=DISTRICT, body={"text": "x"}),
    "api:staff_report_close": api(ids={"pk": "report"}, reach=DISTRICT),
    "api:staff_report_reopen": api(ids={"pk": "report"}, reach=DISTRICT),
}
# fmt: on

# Routes left out on purpose, with the reason (the Django admin decides for itself and lets
# in city administrators only: tests/accounts/test_access_matrix.py checks its door).
EXEMPT_NAMESPACES = {"admin": "django.contrib.admin: its own login and permission checks"}
assert set(EXEMPT_NAMESPACES) == set(DELEGATED_NAMESPACES)


# --- the URL configuration -------------------------------------------------------------------


URLCONF = walk_urlconf(exempt_namespaces=EXEMPT_NAMESPACES)


def test_every_route_is_classified():
    missing = sorted(set(URLCONF) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(URLCONF))
    assert not missing, f"routes without a row in ROUTES (see the top of this file): {missing}"
    assert not stale, f"rows in ROUTES for routes that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(URLCONF))
def test_every_url_parameter_is_an_object_or_fixed(name):
    route = ROUTES.get(name)
    if route is None:
        pytest.fail(f"{name} has no row in ROUTES")
    given = set(route.ids) | set(route.fixed)
    assert given == set(URLCONF[name].params), (
        f"{name}: URL parameters {sorted(URLCONF[name].params)}, the row names {sorted(given)}: "
        "map each object id in `ids`, anything else in `fixed`"
    )
    assert route.has_object or not route.reach, f"{name}: `reach` without an object id"
    is_api = bool(URLCONF[name].api_methods)
    assert bool(route.methods) != is_api or name in _SCHEMA_VIEWS, (
        f"{name}: API rows take their methods from the URLconf (api()), pages list them (page())"
    )


# The schema and docs views are ninja's own plain Django views, listed as pages.
_SCHEMA_VIEWS = {"api:openapi-json", "api:openapi-view", "api:api-root"}


# --- the world ---------------------------------------------------------------------------------


def _marked(serial: str) -> dict[str, str]:
    """A machine whose serial and name (shown in lists) say whose it is."""
    return {"factory_serial": serial, "machine_name": serial}


def _registered(owner: User, reviewer: User, district: str, serial: str):
    declaration = declare(owner, start={"district": district}, basic=_marked(serial))
    return registry_actions.approve(acting_user=reviewer, declaration=declaration)


def _collected_with_sign_photo(registration, owner: User, staff: User) -> SignPhoto:
    credential = Credential.objects.exclude(status=CredentialStatus.REVOKED).get(
        registration=registration
    )
    cards.record_produced(acting_user=staff, ids=[credential.pk])
    cards.notify_collection(acting_user=staff, ids=[credential.pk], place="受理窗口")
    credential = Credential.objects.get(pk=credential.pk)
    credential = cards.record_collection(
        acting_user=staff, credential=credential, pickup_code=credential.pickup_code
    )
    return cards.upload_sign_photo(acting_user=owner, credential=credential, data=jpeg("green"))


def _side(
    tag: str,
    owner: User,
    clerk: User,
    reviewer: User,
    checker: User,
    district: str,
    org_staff: User,
    consent: AgentConsent,
    address: str,
) -> dict[str, Any]:
    draft = declare(owner, submit=False, start={"district": district}, basic=_marked(f"DRF{tag}"))
    submitted = declare(owner, start={"district": district}, basic=_marked(f"SUB{tag}"))
    registration = _registered(owner, reviewer, district, f"REG{tag}")
    sign_photo = _collected_with_sign_photo(registration, owner, clerk)
    failing = _registered(owner, reviewer, district, f"CHK{tag}")
    check = inspection_actions.record_spot_check(
        acting_user=checker,
        number=failing.short_number,
        location="工地",
        district=district,
        sign_present=True,
        sign_matches=True,
        card_present=True,
        card_check="genuine",
        smoke_visible=True,
        photos=[jpeg("red")],
    )
    rectification = inspection_actions.order_rectification(
        acting_user=reviewer,
        spot_check=check,
        requirement="加装颗粒捕集器",
        due_date=date(2026, 12, 7),
    )
    answer = inspection_actions.answer_rectification(
        acting_user=owner, rectification=rectification, text="已加装", photos=[jpeg("blue")]
    )
    change = dpf(registration, owner)
    report = report_actions.file_report(
        acting_user=None,
        address=address,
        district=district,
        place="浦东新区张江路100号工地",
        observed_at="2026-11-23T08:30",
        description="挖掘机作业时冒黑烟",
        photos=[jpeg("gray")],
    )
    job = fleet_actions.start_import(
        acting_user=owner, owner=owner, file_name="m.xlsx", data=xlsx([import_row(1)])
    )
    return {
        "draft": draft.pk,
        "draft_photo": DeclarationPhoto.objects.filter(declaration=draft).first().pk,  # type: ignore[union-attr]
        "submitted": submitted.pk,
        "registration": registration.pk,
        "credential": sign_photo.credential_id,
        "sign_photo": sign_photo.pk,
        "spot_check": check.pk,
        "spot_check_photo": SpotCheckPhoto.objects.get(spot_check=check).pk,
        "rectification": rectification.pk,
        "answer_photo": RectificationPhoto.objects.get(answer=answer).pk,
        "change": change.pk,
        "change_photo": ChangePhoto.objects.filter(request=change).first().pk,  # type: ignore[union-attr]
        "report": report.pk,
        "report_photo": ReportPhoto.objects.get(report=report).pk,
        "consent": consent.pk,
        "org_staff": org_staff.pk,
        "import_job": job.pk,
        "owner": owner.pk,
        "markers": [
            *(f"{kind}{tag}" for kind in ("DRF", "SUB", "REG", "CHK")),
            registration.short_number,
            failing.short_number,
        ],
    }


def _consent(agent: User, owner: User) -> AgentConsent:
    account_actions.request_agent_consent(
        acting_user=agent, owner_phone=owner.phone, owner_name=owner.name
    )
    return account_actions.confirm_agent_consent(
        acting_user=agent, owner_phone=owner.phone, code=last_code(owner.phone)
    )


def _org(phone: str, name: str, credit_code: str) -> User:
    return make_user(
        phone,
        name,
        kind=AccountKind.ORGANISATION,
        credit_code=credit_code,
        legal_representative="王五",
        contact_name="赵六",
    )


def _org_staff(org: User, phone: str) -> User:
    return new_org_staff(org, phone, name="单位员工")


@dataclass
class World:
    users: dict[str, User]
    objects: dict[str, dict[str, Any]]  # side -> kind -> id, and "markers" of its machines
    clients: dict[str, Client]
    cookies: dict[str, Any]
    tokens: dict[str, str]


def build_world() -> World:
    person = {"kind": AccountKind.PERSON}
    owner_a = make_user("13800000001", "张三", id_number="11010519491231002X", **person)
    agent_a = make_user("13800000003", "李四", id_number="310115198001011238", **person)
    agent_none = make_user("13800000013", "周五", id_number="110101199003074530", **person)
    agent_b = make_user("13800000023", "吴六", id_number="110101199003071234", **person)
    owner_b = _org("13800000002", "上海示例建设工程有限公司", "91310115MA1K3BTP2B")
    org_c = _org("13800000032", "另一家单位", "91110000600037341L")
    users = {
        OWNER_A: owner_a,
        AGENT_A: agent_a,
        AGENT_NONE: agent_none,
        OWNER_B: owner_b,
        ORG_STAFF_B: _org_staff(owner_b, "13700000001"),
        CLERK_L: make_user("13900000021", "浦东窗口", role=Role.CLERK, district="L"),
        REVIEWER_L: make_user("13900000002", "浦东审核员", role=Role.REVIEWER, district="L"),
        CLERK_K: make_user("13900000031", "闵行窗口", role=Role.CLERK, district="K"),
        REVIEWER_K: make_user("13900000003", "闵行审核员", role=Role.REVIEWER, district="K"),
        INSPECTOR: make_user(
            "13900000004", "建设检查员", role=Role.INSPECTOR, department=Department.CONSTRUCTION
        ),
        CITY_ADMIN: make_user("13900000009", "市级管理员", role=Role.CITY_ADMIN),
    }
    consent_a = _consent(agent_a, owner_a)
    lost = _consent(agent_none, owner_a)
    account_actions.withdraw_agent_consent(acting_user=owner_a, consent=lost)
    consent_b = _consent(agent_b, owner_b)
    # ...and has asked owner B, who never passed on the code: not granted either.
    account_actions.request_agent_consent(
        acting_user=agent_none, owner_phone=owner_b.phone, owner_name=owner_b.name
    )
    objects = {
        "A": _side(
            "A",
            owner_a,
            users[CLERK_L],
            users[REVIEWER_L],
            users[INSPECTOR],
            "L",
            _org_staff(org_c, "13700000002"),  # side A (a person) has no staff: org C's
            consent_a,
            "192.0.2.1",
        ),
        "B": _side(
            "B",
            owner_b,
            users[CLERK_K],
            users[REVIEWER_K],
            users[CLERK_K],
            "K",
            users[ORG_STAFF_B],
            consent_b,
            "192.0.2.2",
        ),
    }
    clients: dict[str, Client] = {ANON: Client()}
    tokens: dict[str, str] = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        clients[name] = client
        tokens[name] = account_actions.issue_api_token(acting_user=user)
    cookies = {name: copy.copy(client.cookies) for name, client in clients.items()}
    return World(users, objects, clients, cookies, tokens)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at the end, so
    the other test modules find the database as they left it."""
    media = tmp_path_factory.mktemp("object-matrix-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            NRMM_SMS_MIN_INTERVAL_SECONDS=0,  # time stands still; consents need two codes
        ),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        cache.clear()
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def media_root():
    """The world's files live in the module's folder (tests/conftest.py's per-test folder
    would hide them)."""


# --- what changed ----------------------------------------------------------------------------

_STATE_MODELS = [
    m
    for m in apps.get_models()
    if m._meta.app_label
    in {"accounts", "registry", "changes", "inspections", "reports", "fleets", "core"}
    and not m._meta.proxy
]
# Objects whose status a refused request must not move.
_WATCHED = [
    ("registry", "declaration", "status"),
    ("registry", "credential", "status"),
    ("registry", "signphoto", "decision"),
    ("changes", "changerequest", "status"),
    ("inspections", "rectification", "status"),
    ("reports", "publicreport", "status"),
    ("accounts", "agentconsent", "withdrawn_at"),
    ("accounts", "user", "is_active"),
    ("fleets", "importjob", "status"),
]


def _snapshot_sql() -> tuple[str, list[Any]]:
    """One query: the row count of every table, and for each watched column the sum of the
    ids in each of its values (any object moving from one value to another changes a sum)."""
    quote = connection.ops.quote_name
    parts = [f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in _STATE_MODELS]
    params: list[Any] = []
    for app, model_name, name in _WATCHED:
        model = apps.get_model(app, model_name)
        column = model._meta.get_field(name)
        table, pk, col = (
            quote(model._meta.db_table),
            quote(model._meta.pk.column),  # type: ignore[union-attr]
            quote(column.column),
        )
        if column.choices:
            values: list[Any] = [value for value, _label in column.choices]
        elif column.get_internal_type() == "BooleanField":
            values = [True]
        else:
            values = [None]
        for value in values:
            where = f"{col} IS NOT NULL" if value is None else f"{col} = %s"
            parts.append(f"(SELECT COALESCE(SUM({pk}), 0) FROM {table} WHERE {where})")
            params += [] if value is None else [value]
    return "SELECT " + ", ".join(parts), params


def snapshot() -> tuple[Any, ...]:
    sql, params = _snapshot_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


# --- the matrix ----------------------------------------------------------------------------


def role_of(person: str, world: World) -> tuple[bool, str | None]:
    if person == ANON:
        return False, None
    return True, world.users[person].role


def expected(name: str, person: str, side: str | None, world: World) -> str:
    """The outcome due: "role" (refused by accounts.access), "404" (not theirs) or "ok"."""
    authenticated, role = role_of(person, world)
    if not allows(ACCESS[name], authenticated=authenticated, role=role):
        return "role"
    if ROUTES[name].org_only and world.users[person].kind != AccountKind.ORGANISATION:
        return "role"
    if side is None:
        return "ok"
    if side in ROUTES[name].nothing_on:
        return "404"
    reached = {SIDES[side][relation] for relation in ROUTES[name].reach}
    return "ok" if person in reached else "404"


def cases() -> Iterator[Any]:
    for name in sorted(ROUTES):
        if name not in URLCONF:
            continue  # test_every_route_is_classified says so
        route = ROUTES[name]
        methods = URLCONF[name].api_methods or route.methods
        for method in dict.fromkeys(methods):
            for person in PEOPLE:
                for side in ("A", "B") if route.has_object else (None,):
                    label = f"{name}-{method}-{person}" + (f"-{side}'s" if side else "")
                    yield pytest.param(name, method, person, side, id=label)


MISSING = 99_999_999  # an id no object has


def _fill(value: Any, objects: dict[str, Any]) -> Any:
    """A body value with its "{kind}" placeholders replaced by the side's ids."""
    if callable(value):
        return value()
    if isinstance(value, list):
        return [_fill(item, objects) for item in value]
    if isinstance(value, str) and "{" in value:
        return value.format(**objects)
    return value


def _body(name: str, method: str, objects: dict[str, Any]) -> dict[str, Any]:
    route, found = ROUTES[name], URLCONF[name]
    if method in ("get", "head"):
        return {}
    body = {key: _fill(value, objects) for key, value in (route.body or {}).items()}
    if found.api_methods and found.api_body != "multipart":
        return {"data": body, "content_type": "application/json"}
    return {"data": body}


def _text(response: Any) -> str:
    kind = response.get("Content-Type", "")
    if response.streaming or not kind.startswith(("text/html", "application/json")):
        return ""  # files (xlsx, pdf) are not searched
    return response.content.decode(errors="replace")


def _error_code(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict):
            return str(body.get("error", {}).get("code", ""))
    return ""


def _shape(response: Any) -> str:
    """The answer with every number taken out: another's id and a missing one read alike."""
    return re.sub(r"\d+", "#", _text(response))


def _refused_for_role(path: str, person: str, response: Any) -> bool:
    if path.startswith("/api/"):
        return response.status_code == (401 if person == ANON else 403)
    if person == ANON:
        return response.status_code == 302 and "login/" in response["Location"]
    return response.status_code == 403


@pytest.mark.parametrize(("name", "method", "person", "side"), list(cases()))
def test_object_matrix(world, name, method, person, side):
    route = ROUTES[name]
    kwargs = dict(route.fixed)
    if side is not None:
        kwargs.update({param: str(world.objects[side][kind]) for param, kind in route.ids.items()})
    query = route.query.format(**world.objects[side]) if side else route.query
    path = reverse(name, kwargs=kwargs or None) + (f"?{query}" if query else "")
    outcome = expected(name, person, side, world)
    client = world.clients[person]
    headers = {}
    if path.startswith("/api/") and person != ANON:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[person]}"
    client.cookies = copy.copy(world.cookies[person])  # a logout must not log the next one out
    cache.clear()  # rate limits: each request on its own
    objects = world.objects[side] if side else {}
    before = snapshot()
    response = getattr(client, method)(path, **_body(name, method, objects), **headers)
    after = snapshot() if outcome != "ok" else before
    status = response.status_code
    where = f"{method.upper()} {path} as {person}"
    assert status < 500, f"{where}: {status}"
    if outcome == "role":
        assert _refused_for_role(path, person, response), f"{where}: {status}, expected refusal"
    elif outcome == "404" and route.ids_in_body:
        # A batch: another's id must be answered exactly as an id nobody has.
        missing = dict.fromkeys(objects, MISSING)
        client.cookies = copy.copy(world.cookies[person])
        alike = getattr(client, method)(path, **_body(name, method, missing), **headers)
        assert after == snapshot(), f"{where}: refused, yet the database changed"
        assert status == alike.status_code, f"{where}: {status}, for an id nobody has {alike}"
        assert _error_code(response) == _error_code(alike), where
        if path.startswith("/api/"):  # (pages carry a fresh CSRF token each time)
            assert _shape(response) == _shape(alike), f"{where}: {response.content[:300]!r}"
    elif outcome == "404":
        hint = " (give the row a valid `body`)" if status in (400, 422) else ""
        assert status == 404, f"{where}: {status}, expected 404 (not theirs){hint}"
        if path.startswith("/api/"):
            assert response.json()["error"]["code"] == "not_found", where
    elif side is None:
        # No object: only the role matters (a public lookup may well answer 404), and a list
        # shows no machine of a side the person may not see.
        assert not _refused_for_role(path, person, response), f"{where}: {status}, refused"
        text = _text(response)
        for other in SIDES:
            if person in {SIDES[other][relation] for relation in route.lists}:
                continue
            shown = [marker for marker in world.objects[other]["markers"] if marker in text]
            assert not shown, f"{where}: shows side {other}'s machines {shown}"
    else:
        assert status not in (401, 403, 404), f"{where}: {status}, expected to be let in"
        assert not (status == 302 and "login/" in response["Location"]), where
    if outcome != "ok":
        assert after == before, f"{where}: refused, yet the database changed"


# The list check above looks for serials; these prove the serials do show where they should,
# so the check is not vacuous.
@pytest.mark.parametrize(
    ("path", "person", "side"),
    [
        ("/declarations/", OWNER_A, "A"),
        ("/declarations/", AGENT_A, "A"),
        ("/fleet/", ORG_STAFF_B, "B"),
        ("/staff/review/", REVIEWER_L, "A"),
        ("/staff/registrations/", CLERK_K, "B"),
        ("/inspect/mine/", INSPECTOR, "A"),
        ("/api/v1/declarations", OWNER_B, "B"),
        ("/api/v1/review/declarations", CITY_ADMIN, "B"),
    ],
)
def test_lists_show_the_machines_they_should(world, path, person, side):
    client = world.clients[person]
    client.cookies = copy.copy(world.cookies[person])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[person]}"}
    response = client.get(path, **(headers if path.startswith("/api/") else {}))
    assert response.status_code == 200
    text = _text(response)
    assert any(marker in text for marker in world.objects[side]["markers"]), text[-2000:]


def test_the_snapshot_sees_a_status_move_and_a_new_row(world):
    from core import audit
    from registry.constants import DeclarationStatus
    from registry.models import Declaration

    before = snapshot()
    Declaration.objects.filter(pk=world.objects["A"]["draft"]).update(
        status=DeclarationStatus.SUBMITTED
    )
    moved = snapshot()
    assert moved != before
    owner = world.users[OWNER_A]
    audit.record("agent.consent_granted", actor=owner, target=owner, data={})
    assert snapshot() != moved
