"""Every role × every page and endpoint, against what the server answers.

The expectations are written out here by hand, not derived from accounts.access.ACCESS,
so that a wrong entry in the table fails a test.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import actions
from accounts.access import ACCESS, DELEGATED_NAMESPACES
from tests.conftest import make_user

ANON, PERSON, ORG, CLERK, REVIEWER, ADMIN, INSPECTOR = (
    "anonymous",
    "person",
    "organisation",
    "clerk",
    "reviewer",
    "city_admin",
    "inspector",
)
EVERYONE = {ANON, PERSON, ORG, CLERK, REVIEWER, ADMIN, INSPECTOR}
SIGNED_IN = EVERYONE - {ANON}
OWNERS = {PERSON, ORG}
STAFF = {CLERK, REVIEWER, ADMIN, INSPECTOR}
DISTRICT_AND_CITY = {CLERK, REVIEWER, ADMIN}
OWNER_SIDE = {PERSON, ORG, CLERK}

# (view name, method, path, roles allowed)
MATRIX = [
    ("health", "get", "/healthz", EVERYONE),
    ("owners:home", "get", "/", EVERYONE),
    ("owners:register", "get", "/register/", EVERYONE),
    ("owners:register_person", "get", "/register/person/", EVERYONE),
    ("owners:register_organisation", "get", "/register/organisation/", EVERYONE),
    ("owners:send_code", "post", "/sms/send/", EVERYONE),
    ("owners:login", "get", "/login/", EVERYONE),
    ("owners:logout", "post", "/logout/", SIGNED_IN),
    ("owners:logout_everywhere", "post", "/logout/everywhere/", SIGNED_IN),
    ("owners:password_reset", "get", "/password/reset/", EVERYONE),
    ("owners:account", "get", "/account/", OWNERS),
    ("owners:account_id_number", "post", "/account/id-number/", OWNERS),
    ("owners:agent_request", "post", "/account/agents/request/", OWNERS),
    ("owners:agent_confirm", "post", "/account/agents/confirm/", OWNERS),
    ("owners:consent_withdraw", "post", "/account/consents/1/withdraw/", OWNERS),
    ("owners:declarations", "get", "/declarations/", OWNER_SIDE),
    ("owners:declaration_new", "get", "/declarations/new/", OWNER_SIDE),
    ("owners:declaration_new", "post", "/declarations/new/", OWNER_SIDE),
    ("owners:declaration", "get", "/declarations/1/", OWNER_SIDE),
    ("owners:declaration_step", "get", "/declarations/1/step/1/", OWNER_SIDE),
    ("owners:declaration_step", "post", "/declarations/1/step/3/", OWNER_SIDE),
    ("owners:declaration_summary", "get", "/declarations/1/summary/", OWNER_SIDE),
    ("owners:declaration_submit", "post", "/declarations/1/submit/", OWNER_SIDE),
    ("owners:declaration_check_group", "post", "/declarations/check-group/", OWNER_SIDE),
    ("owners:declaration_photo_upload", "post", "/declarations/1/photos/", OWNER_SIDE),
    ("owners:declaration_photo_delete", "post", "/declarations/1/photos/1/delete/", OWNER_SIDE),
    ("owners:photo", "get", "/photos/1/", OWNERS | DISTRICT_AND_CITY),
    ("backoffice:login", "get", "/staff/login/", EVERYONE),
    ("backoffice:login_code", "get", "/staff/login/code/", EVERYONE),
    ("backoffice:totp_setup", "get", "/staff/totp/", STAFF),
    ("backoffice:home", "get", "/staff/", STAFF),
    ("backoffice:owners", "get", "/staff/owners/?q=张", DISTRICT_AND_CITY),
    ("backoffice:owner_id_number", "post", "/staff/owners/1/id-number/", DISTRICT_AND_CITY),
    ("backoffice:review_queue", "get", "/staff/review/", DISTRICT_AND_CITY),
    ("backoffice:review", "get", "/staff/review/1/", DISTRICT_AND_CITY),
    ("backoffice:photo", "get", "/staff/photos/1/", DISTRICT_AND_CITY),
    ("backoffice:approve", "post", "/staff/review/1/approve/", {REVIEWER}),
    ("backoffice:return", "post", "/staff/review/1/return/", {REVIEWER}),
    ("backoffice:refuse", "post", "/staff/review/1/refuse/", {REVIEWER}),
    ("backoffice:intake", "get", "/staff/intake/?q=张", {CLERK}),
    ("backoffice:intake", "post", "/staff/intake/", {CLERK}),
    ("admin:index", "get", "/admin/", {ADMIN}),
    ("api:api-root", "get", "/api/v1/", EVERYONE),
    ("api:openapi-json", "get", "/api/v1/openapi.json", EVERYONE),
    ("api:openapi-view", "get", "/api/v1/docs", EVERYONE),
    ("api:reference", "get", "/api/v1/reference", EVERYONE),
    ("api:sms_codes", "post", "/api/v1/auth/sms-codes", EVERYONE),
    ("api:register_person", "post", "/api/v1/auth/register/person", EVERYONE),
    ("api:register_organisation", "post", "/api/v1/auth/register/organisation", EVERYONE),
    ("api:token", "post", "/api/v1/auth/token", EVERYONE),
    ("api:password_reset", "post", "/api/v1/auth/password-reset", EVERYONE),
    ("api:logout", "post", "/api/v1/auth/logout", SIGNED_IN),
    ("api:logout_everywhere", "post", "/api/v1/auth/logout-everywhere", SIGNED_IN),
    ("api:me", "get", "/api/v1/me", SIGNED_IN),
    ("api:principals", "get", "/api/v1/me/principals", OWNERS),
    ("api:principals", "post", "/api/v1/me/principals", OWNERS),
    ("api:principal_requests", "post", "/api/v1/me/principals/requests", OWNERS),
    ("api:principal_detail", "delete", "/api/v1/me/principals/1", OWNERS),
    ("api:agents", "get", "/api/v1/me/agents", OWNERS),
    ("api:agent_detail", "delete", "/api/v1/me/agents/1", OWNERS),
    ("api:staff_owners", "get", "/api/v1/staff/owners?q=张", DISTRICT_AND_CITY),
    (
        "api:staff_owner_id_number",
        "post",
        "/api/v1/staff/owners/1/id-number",
        DISTRICT_AND_CITY,
    ),
    ("api:me_id_number", "post", "/api/v1/me/id-number", OWNERS),
    ("api:declarations", "get", "/api/v1/declarations", OWNER_SIDE),
    ("api:declarations", "post", "/api/v1/declarations", OWNER_SIDE),
    ("api:declaration", "get", "/api/v1/declarations/1", OWNER_SIDE),
    ("api:declaration_step", "put", "/api/v1/declarations/1/steps/1", OWNER_SIDE),
    ("api:declaration_check_group", "post", "/api/v1/identification-checks", OWNER_SIDE),
    ("api:declaration_submit", "post", "/api/v1/declarations/1/submit", OWNER_SIDE),
    ("api:declaration_photos", "post", "/api/v1/declarations/1/photos", OWNER_SIDE),
    ("api:declaration_photo", "delete", "/api/v1/declarations/1/photos/1", OWNER_SIDE),
    ("api:photo", "get", "/api/v1/photos/1", OWNERS | DISTRICT_AND_CITY),
    ("api:counter_intake_codes", "post", "/api/v1/counter/intake-codes", {CLERK}),
    ("api:counter_intake", "post", "/api/v1/counter/declarations", {CLERK}),
    ("api:review_queue", "get", "/api/v1/review/declarations", DISTRICT_AND_CITY),
    ("api:review_declaration", "get", "/api/v1/review/declarations/1", DISTRICT_AND_CITY),
    ("api:review_approve", "post", "/api/v1/review/declarations/1/approve", {REVIEWER}),
    ("api:review_return", "post", "/api/v1/review/declarations/1/return", {REVIEWER}),
    ("api:review_refuse", "post", "/api/v1/review/declarations/1/refuse", {REVIEWER}),
    ("backoffice:overdue", "get", "/staff/overdue/", DISTRICT_AND_CITY),
    # 我的机械, signs and cards, public verification
    ("owners:registration", "get", "/registrations/1/", OWNERS),
    ("owners:registration_sign_photo", "post", "/registrations/1/sign-photo/", OWNERS),
    ("owners:registration_guide", "get", "/registrations/1/guide.pdf", OWNERS),
    ("owners:registration_form", "get", "/registrations/1/form.pdf", OWNERS),
    ("owners:registration_photo", "get", "/sign-photos/1/", OWNERS),
    ("backoffice:credentials", "get", "/staff/credentials/", DISTRICT_AND_CITY),
    ("backoffice:credentials_produce", "post", "/staff/credentials/produce/", {CLERK, REVIEWER}),
    ("backoffice:credentials_notify", "post", "/staff/credentials/notify/", {CLERK, REVIEWER}),
    ("backoffice:signs_pdf", "get", "/staff/credentials/signs.pdf?ids=1", DISTRICT_AND_CITY),
    ("backoffice:cards_pdf", "get", "/staff/credentials/cards.pdf?ids=1", DISTRICT_AND_CITY),
    ("backoffice:credential_file", "get", "/staff/credentials/1/sign.svg", DISTRICT_AND_CITY),
    ("backoffice:collect", "post", "/staff/credentials/1/collect/", {CLERK, REVIEWER}),
    ("backoffice:collection", "get", "/staff/collection/?q=沪L4-00001", {CLERK, REVIEWER}),
    ("backoffice:sign_photo", "get", "/staff/sign-photos/1/", DISTRICT_AND_CITY),
    ("backoffice:sign_photo_confirm", "post", "/staff/sign-photos/1/confirm/", {CLERK, REVIEWER}),
    ("backoffice:sign_photo_reject", "post", "/staff/sign-photos/1/reject/", {CLERK, REVIEWER}),
    ("backoffice:registrations", "get", "/staff/registrations/", DISTRICT_AND_CITY),
    ("backoffice:registration", "get", "/staff/registrations/1/", DISTRICT_AND_CITY),
    (
        "backoffice:registration_form_pdf",
        "get",
        "/staff/registrations/1/form.pdf",
        DISTRICT_AND_CITY,
    ),
    ("verify:lookup", "get", "/check/?number=沪L4-00001", EVERYONE),
    ("verify:number", "get", "/v/沪L4-00001/", EVERYONE),
    ("verify:card", "get", "/v/沪L4-00001/1.s1.x/", EVERYONE),
    ("verify:photo", "get", "/v/沪L4-00001/photos/0123456789abcdef.jpg", EVERYONE),
    ("api:registrations", "get", "/api/v1/registrations", OWNERS),
    ("api:registration", "get", "/api/v1/registrations/1", OWNERS),
    ("api:registration_sign_photo", "post", "/api/v1/registrations/1/sign-photo", OWNERS),
    ("api:registration_guide", "get", "/api/v1/registrations/1/guide.pdf", OWNERS),
    ("api:registration_form", "get", "/api/v1/registrations/1/form.pdf", OWNERS),
    ("api:staff_credentials", "get", "/api/v1/staff/credentials", DISTRICT_AND_CITY),
    (
        "api:staff_credentials_produce",
        "post",
        "/api/v1/staff/credentials/produce",
        {CLERK, REVIEWER},
    ),
    ("api:staff_credentials_notify", "post", "/api/v1/staff/credentials/notify", {CLERK, REVIEWER}),
    ("api:staff_collect", "post", "/api/v1/staff/credentials/1/collect", {CLERK, REVIEWER}),
    ("api:staff_credential_file", "get", "/api/v1/staff/credentials/1/sign.svg", DISTRICT_AND_CITY),
    (
        "api:staff_sign_photo_confirm",
        "post",
        "/api/v1/staff/sign-photos/1/confirm",
        {CLERK, REVIEWER},
    ),
    (
        "api:staff_sign_photo_reject",
        "post",
        "/api/v1/staff/sign-photos/1/reject",
        {CLERK, REVIEWER},
    ),
    ("api:verify_number", "get", "/api/v1/verify?number=沪L4-00001", EVERYONE),
    ("api:verify_card", "get", "/api/v1/verify/card?url=x", EVERYONE),
    ("api:verify_keys", "get", "/api/v1/verify/keys", EVERYONE),
    # Inspections
    ("inspections:home", "get", "/inspect/", {INSPECTOR, CLERK, REVIEWER}),
    ("inspections:new", "get", "/inspect/new/?number=沪L4-00001", {INSPECTOR, CLERK, REVIEWER}),
    ("inspections:new", "post", "/inspect/new/", {INSPECTOR, CLERK, REVIEWER}),
    ("inspections:mine", "get", "/inspect/mine/", {INSPECTOR, CLERK, REVIEWER}),
    ("inspections:check", "get", "/inspect/checks/1/", STAFF),
    ("inspections:photo", "get", "/inspect/photos/1/", STAFF),
    ("inspections:order", "post", "/inspect/checks/1/order/", {CLERK, REVIEWER}),
    ("inspections:district_checks", "get", "/inspect/district/", DISTRICT_AND_CITY),
    ("inspections:rectifications", "get", "/inspect/rectifications/", OWNERS | STAFF),
    ("inspections:rectification", "get", "/inspect/rectifications/1/", OWNERS | STAFF),
    ("inspections:answer", "post", "/inspect/rectifications/1/answer/", OWNERS),
    ("inspections:close", "post", "/inspect/rectifications/1/close/", {CLERK, REVIEWER}),
    ("inspections:answer_photo", "get", "/inspect/answer-photos/1/", OWNERS | STAFF),
    ("api:spot_checks", "get", "/api/v1/spot-checks", STAFF),
    ("api:spot_checks", "post", "/api/v1/spot-checks", STAFF),
    ("api:spot_check", "get", "/api/v1/spot-checks/1", STAFF),
    ("api:spot_check_photo", "get", "/api/v1/spot-check-photos/1", STAFF),
    (
        "api:spot_check_rectification",
        "post",
        "/api/v1/spot-checks/1/rectification",
        {CLERK, REVIEWER},
    ),
    ("api:rectifications", "get", "/api/v1/rectifications", OWNERS | STAFF),
    ("api:rectification", "get", "/api/v1/rectifications/1", OWNERS | STAFF),
    ("api:rectification_answer", "post", "/api/v1/rectifications/1/answer", OWNERS),
    ("api:rectification_close", "post", "/api/v1/rectifications/1/close", {CLERK, REVIEWER}),
    ("api:rectification_photo", "get", "/api/v1/rectification-photos/1", OWNERS | STAFF),
    # Changes
    ("changes:home", "get", "/changes/", OWNERS),
    ("changes:registration", "get", "/changes/registrations/1/", OWNERS),
    ("changes:owner_code", "post", "/changes/registrations/1/owner-code/", OWNERS),
    ("changes:new", "get", "/changes/registrations/1/reissue/", OWNERS),
    ("changes:new", "post", "/changes/registrations/1/reissue/", OWNERS),
    ("changes:request", "get", "/changes/1/", OWNERS),
    ("changes:withdraw", "post", "/changes/1/withdraw/", OWNERS),
    ("changes:resend_code", "post", "/changes/1/resend-code/", OWNERS),
    ("changes:confirm_owner", "get", "/changes/confirm-owner/", OWNERS),
    ("changes:confirm_owner", "post", "/changes/confirm-owner/", OWNERS),
    ("changes:photo", "get", "/changes/photos/1/", OWNERS | DISTRICT_AND_CITY),
    ("changes:external", "get", "/changes/external/", OWNERS),
    ("changes:external", "post", "/changes/external/", OWNERS),
    ("changes:district_queue", "get", "/changes/district/", DISTRICT_AND_CITY),
    ("changes:district_external", "get", "/changes/district/external/", DISTRICT_AND_CITY),
    ("changes:district_request", "get", "/changes/district/1/", DISTRICT_AND_CITY),
    ("changes:approve", "post", "/changes/district/1/approve/", {REVIEWER}),
    ("changes:reject", "post", "/changes/district/1/reject/", {REVIEWER}),
    ("changes:site_check", "post", "/changes/district/1/site-check/", {CLERK, REVIEWER}),
    ("api:change_list", "get", "/api/v1/changes", OWNERS | DISTRICT_AND_CITY),
    ("api:change_detail", "get", "/api/v1/changes/1", OWNERS | DISTRICT_AND_CITY),
    ("api:change_history", "get", "/api/v1/registrations/1/changes", OWNERS | DISTRICT_AND_CITY),
    ("api:change_photo", "get", "/api/v1/change-photos/1", OWNERS | DISTRICT_AND_CITY),
    ("api:change_owner_code", "post", "/api/v1/registrations/1/changes/owner-code", OWNERS),
    ("api:change_owner", "post", "/api/v1/registrations/1/changes/owner", OWNERS),
    ("api:change_location", "post", "/api/v1/registrations/1/changes/location", OWNERS),
    ("api:change_dpf", "post", "/api/v1/registrations/1/changes/dpf", OWNERS),
    ("api:change_retrofit", "post", "/api/v1/registrations/1/changes/retrofit", OWNERS),
    ("api:change_alteration", "post", "/api/v1/registrations/1/changes/alteration", OWNERS),
    ("api:change_reissue", "post", "/api/v1/registrations/1/changes/reissue", OWNERS),
    ("api:change_transfer_out", "post", "/api/v1/registrations/1/changes/transfer-out", OWNERS),
    (
        "api:change_deregistration",
        "post",
        "/api/v1/registrations/1/changes/deregistration",
        OWNERS,
    ),
    ("api:change_confirm", "post", "/api/v1/changes/1/confirm", OWNERS),
    ("api:change_resend_code", "post", "/api/v1/changes/1/resend-code", OWNERS),
    ("api:change_withdraw", "post", "/api/v1/changes/1/withdraw", OWNERS),
    ("api:change_site_check", "post", "/api/v1/changes/1/site-check", {CLERK, REVIEWER}),
    ("api:change_approve", "post", "/api/v1/changes/1/approve", {REVIEWER}),
    ("api:change_reject", "post", "/api/v1/changes/1/reject", {REVIEWER}),
    (
        "api:external_registrations",
        "get",
        "/api/v1/external-registrations",
        OWNERS | DISTRICT_AND_CITY,
    ),
    ("api:external_registration_create", "post", "/api/v1/me/external-registrations", OWNERS),
    # Public reports (Art. 17)
    ("reports:new", "get", "/report/", EVERYONE),
    ("reports:new", "post", "/report/", EVERYONE),
    ("reports:filed", "get", "/report/filed/", EVERYONE),
    ("reports:follow", "get", "/report/follow/?code=ZZZZZ-ZZZZZ", EVERYONE),
    ("reports:staff_list", "get", "/staff/reports/", DISTRICT_AND_CITY),
    ("reports:staff_detail", "get", "/staff/reports/1/", DISTRICT_AND_CITY),
    ("reports:photo", "get", "/staff/report-photos/1/", DISTRICT_AND_CITY),
    ("reports:assign", "post", "/staff/reports/1/assign/", {CLERK, REVIEWER}),
    ("reports:note", "post", "/staff/reports/1/note/", {CLERK, REVIEWER}),
    ("reports:close", "post", "/staff/reports/1/close/", {CLERK, REVIEWER}),
    ("reports:reopen", "post", "/staff/reports/1/reopen/", {CLERK, REVIEWER}),
    ("api:report_file", "post", "/api/v1/reports", EVERYONE),
    ("api:report_follow", "get", "/api/v1/reports/follow/ZZZZZZZZZZ", EVERYONE),
    ("api:staff_reports", "get", "/api/v1/staff/reports", DISTRICT_AND_CITY),
    ("api:staff_report", "get", "/api/v1/staff/reports/1", DISTRICT_AND_CITY),
    ("api:staff_report_photo", "get", "/api/v1/staff/report-photos/1", DISTRICT_AND_CITY),
    ("api:staff_report_assign", "post", "/api/v1/staff/reports/1/assign", {CLERK, REVIEWER}),
    ("api:staff_report_note", "post", "/api/v1/staff/reports/1/notes", {CLERK, REVIEWER}),
    ("api:staff_report_close", "post", "/api/v1/staff/reports/1/close", {CLERK, REVIEWER}),
    ("api:staff_report_reopen", "post", "/api/v1/staff/reports/1/reopen", {CLERK, REVIEWER}),
    # Fleets: staff logins are the organisation's main account's only (the view refuses
    # people); import, fleet list and submit-many are every owner's.
    ("fleets:staff", "get", "/account/staff/", {ORG}),
    ("fleets:staff_disable", "post", "/account/staff/1/disable/", {ORG}),
    ("fleets:staff_enable", "post", "/account/staff/1/enable/", {ORG}),
    ("fleets:machines", "get", "/fleet/", OWNERS),
    ("fleets:submit_many", "post", "/fleet/submit/", OWNERS),
    ("fleets:imports", "get", "/fleet/imports/", OWNERS),
    ("fleets:template", "get", "/fleet/imports/template.xlsx", OWNERS),
    ("fleets:import_job", "get", "/fleet/imports/1/", OWNERS),
    ("fleets:import_progress", "get", "/fleet/imports/1/progress/", OWNERS),
    ("api:org_staff", "get", "/api/v1/me/staff", {ORG}),
    ("api:org_staff_codes", "post", "/api/v1/me/staff/codes", {ORG}),
    ("api:org_staff_disable", "post", "/api/v1/me/staff/1/disable", {ORG}),
    ("api:org_staff_enable", "post", "/api/v1/me/staff/1/enable", {ORG}),
    ("api:fleet", "get", "/api/v1/fleet", OWNERS),
    ("api:declarations_submit_many", "post", "/api/v1/declarations/submit-many", OWNERS),
    ("api:imports", "post", "/api/v1/imports", OWNERS),
    ("api:import_template", "get", "/api/v1/imports/template", OWNERS),
    ("api:import", "get", "/api/v1/imports/1", OWNERS),
    # Statistics and exports
    ("stats:dashboard", "get", "/staff/stats/", DISTRICT_AND_CITY),
    ("stats:download", "get", "/staff/stats/tables/districts.xlsx", DISTRICT_AND_CITY),
    ("stats:export", "get", "/staff/stats/exports/registrations.xlsx", DISTRICT_AND_CITY),
    ("stats:form1", "get", "/staff/stats/form1/xlsx?owners=1", DISTRICT_AND_CITY),
    # make bench's floor: 404 for everyone while NRMM_BENCH_FLOOR is off (as in tests)
    ("bench:floor", "get", "/bench/floor/", EVERYONE),
]

PEOPLE = {
    PERSON: dict(phone="13800000001", name="张三", kind="person", id_number="11010519491231002X"),
    ORG: dict(
        phone="13800000002", name="示例单位", kind="organisation", credit_code="91310115MA1K3BTP2B"
    ),
    CLERK: dict(phone="13900000001", name="窗口", role="clerk", district="A"),
    REVIEWER: dict(phone="13900000002", name="审核", role="reviewer", district="L"),
    ADMIN: dict(phone="13900000009", name="市管", role="city_admin"),
    INSPECTOR: dict(phone="13900000004", name="检查", role="inspector", department="transport"),
}


def refused(path: str, role: str, response) -> bool:
    if path.startswith("/api/"):
        return response.status_code == (401 if role == ANON else 403)
    if path.startswith("/admin/"):
        return response.status_code == 302 and "/admin/login/" in response["Location"]
    if role == ANON:
        return response.status_code == 302 and "login/" in response["Location"]
    return response.status_code == 403


def cases():
    for view, method, path, allowed in MATRIX:
        for role in sorted(EVERYONE):
            yield pytest.param(method, path, role, role in allowed, id=f"{view}-{method}-{role}")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "role", "allowed"), list(cases()))
def test_matrix(method, path, role, allowed):
    client = Client()
    headers = {}
    if role != ANON:
        user = make_user(**PEOPLE[role])
        client.force_login(user)
        headers["HTTP_AUTHORIZATION"] = "Bearer " + actions.issue_api_token(acting_user=user)
    if not path.startswith("/api/"):
        headers = {}
    kwargs = {"content_type": "application/json", "data": "{}"} if method != "get" else {}
    response = getattr(client, method)(path, **kwargs, **headers)
    assert response.status_code < 500, response.content[:500]
    assert refused(path, role, response) is (not allowed), (response.status_code, response)


def all_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace or ""]))
                walk(p.url_patterns, ns if p.namespace else namespace)
            elif isinstance(p, URLPattern):
                names.add(f"{namespace}:{p.name}" if namespace else str(p.name))

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_has_an_access_rule_and_a_matrix_row():
    routes = {r for r in all_routes() if r.split(":")[0] not in DELEGATED_NAMESPACES}
    assert routes == set(ACCESS), "routes and accounts.access.ACCESS differ"
    assert routes == {view for view, *_ in MATRIX if not view.startswith("admin:")}


def test_unlisted_route_is_refused(client, monkeypatch):
    monkeypatch.delitem(ACCESS, "owners:home")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/staff/reports/", "/staff/login/"),  # staff-only pages outside the backoffice app
        ("/changes/district/", "/staff/login/"),
        ("/staff/", "/staff/login/"),
        ("/changes/", "/login/"),  # owners' pages
        ("/declarations/", "/login/"),  # owners and counter clerks: the owners' login
    ],
)
def test_anonymous_is_sent_to_the_login_of_who_may_open_the_page(client, db, path, login):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{login}?next=")
