"""Changes after registration over the API (Art. 4, 11-14; manual 二): the same actions as
the pages. Requests with photos are multipart (form fields and files); the others JSON.
Object access: 404 alike for missing and not yours (changes.access, registry.access).
Operation ids are the URL names."""

from datetime import date, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from accounts.constants import Role
from accounts.models import User
from changes import actions
from changes.access import get_change_photo_for_user, get_request_for_user
from changes.models import ChangeRequest, ExternalRegistration
from changes.queries import QueueFilters, district_queue, external_records, for_registration
from core.http import current_user as _user
from core.http import jpeg_response
from inspections.uploads import read_photos
from registry.access import get_registration_for_owner_side, get_registration_for_staff
from registry.models import Registration
from rules.emission import STAGE_LABELS

router = Router(tags=["changes"])

MAX_LIST = 500


# --- schemas --------------------------------------------------------------------------------


class MachineOut(Schema):
    id: int
    number: str
    short_number: str
    machine_type: str
    stage: int
    stage_label: str
    district: str
    location_district: str
    status: str
    status_label: str


class ChangePhotoOut(Schema):
    id: int
    kind: str
    kind_label: str
    width: int
    height: int
    url: str


class DiffOut(Schema):
    label: str
    before: str
    after: str


class ChangeOut(Schema):
    id: int
    registration: MachineOut
    kind: str
    kind_label: str
    status: str
    status_label: str
    owner_name: str
    new_owner_name: str | None
    requested_at: datetime
    submitted_at: datetime | None
    event_date: date | None
    late: bool
    review_due: date | None
    review_overdue: bool
    data: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    changes: list[DiffOut]
    decided_at: datetime | None
    decision_reason: str
    site_check_at: datetime | None
    site_check_notes: str
    applied_at: datetime | None
    new_registration: MachineOut | None
    photos: list[ChangePhotoOut]


class LocationIn(Schema):
    district: str = ""
    since: str = ""


class OwnerChangeIn(Schema):
    new_owner_phone: str = ""
    event_date: str = ""
    old_owner_code: str = ""


class DpfIn(Schema):
    dpf_maker: str = ""
    dpf_model: str = ""
    dpf_serial: str = ""
    installed_on: str = ""


class RetrofitIn(Schema):
    engine_maker: str = ""
    engine_model: str = ""
    engine_serial: str = ""
    engine_number: str = ""
    engine_production_date: str = ""
    engine_power_kw: str = ""
    engine_stage: str = ""
    test_lab: str = ""
    test_report_number: str = ""
    event_date: str = ""


class AlterationIn(Schema):
    description: str = ""
    machine_type: str = ""
    event_date: str = ""


class ReasonDateIn(Schema):
    reason: str = ""
    event_date: str = ""


class TransferOutIn(Schema):
    destination: str = ""
    event_date: str = ""


class CodeIn(Schema):
    code: str = ""


class SiteCheckIn(Schema):
    notes: str = ""


class ApproveIn(Schema):
    override: int | None = None
    override_reason: str = ""
    sign_and_card_recovered: bool = False


class RejectIn(Schema):
    reason: str = ""


class ExternalIn(Schema):
    city_name: str = ""
    number: str = ""
    machine_type: str = ""
    district: str = ""
    maker: str = ""
    machine_model: str = ""
    factory_serial: str = ""
    notes: str = ""


class ExternalOut(Schema):
    id: int
    owner_name: str
    city_name: str
    number: str
    machine_type: str
    maker: str
    machine_model: str
    factory_serial: str
    district: str
    exempt: bool
    notes: str
    recorded_at: datetime


class SentOut(Schema):
    sent_to: str


# --- shaping --------------------------------------------------------------------------------


def machine_dict(registration: Registration) -> dict[str, Any]:
    return {
        "id": registration.pk,
        "number": registration.number,
        "short_number": registration.short_number,
        "machine_type": registration.declaration.machine_type,
        "stage": registration.stage,
        "stage_label": STAGE_LABELS.get(registration.stage, str(registration.stage)),
        "district": registration.district,
        "location_district": registration.location_district or registration.district,
        "status": registration.status,
        "status_label": registration.get_status_display(),
    }


