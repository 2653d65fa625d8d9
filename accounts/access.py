"""Who may open which page or API endpoint: the one table, enforced by AccessMiddleware.

Keys are Django view names ("namespace:url_name"). A route missing from the table is
refused (fail closed); a test checks that every route has an entry, and another checks the
whole matrix of roles against what the server answers. Object-level rules ("only your own
machine", "only your district") live in each app's access helpers, on top of this.
"""

from typing import Final

from accounts.constants import Role

PUBLIC: Final = "public"
SIGNED_IN: Final = "signed_in"

OWNER = frozenset({Role.OWNER})
ANY_STAFF = frozenset({Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN, Role.INSPECTOR})
DISTRICT_AND_CITY = frozenset({Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN})
OWNER_SIDE = frozenset({Role.OWNER, Role.CLERK})
REVIEWERS = frozenset({Role.REVIEWER})
CLERKS = frozenset({Role.CLERK})
DISTRICT_STAFF = frozenset({Role.CLERK, Role.REVIEWER})
PHOTO_VIEWERS = frozenset({Role.OWNER, Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN})

Rule = str | frozenset[Role]

# Inspections (Art. 15-16): who checks machines in the field, who orders and closes
# rectification (the district authority), and who follows an order (its owner side too).
INSPECTION_CHECKERS = frozenset({Role.INSPECTOR, Role.CLERK, Role.REVIEWER})
INSPECTION_DECIDERS = frozenset({Role.CLERK, Role.REVIEWER})
INSPECTION_RECTIFICATION_VIEWERS = frozenset(
    {Role.OWNER, Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN, Role.INSPECTOR}
)

# Changes (Art. 4, 11-14): the owner side files and follows requests; district staff read
# them and record the retrofit's site check; only reviewers decide; the city reads.
CHANGE_OWNERS = frozenset({Role.OWNER})
CHANGE_STAFF = frozenset({Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN})
CHANGE_SITE_CHECKERS = frozenset({Role.CLERK, Role.REVIEWER})
CHANGE_DECIDERS = frozenset({Role.REVIEWER})
CHANGE_VIEWERS = frozenset({Role.OWNER, Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN})

# Public reports (Art. 17): anyone files and follows one; the district of the place (its
# clerks and reviewers) handles it; the city reads.
REPORT_STAFF = frozenset({Role.CLERK, Role.REVIEWER, Role.CITY_ADMIN})
REPORT_HANDLERS = frozenset({Role.CLERK, Role.REVIEWER})

