"""我的机械: the owner's (or agent's) page of a registered machine: the sign and card's
progress, where to collect them with the pickup password (manual step 7), the photo of the
fixed sign (Art. 10), and the papers to download."""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import ActionError
from core.http import current_user as _current
from core.http import jpeg_response
from core.http import pdf_response as _pdf
from core.reference import city
from documents.forms import information_form_pdf, installation_guide_pdf
from photos.processing import MAX_UPLOAD_BYTES
from registry import credentials as actions
from registry.access import get_registration_for_owner_side, get_sign_photo_for_user
from registry.constants import CredentialStatus
from registry.documents import information_form, installation_guide
from registry.models import Credential, Registration
from rules.emission import stage_label

# The steps the owner sees, in order (a revoked issue is history, not a step).
STEPS = (
    (CredentialStatus.PENDING, _lazy("制作中")),
    (CredentialStatus.PRODUCED, _lazy("制作完成")),
    (CredentialStatus.READY, _lazy("待领取")),
    (CredentialStatus.COLLECTED, _lazy("已领取")),
    (CredentialStatus.PHOTO_SUBMITTED, _lazy("照片待确认")),
    (CredentialStatus.FIXED, _lazy("已固定")),
)


def _live(registration: Registration) -> Credential | None:
    return (
        Credential.objects.filter(registration=registration)
        .exclude(status=CredentialStatus.REVOKED)
        .prefetch_related("photos")
        .first()
    )


@require_GET
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    reg = get_registration_for_owner_side(_current(request), pk)
    return _page(request, reg)


def _page(
    request: HttpRequest, reg: Registration, *, error: str = "", status: int = 200
) -> HttpResponse:
    credential = _live(reg)
    order = [s for s, _label in STEPS]
    current = order.index(CredentialStatus(credential.status)) if credential else -1
    today = timezone.localdate()
    context = {
        "reg": reg,
        "machine": reg.declaration,
        "stage": stage_label(reg.stage),
        "district_name": city().district(reg.district).name,
        "credential": credential,
        "steps": [(label, i < current, i == current) for i, (_s, label) in enumerate(STEPS)],
        "photos": list(credential.photos.all()) if credential else [],
        "photo_overdue": bool(
            credential
            and credential.status == CredentialStatus.COLLECTED
            and credential.photo_due
            and credential.photo_due < today
        ),
        "error": error,
    }
    from changes.queries import as_of_context
    from changes.queries import for_registration as changes_for
    from inspections.queries import for_registration

    context.update(for_registration(reg))
    context.update(changes_for(reg))
    context.update(as_of_context(reg, request.GET.get("as_of")))
    return render(request, "owners/registration.html", context, status=status)


@require_POST
def sign_photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current(request)
    reg = get_registration_for_owner_side(user, pk)
    credential = _live(reg)
    upload = request.FILES.get("photo")
    try:
        if credential is None:
            raise ActionError("wrong_state", _("领取识别标志后才能上传固定照片"), status=409)
        if upload is None:
            raise ActionError("photo_missing", _("请选择要上传的照片"), field="photo")
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ActionError("photo_too_large", _("照片不能超过15MB"), field="photo")
        actions.upload_sign_photo(acting_user=user, credential=credential, data=upload.read())
    except ActionError as exc:
        return _page(request, reg, error=exc.message, status=exc.status)
    messages.success(request, _("照片已上传，等待属地管理部门确认"))
    return redirect("owners:registration", reg.pk)


@require_GET
def sign_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_sign_photo_for_user(_current(request), pk)
    return jpeg_response(photo.file)


@require_GET
def guide_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """号码安装或喷涂说明 (manual step 7)."""
    reg = get_registration_for_owner_side(_current(request), pk)
    return _pdf(installation_guide_pdf(installation_guide(reg)), f"guide-{reg.pk}.pdf")


@require_GET
def form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """信息采集表 (附件1), filled (manual step 7)."""
    reg = get_registration_for_owner_side(_current(request), pk)
    return _pdf(information_form_pdf(information_form(reg)), f"form-{reg.pk}.pdf")