def change_dict(change: ChangeRequest) -> dict[str, Any]:
    return {
        "id": change.pk,
        "registration": machine_dict(change.registration),
        "kind": change.kind,
        "kind_label": change.get_kind_display(),
        "status": change.status,
        "status_label": change.get_status_display(),
        "owner_name": change.owner.name,
        "new_owner_name": change.new_owner.name if change.new_owner else None,
        "requested_at": change.requested_at,
        "submitted_at": change.submitted_at,
        "event_date": change.event_date,
        "late": change.late,
        "review_due": change.review_due,
        "review_overdue": change.review_overdue(timezone.localdate()),
        "data": change.data,
        "before": change.before,
        "after": change.after,
        "changes": [
            {"label": label, "before": str(old), "after": str(new)}
            for label, old, new in change.diff
        ],
        "decided_at": change.decided_at,
        "decision_reason": change.decision_reason,
        "site_check_at": change.site_check_at,
        "site_check_notes": change.site_check_notes,
        "applied_at": change.applied_at,
        "new_registration": machine_dict(change.new_registration)
        if change.new_registration
        else None,
        "photos": [
            {
                "id": p.pk,
                "kind": p.kind,
                "kind_label": p.get_kind_display(),
                "width": p.width,
                "height": p.height,
                "url": f"/api/v1/change-photos/{p.pk}",
            }
            for p in change.photos.all()
        ],
    }


def external_dict(record: ExternalRegistration) -> dict[str, Any]:
    return {
        "id": record.pk,
        "owner_name": record.owner.name,
        "city_name": record.city_name,
        "number": record.number,
        "machine_type": record.machine_type,
        "maker": record.maker,
        "machine_model": record.machine_model,
        "factory_serial": record.factory_serial,
        "district": record.district,
        "exempt": record.exempt,
        "notes": record.notes,
        "recorded_at": record.recorded_at,
    }


DETAIL_RELATED = (
    "registration__declaration",
    "new_registration__declaration",
    "owner",
    "new_owner",
)


def _change(user: User, pk: int) -> dict[str, Any]:
    found = get_request_for_user(user, pk)
    change = (
        ChangeRequest.objects.select_related(*DETAIL_RELATED)
        .prefetch_related("photos")
        .get(pk=found.pk)
    )
    return change_dict(change)


def _created(user: User, change: ChangeRequest) -> Status[dict[str, Any]]:
    return Status(201, _change(user, change.pk))


def _owned(user: User, pk: int) -> Registration:
    found = get_registration_for_owner_side(user, pk)
    return Registration.objects.select_related("owner", "declaration").get(pk=found.pk)


# --- lists and details ----------------------------------------------------------------------


@router.get("changes", response=list[ChangeOut], url_name="change_list", operation_id="change_list")
def list_changes(
    request: HttpRequest, kind: str = "", status: str = "all", flag: str = ""
) -> list[dict[str, Any]]:
    """Owners (and agents): the requests they follow; district staff: their district's
    (the city administrator: all), filtered by `kind`, `status` (default all) and `flag`
    (late | overdue). At most 500, oldest submission first."""
    user = _user(request)
    filters = QueueFilters.from_query(user, {"kind": kind, "status": status, "flag": flag})
    rows = (
        district_queue(user, filters, with_location=True)
        .select_related(*DETAIL_RELATED)
        .prefetch_related("photos")[:MAX_LIST]
    )
    return [change_dict(c) for c in rows]