ACCESS: Final[dict[str, Rule]] = {
    # Owners' pages
    "health": PUBLIC,  # the load balancer's health check (core.health)
    "owners:home": PUBLIC,
    "owners:register": PUBLIC,
    "owners:register_person": PUBLIC,
    "owners:register_organisation": PUBLIC,
    "owners:send_code": PUBLIC,
    "owners:login": PUBLIC,
    "owners:logout": SIGNED_IN,
    "owners:logout_everywhere": SIGNED_IN,
    "owners:password_reset": PUBLIC,
    "owners:account": OWNER,
    "owners:account_id_number": OWNER,  # the owner's own number in full (audited)
    "owners:agent_request": OWNER,
    "owners:agent_confirm": OWNER,
    "owners:consent_withdraw": OWNER,
    # The declaration wizard: owners and agents, and counter clerks filing for an owner.
    "owners:declarations": OWNER_SIDE,
    "owners:declaration_new": OWNER_SIDE,
    "owners:declaration": OWNER_SIDE,
    "owners:declaration_step": OWNER_SIDE,
    "owners:declaration_summary": OWNER_SIDE,
    "owners:declaration_submit": OWNER_SIDE,
    "owners:declaration_check_group": OWNER_SIDE,
    "owners:declaration_photo_upload": OWNER_SIDE,
    "owners:declaration_photo_delete": OWNER_SIDE,
    "owners:photo": PHOTO_VIEWERS,
    # 我的机械: the owner and agents with consent.
    "owners:registration": OWNER,
    "owners:registration_sign_photo": OWNER,
    "owners:registration_guide": OWNER,
    "owners:registration_form": OWNER,
    "owners:registration_photo": OWNER,
    # Back office
    "backoffice:login": PUBLIC,
    "backoffice:login_code": PUBLIC,  # the session says whose password was accepted
    "backoffice:totp_setup": ANY_STAFF,
    "backoffice:home": ANY_STAFF,
    "backoffice:owners": DISTRICT_AND_CITY,
    # A full ID number: staff of a district the owner has business in, or the city
    # (accounts.queries.owners_for_staff decides per owner); audited.
    "backoffice:owner_id_number": DISTRICT_AND_CITY,
    # Review: district staff and the city read; only reviewers decide (Art. 8).
    "backoffice:review_queue": DISTRICT_AND_CITY,
    "backoffice:review": DISTRICT_AND_CITY,
    "backoffice:photo": DISTRICT_AND_CITY,
    "backoffice:approve": REVIEWERS,
    "backoffice:return": REVIEWERS,
    "backoffice:refuse": REVIEWERS,
    # Counter intake (Art. 5): the clerk starts a declaration for an owner who is present.
    "backoffice:intake": CLERKS,
    "backoffice:overdue": DISTRICT_AND_CITY,
    # Signs and cards (Art. 9-10): the district's clerks and reviewers act, the city reads.
    "backoffice:credentials": DISTRICT_AND_CITY,
    "backoffice:credentials_produce": DISTRICT_STAFF,
    "backoffice:credentials_notify": DISTRICT_STAFF,
    "backoffice:signs_pdf": DISTRICT_AND_CITY,
    "backoffice:cards_pdf": DISTRICT_AND_CITY,
    "backoffice:credential_file": DISTRICT_AND_CITY,
    "backoffice:collection": DISTRICT_STAFF,
    "backoffice:collect": DISTRICT_STAFF,
    "backoffice:sign_photo": DISTRICT_AND_CITY,
    "backoffice:sign_photo_confirm": DISTRICT_STAFF,
    "backoffice:sign_photo_reject": DISTRICT_STAFF,
    "backoffice:registrations": DISTRICT_AND_CITY,
    "backoffice:registration": DISTRICT_AND_CITY,
    "backoffice:registration_form_pdf": DISTRICT_AND_CITY,
    # Public verification of numbers and cards (Art. 15, 17)
    "verify:lookup": PUBLIC,
    "verify:number": PUBLIC,
    "verify:card": PUBLIC,
    "verify:photo": PUBLIC,
    # API
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": PUBLIC,
    "api:reference": PUBLIC,
    "api:sms_codes": PUBLIC,
    "api:register_person": PUBLIC,
    "api:register_organisation": PUBLIC,
    "api:token": PUBLIC,
    "api:password_reset": PUBLIC,
    "api:logout": SIGNED_IN,
    "api:logout_everywhere": SIGNED_IN,
    "api:me": SIGNED_IN,
    "api:principals": OWNER,
    "api:principal_requests": OWNER,
    "api:principal_detail": OWNER,
    "api:agents": OWNER,
    "api:agent_detail": OWNER,
    "api:staff_owners": DISTRICT_AND_CITY,
    "api:staff_owner_id_number": DISTRICT_AND_CITY,
    "api:me_id_number": OWNER,
    # Declarations: owners and agents, and counter clerks filing for an owner (Art. 5).
    "api:declarations": OWNER_SIDE,
    "api:declaration": OWNER_SIDE,
    "api:declaration_step": OWNER_SIDE,
    "api:declaration_check_group": OWNER_SIDE,
    "api:declaration_submit": OWNER_SIDE,
    "api:declaration_photos": OWNER_SIDE,
    "api:declaration_photo": OWNER_SIDE,
    "api:photo": PHOTO_VIEWERS,
    "api:counter_intake_codes": CLERKS,
    "api:counter_intake": CLERKS,
    "api:review_queue": DISTRICT_AND_CITY,
    "api:review_declaration": DISTRICT_AND_CITY,
    "api:review_approve": REVIEWERS,
    "api:review_return": REVIEWERS,
    "api:review_refuse": REVIEWERS,
    # Registered machines, signs and cards
    "api:registrations": OWNER,
    "api:registration": OWNER,
    "api:registration_sign_photo": OWNER,
    "api:registration_guide": OWNER,
    "api:registration_form": OWNER,
    "api:staff_credentials": DISTRICT_AND_CITY,
    "api:staff_credentials_produce": DISTRICT_STAFF,
    "api:staff_credentials_notify": DISTRICT_STAFF,
    "api:staff_collect": DISTRICT_STAFF,
    "api:staff_credential_file": DISTRICT_AND_CITY,
    "api:staff_sign_photo_confirm": DISTRICT_STAFF,
    "api:staff_sign_photo_reject": DISTRICT_STAFF,
    "api:verify_number": PUBLIC,
    "api:verify_card": PUBLIC,
    "api:verify_keys": PUBLIC,
    # Inspections (Art. 15-16)
    "inspections:home": INSPECTION_CHECKERS,
    "inspections:new": INSPECTION_CHECKERS,
    "inspections:mine": INSPECTION_CHECKERS,
    "inspections:check": ANY_STAFF,
    "inspections:photo": ANY_STAFF,
    "inspections:order": INSPECTION_DECIDERS,
    "inspections:district_checks": DISTRICT_AND_CITY,
    "inspections:rectifications": INSPECTION_RECTIFICATION_VIEWERS,
    "inspections:rectification": INSPECTION_RECTIFICATION_VIEWERS,
    "inspections:answer": OWNER,
    "inspections:close": INSPECTION_DECIDERS,
    "inspections:answer_photo": INSPECTION_RECTIFICATION_VIEWERS,
    "api:spot_checks": ANY_STAFF,
    "api:spot_check": ANY_STAFF,
    "api:spot_check_photo": ANY_STAFF,
    "api:spot_check_rectification": INSPECTION_DECIDERS,
    "api:rectifications": INSPECTION_RECTIFICATION_VIEWERS,
    "api:rectification": INSPECTION_RECTIFICATION_VIEWERS,
    "api:rectification_answer": OWNER,
    "api:rectification_close": INSPECTION_DECIDERS,
    "api:rectification_photo": INSPECTION_RECTIFICATION_VIEWERS,
    # Changes (Art. 4, 11-14)
    "changes:home": CHANGE_OWNERS,
    "changes:registration": CHANGE_OWNERS,
    "changes:owner_code": CHANGE_OWNERS,
    "changes:new": CHANGE_OWNERS,
    "changes:request": CHANGE_OWNERS,
    "changes:withdraw": CHANGE_OWNERS,
    "changes:resend_code": CHANGE_OWNERS,
    "changes:confirm_owner": CHANGE_OWNERS,
    "changes:photo": CHANGE_VIEWERS,
    "changes:external": CHANGE_OWNERS,
    "changes:district_queue": CHANGE_STAFF,
    "changes:district_external": CHANGE_STAFF,
    "changes:district_request": CHANGE_STAFF,
    "changes:approve": CHANGE_DECIDERS,
    "changes:reject": CHANGE_DECIDERS,
    "changes:site_check": CHANGE_SITE_CHECKERS,
    "api:change_list": CHANGE_VIEWERS,
    "api:change_detail": CHANGE_VIEWERS,
    "api:change_history": CHANGE_VIEWERS,
    "api:change_photo": CHANGE_VIEWERS,
    "api:change_owner_code": CHANGE_OWNERS,
    "api:change_owner": CHANGE_OWNERS,
    "api:change_location": CHANGE_OWNERS,
    "api:change_dpf": CHANGE_OWNERS,
    "api:change_retrofit": CHANGE_OWNERS,
    "api:change_alteration": CHANGE_OWNERS,
    "api:change_reissue": CHANGE_OWNERS,
    "api:change_transfer_out": CHANGE_OWNERS,
    "api:change_deregistration": CHANGE_OWNERS,
    "api:change_confirm": CHANGE_OWNERS,
    "api:change_resend_code": CHANGE_OWNERS,
    "api:change_withdraw": CHANGE_OWNERS,
    "api:change_site_check": CHANGE_SITE_CHECKERS,
    "api:change_approve": CHANGE_DECIDERS,
    "api:change_reject": CHANGE_DECIDERS,
    "api:external_registrations": CHANGE_VIEWERS,
    "api:external_registration_create": CHANGE_OWNERS,
    # Public reports (Art. 17)
    "reports:new": PUBLIC,
    "reports:filed": PUBLIC,
    "reports:follow": PUBLIC,
    "reports:staff_list": REPORT_STAFF,
    "reports:staff_detail": REPORT_STAFF,
    "reports:photo": REPORT_STAFF,
    "reports:assign": REPORT_HANDLERS,
    "reports:note": REPORT_HANDLERS,
    "reports:close": REPORT_HANDLERS,
    "reports:reopen": REPORT_HANDLERS,
    "api:report_file": PUBLIC,
    "api:report_follow": PUBLIC,
    "api:staff_reports": REPORT_STAFF,
    "api:staff_report": REPORT_STAFF,
    "api:staff_report_photo": REPORT_STAFF,
    "api:staff_report_assign": REPORT_HANDLERS,
    "api:staff_report_note": REPORT_HANDLERS,
    "api:staff_report_close": REPORT_HANDLERS,
    "api:staff_report_reopen": REPORT_HANDLERS,
    # Fleets: staff logins (the views let in the organisation's main account only), bulk
    # import, the list of all machines and submitting many drafts; owners and org staff.
    "fleets:staff": OWNER,
    "fleets:staff_disable": OWNER,
    "fleets:staff_enable": OWNER,
    "fleets:machines": OWNER,
    "fleets:submit_many": OWNER,
    "fleets:imports": OWNER,
    "fleets:template": OWNER,
    "fleets:import_job": OWNER,
    "fleets:import_progress": OWNER,
    "api:org_staff": OWNER,
    "api:org_staff_codes": OWNER,
    "api:org_staff_disable": OWNER,
    "api:org_staff_enable": OWNER,
    "api:fleet": OWNER,
    "api:declarations_submit_many": OWNER,
    "api:imports": OWNER,
    "api:import_template": OWNER,
    "api:import": OWNER,
    # Statistics and exports (issue #6): district staff see their district, the city all;
    # inspectors and owners never (the dashboard covers every district's caseload).
    "stats:dashboard": DISTRICT_AND_CITY,
    "stats:download": DISTRICT_AND_CITY,
    "stats:export": DISTRICT_AND_CITY,
    "stats:form1": DISTRICT_AND_CITY,
    # make bench's floor (answers 404 unless NRMM_BENCH_FLOOR is set): nothing to protect.
    "bench:floor": PUBLIC,
}

# Routes whose own code decides (the Django admin lets in city administrators only).
DELEGATED_NAMESPACES: Final = frozenset({"admin"})


def allows(rule: Rule, *, authenticated: bool, role: str | None) -> bool:
    if rule == PUBLIC:
        return True
    if not authenticated:
        return False
    if rule == SIGNED_IN:
        return True
    assert isinstance(rule, frozenset)
    return role in rule