@router.get(
    "changes/{pk}", response=ChangeOut, url_name="change_detail", operation_id="change_detail"
)
def get_change(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _change(_user(request), pk)


@router.get(
    "registrations/{pk}/changes",
    response=list[ChangeOut],
    url_name="change_history",
    operation_id="change_history",
)
def history(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    """A machine's changes, newest first (its owner side, or staff of its district)."""
    user = _user(request)
    if user.role == Role.OWNER:
        registration = get_registration_for_owner_side(user, pk)
    else:
        registration = get_registration_for_staff(user, pk)
    ids = [c.pk for c in for_registration(registration)["changes"]]
    rows = (
        ChangeRequest.objects.filter(pk__in=ids)
        .select_related(*DETAIL_RELATED)
        .prefetch_related("photos")
        .order_by("-requested_at", "-pk")
    )
    return [change_dict(c) for c in rows]


@router.get(
    "change-photos/{pk}",
    url_name="change_photo",
    operation_id="change_photo",
    response={200: None},
)
def change_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_change_photo_for_user(_user(request), pk)
    return jpeg_response(photo.file)


# --- the owner side files -------------------------------------------------------------------


@router.post(
    "registrations/{pk}/changes/owner-code",
    response=SentOut,
    url_name="change_owner_code",
    operation_id="change_owner_code",
)
def owner_code(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Sends the current owner the code that agrees to an owner change."""
    user = _user(request)
    registration = _owned(user, pk)
    actions.send_owner_change_code(acting_user=user, registration=registration)
    return {"sent_to": registration.owner.masked_phone}


@router.post(
    "registrations/{pk}/changes/owner",
    response={201: ChangeOut},
    url_name="change_owner",
    operation_id="change_owner",
)
def owner_change(
    request: HttpRequest,
    pk: int,
    payload: Form[OwnerChangeIn],
    agreement_photo: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """Multipart: `new_owner_phone`, `event_date`, `old_owner_code` and `agreement_photo`.
    The new owner then confirms with POST /changes/{id}/confirm."""
    user = _user(request)
    photos = read_photos([agreement_photo] if agreement_photo else [], field="agreement_photo")
    change = actions.request_owner_change(
        acting_user=user,
        registration=_owned(user, pk),
        new_owner_phone=payload.new_owner_phone,
        event_date=payload.event_date,
        agreement_photo=photos[0] if photos else None,
        old_owner_code=payload.old_owner_code,
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/location",
    response={201: ChangeOut},
    url_name="change_location",
    operation_id="change_location",
)
def location(request: HttpRequest, pk: int, payload: LocationIn) -> Status[dict[str, Any]]:
    """Effective at once, no review (manual 二(3))."""
    user = _user(request)
    change = actions.change_location(
        acting_user=user,
        registration=_owned(user, pk),
        district=payload.district,
        since=payload.since,
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/dpf",
    response={201: ChangeOut},
    url_name="change_dpf",
    operation_id="change_dpf",
)
def dpf(
    request: HttpRequest,
    pk: int,
    payload: Form[DpfIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    user = _user(request)
    change = actions.request_dpf(
        acting_user=user,
        registration=_owned(user, pk),
        dpf_maker=payload.dpf_maker,
        dpf_model=payload.dpf_model,
        dpf_serial=payload.dpf_serial,
        installed_on=payload.installed_on,
        photos=read_photos(photos),
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/retrofit",
    response={201: ChangeOut},
    url_name="change_retrofit",
    operation_id="change_retrofit",
)
def retrofit(
    request: HttpRequest,
    pk: int,
    payload: Form[RetrofitIn],
    before_photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    after_photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    test_report_photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """Art. 12: the new engine, photos before and after, the emission test report."""
    user = _user(request)
    engine = payload.dict()
    event_date = engine.pop("event_date")
    change = actions.request_retrofit(
        acting_user=user,
        registration=_owned(user, pk),
        engine=engine,
        event_date=event_date,
        before_photos=read_photos(before_photos, field="before_photos"),
        after_photos=read_photos(after_photos, field="after_photos"),
        test_report_photos=read_photos(test_report_photos, field="test_report_photos"),
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/alteration",
    response={201: ChangeOut},
    url_name="change_alteration",
    operation_id="change_alteration",
)
def alteration(
    request: HttpRequest,
    pk: int,
    payload: Form[AlterationIn],
    before_photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    after_photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    user = _user(request)
    change = actions.request_alteration(
        acting_user=user,
        registration=_owned(user, pk),
        description=payload.description,
        machine_type=payload.machine_type,
        event_date=payload.event_date,
        before_photos=read_photos(before_photos, field="before_photos"),
        after_photos=read_photos(after_photos, field="after_photos"),
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/reissue",
    response={201: ChangeOut},
    url_name="change_reissue",
    operation_id="change_reissue",
)
def reissue(
    request: HttpRequest,
    pk: int,
    payload: Form[ReasonDateIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """`reason`: lost | damaged | unreadable."""
    user = _user(request)
    change = actions.request_reissue(
        acting_user=user,
        registration=_owned(user, pk),
        reason=payload.reason,
        event_date=payload.event_date,
        photos=read_photos(photos),
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/transfer-out",
    response={201: ChangeOut},
    url_name="change_transfer_out",
    operation_id="change_transfer_out",
)
def transfer_out(request: HttpRequest, pk: int, payload: TransferOutIn) -> Status[dict[str, Any]]:
    user = _user(request)
    change = actions.request_transfer_out(
        acting_user=user,
        registration=_owned(user, pk),
        destination=payload.destination,
        event_date=payload.event_date,
    )
    return _created(user, change)


@router.post(
    "registrations/{pk}/changes/deregistration",
    response={201: ChangeOut},
    url_name="change_deregistration",
    operation_id="change_deregistration",
)
def deregistration(
    request: HttpRequest,
    pk: int,
    payload: Form[ReasonDateIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """`reason`: scrapped | out_of_use."""
    user = _user(request)
    change = actions.request_deregistration(
        acting_user=user,
        registration=_owned(user, pk),
        reason=payload.reason,
        event_date=payload.event_date,
        photos=read_photos(photos),
    )
    return _created(user, change)


@router.post(
    "changes/{pk}/confirm",
    response=ChangeOut,
    url_name="change_confirm",
    operation_id="change_confirm",
)
def confirm(request: HttpRequest, pk: int, payload: CodeIn) -> dict[str, Any]:
    """The new owner side enters the code sent to the new owner's phone."""
    user = _user(request)
    actions.confirm_owner_change(
        acting_user=user, request=get_request_for_user(user, pk), code=payload.code
    )
    return _change(user, pk)


@router.post(
    "changes/{pk}/resend-code",
    response=SentOut,
    url_name="change_resend_code",
    operation_id="change_resend_code",
)
def resend_code(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _user(request)
    change = get_request_for_user(user, pk)
    actions.resend_new_owner_code(acting_user=user, request=change)
    assert change.new_owner is not None
    return {"sent_to": change.new_owner.masked_phone}


@router.post(
    "changes/{pk}/withdraw",
    response=ChangeOut,
    url_name="change_withdraw",
    operation_id="change_withdraw",
)
def withdraw(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _user(request)
    actions.withdraw(acting_user=user, request=get_request_for_user(user, pk))
    return _change(user, pk)


# --- the district ---------------------------------------------------------------------------


@router.post(
    "changes/{pk}/site-check",
    response=ChangeOut,
    url_name="change_site_check",
    operation_id="change_site_check",
)
def site_check(request: HttpRequest, pk: int, payload: SiteCheckIn) -> dict[str, Any]:
    """Art. 12 现场核查 of a retrofit: district staff of the machine's district."""
    user = _user(request)
    actions.record_site_check(
        acting_user=user, request=get_request_for_user(user, pk), notes=payload.notes
    )
    return _change(user, pk)


@router.post(
    "changes/{pk}/approve",
    response=ChangeOut,
    url_name="change_approve",
    operation_id="change_approve",
)
def approve(request: HttpRequest, pk: int, payload: ApproveIn) -> dict[str, Any]:
    """Reviewers of the machine's district. A retrofit may carry `override` (a stage) with
    `override_reason`; a deregistration needs `sign_and_card_recovered: true`."""
    user = _user(request)
    actions.approve(
        acting_user=user,
        request=get_request_for_user(user, pk),
        override=payload.override,
        override_reason=payload.override_reason,
        sign_and_card_recovered=payload.sign_and_card_recovered,
    )
    return _change(user, pk)


@router.post(
    "changes/{pk}/reject",
    response=ChangeOut,
    url_name="change_reject",
    operation_id="change_reject",
)
def reject(request: HttpRequest, pk: int, payload: RejectIn) -> dict[str, Any]:
    user = _user(request)
    actions.reject(acting_user=user, request=get_request_for_user(user, pk), reason=payload.reason)
    return _change(user, pk)


# --- Art. 4: machines registered in another city --------------------------------------------


@router.get(
    "external-registrations",
    response=list[ExternalOut],
    url_name="external_registrations",
    operation_id="external_registrations",
)
def list_external(request: HttpRequest) -> list[dict[str, Any]]:
    """Owners: their own records; district staff: machines working in their district."""
    return [external_dict(r) for r in external_records(_user(request))[:MAX_LIST]]


@router.post(
    "me/external-registrations",
    response={201: ExternalOut},
    url_name="external_registration_create",
    operation_id="external_registration_create",
)
def record_external(request: HttpRequest, payload: ExternalIn) -> Status[dict[str, Any]]:
    """An owner records a machine registered in another city (exempt here, Art. 4)."""
    record = actions.record_external(acting_user=_user(request), **payload.dict())
    return Status(201, external_dict(record))
