"""xlsx exports of the back office's lists, and 附件1 for one owner or many.

Every list export reads the list exactly as its page filters it (the same query helpers, the
same access), as `values_list(...).iterator(chunk_size=...)`: no model instances, and the
file is streamed (core.xlsx), so 100,000 rows cost neither memory nor time to first byte.
Phones and ID numbers are masked as on the pages.

To export another list (e.g. the public reports once they exist), add one `ListExport` to
`EXPORTS` with `register_export`: a title, the header, and a function (user, query dict) →
rows; the route /staff/stats/exports/<name>.xlsx and its access rule already cover it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.constants import AccountKind
from accounts.models import User, masked_id_number_of
from core.dbrouter import replica_ok
from core.http import current_user, pdf_response, xlsx_response
from core.reference import city
from core.xlsx import Cell
from documents.data import DeclarationForm, DeclaredMachine
from documents.declaration_form import declaration_forms_pdf, declaration_forms_xlsx
from registry.access import staff_registrations
from registry.constants import DeclarationStatus, RegistrationStatus
from rules.emission import STAGE_LABELS
from rules.identifiers import mask_phone

CHUNK = 2000
MAX_FORM_OWNERS = 200  # 附件1 in one download; more is a job for the list export
Rows = Iterable[Sequence[Cell]]


@dataclass(frozen=True)
class ListExport:
    title: str  # also the sheet's name and the start of the file name
    header: tuple[str, ...]
    rows: Callable[[User, Mapping[str, str]], Rows]
    filename: str  # ASCII stem, e.g. "review-queue"


EXPORTS: dict[str, ListExport] = {}


def register_export(name: str, export: ListExport) -> None:
    EXPORTS[name] = export


def _local(value: datetime | None) -> datetime | None:
    """Wall-clock time in the platform's zone, as the pages show it."""
    return value.astimezone(_zone()).replace(tzinfo=None) if value else None


@cache
def _zone() -> tzinfo:
    return timezone.get_default_timezone()


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _district_names() -> dict[str, str]:
    return {d.code: d.name for d in city().districts}


def _stage(value: int | None) -> str:
    return STAGE_LABELS.get(value, "") if value else ""


def _yes(value: bool | None) -> str:
    return "" if value is None else (_("是") if value else _("否"))


# --- the review queue -----------------------------------------------------------------------


def _review_queue_rows(user: User, query: Mapping[str, str]) -> Iterator[Sequence[Cell]]:
    from backoffice.views import filtered_queue

    statuses = _labels(DeclarationStatus.choices)
    names = _district_names()
    rows = (
        filtered_queue(query, user)
        .values_list(
            "pk",
            "district",
            "machine_type",
            "machine_name",
            "machine_model",
            "factory_serial",
            "owner__name",
            "owner__phone",
            "stage",
            "late",
            "submitted_at",
            "review_due",
            "status",
        )
        .iterator(chunk_size=CHUNK)
    )
    for pk, district, mtype, mname, model, serial, owner, phone, stage, late, sub, due, st in rows:
        yield (
            pk,
            names.get(district, district),
            mtype,
            mname,
            model,
            serial,
            owner,
            mask_phone(phone),
            _stage(stage),
            _yes(late),
            _local(sub),
            due,
            statuses.get(st, st),
        )


register_export(
    "review_queue",
    ListExport(
        "申报审核",
        (
            "申报号",
            "登记区",
            "机械类型",
            "机械名称",
            "规格型号",
            "出厂编号/PIN码",
            "机械所有者",
            "手机号",
            "排放阶段",
            "逾期申报",
            "提交时间",
            "审核期限",
            "状态",
        ),
        _review_queue_rows,
        "review-queue",
    ),
)


# --- registrations --------------------------------------------------------------------------


def _registration_rows(user: User, query: Mapping[str, str]) -> Iterator[Sequence[Cell]]:
    from backoffice.credentials import registration_search

    statuses = _labels(RegistrationStatus.choices)
    names = _district_names()
    rows = (
        registration_search(user, query.get("q", "").strip())
        .values_list(
            "number",
            "district",
            "location_district",
            "declaration__machine_type",
            "declaration__machine_model",
            "declaration__factory_serial",
            "stage",
            "declaration__fuel_type",
            "owner__name",
            "owner__id_number_enc",
            "owner__credit_code",
            "owner__phone",
            "status",
            "issued_at",
        )
        .iterator(chunk_size=CHUNK)
    )
    for (
        number,
        district,
        location,
        mtype,
        model,
        serial,
        stage,
        fuel,
        owner,
        id_number_enc,
        code,
        phone,
        st,
        issued,
    ) in rows:
        yield (
            number,
            names.get(district, district),
            names.get(location, location),
            mtype,
            model,
            serial,
            _stage(stage),
            fuel,
            owner,
            masked_id_number_of(id_number_enc) if id_number_enc else (code or ""),
            mask_phone(phone),
            statuses.get(st, st),
            _local(issued),
        )


register_export(
    "registrations",
    ListExport(
        "登记机械",
        (
            "环保登记号码",
            "登记区",
            "现所在区",
            "机械类型",
            "规格型号",
            "出厂编号/PIN码",
            "排放阶段",
            "燃料种类",
            "机械所有者",
            "证件号码",
            "手机号",
            "状态",
            "登记时间",
        ),
        _registration_rows,
        "registrations",
    ),
)


# --- signs and cards (every tab, including the two overdue lists) ---------------------------


def _credential_rows(user: User, query: Mapping[str, str]) -> Iterator[Sequence[Cell]]:
    from backoffice.credentials import TAB_KEYS, _tab_queryset
    from registry.constants import CredentialStatus

    tab = query.get("tab", "pending")
    if tab not in TAB_KEYS:
        tab = "pending"
    statuses = _labels(CredentialStatus.choices)
    names = _district_names()
    rows = (
        _tab_queryset(user, tab)
        .select_related(None)
        .values_list(
            "registration__number",
            "issue",
            "district",
            "registration__declaration__machine_type",
            "registration__owner__name",
            "registration__owner__phone",
            "status",
            "created_at",
            "produced_at",
            "notice_due",
            "notified_at",
            "collected_at",
            "photo_due",
        )
        .iterator(chunk_size=CHUNK)
    )
    for (
        number,
        issue,
        district,
        mtype,
        owner,
        phone,
        st,
        created,
        produced,
        notice_due,
        notified,
        collected,
        photo_due,
    ) in rows:
        yield (
            number,
            issue,
            names.get(district, district),
            mtype,
            owner,
            mask_phone(phone),
            statuses.get(st, st),
            _local(created),
            _local(produced),
            notice_due,
            _local(notified),
            _local(collected),
            photo_due,
        )


register_export(
    "credentials",
    ListExport(
        "识别标志和信息采集卡",
        (
            "环保登记号码",
            "卡证序次",
            "登记区",
            "机械类型",
            "机械所有者",
            "手机号",
            "状态",
            "创建时间",
            "制作完成时间",
            "通知期限",
            "通知时间",
            "领取时间",
            "固定照片期限",
        ),
        _credential_rows,
        "credentials",
    ),
)


# --- spot checks ----------------------------------------------------------------------------


def _spot_check_rows(user: User, query: Mapping[str, str]) -> Iterator[Sequence[Cell]]:
    from inspections.constants import CardCheck, SpotCheckResult
    from inspections.queries import CheckFilters, district_checks

    results = _labels(SpotCheckResult.choices)
    cards = _labels(CardCheck.choices)
    names = _district_names()
    rows = (
        district_checks(user, CheckFilters.from_query(user, query))
        .prefetch_related(None)
        .values_list(  # type: ignore[misc]  # photo_count is district_checks' annotation
            "pk",
            "checked_at",
            "district",
            "location",
            "number_typed",
            "registration__number",
            "inspector__name",
            "department",
            "sign_present",
            "card_check",
            "smoke_visible",
            "result",
            "photo_count",
        )
        .iterator(chunk_size=CHUNK)
    )
    for (
        pk,
        checked,
        district,
        location,
        typed,
        number,
        inspector,
        dept,
        sign,
        card,
        smoke,
        result,
        photos,
    ) in rows:
        yield (
            pk,
            _local(checked),
            names.get(district, district),
            location,
            typed,
            number or "",
            inspector,
            _department(dept),
            _yes(sign),
            cards.get(card, card),
            _yes(smoke),
            results.get(result, result),
            photos,
        )


def _department(code: str) -> str:
    from accounts.constants import Department, Role

    labels = _labels(Department.choices) | _labels(Role.choices)
    return labels.get(code, code)


register_export(
    "spot_checks",
    ListExport(
        "监督检查记录",
        (
            "编号",
            "检查时间",
            "检查地所在区",
            "检查地点",
            "检查时输入的号码",
            "环保登记号码",
            "检查人",
            "检查部门",
            "悬挂环保标志",
            "信息采集卡核验",
            "可见黑烟",
            "检查结果",
            "照片数",
        ),
        _spot_check_rows,
        "spot-checks",
    ),
)


# --- change requests ------------------------------------------------------------------------


def _change_rows(user: User, query: Mapping[str, str]) -> Iterator[Sequence[Cell]]:
    from changes.constants import ChangeKind, ChangeStatus
    from changes.queries import QueueFilters, district_queue

    kinds = _labels(ChangeKind.choices)
    statuses = _labels(ChangeStatus.choices)
    names = _district_names()
    rows = (
        district_queue(user, QueueFilters.from_query(user, query))
        .values_list(
            "pk",
            "kind",
            "status",
            "district",
            "registration__number",
            "owner__name",
            "owner__phone",
            "new_owner__name",
            "requested_at",
            "submitted_at",
            "late",
            "review_due",
            "decided_at",
        )
        .iterator(chunk_size=CHUNK)
    )
    for pk, kind, st, district, number, owner, phone, new_owner, req, sub, late, due, dec in rows:
        yield (
            pk,
            kinds.get(kind, kind),
            statuses.get(st, st),
            names.get(district, district),
            number,
            owner,
            mask_phone(phone),
            new_owner or "",
            _local(req),
            _local(sub),
            _yes(late),
            due,
            _local(dec),
        )


register_export(
    "changes",
    ListExport(
        "信息变更",
        (
            "申请号",
            "变更类型",
            "状态",
            "登记区",
            "环保登记号码",
            "机械所有者",
            "手机号",
            "新机械所有者",
            "申请时间",
            "提交审核时间",
            "逾期申请",
            "审核期限",
            "审核时间",
        ),
        _change_rows,
        "changes",
    ),
)


# --- public reports (Art. 17) -----------------------------------------------------------


def _report_rows(user: User, query: Mapping[str, str]) -> Iterator[Sequence[Cell]]:
    from reports.constants import ReportOutcome, ReportStatus
    from reports.queries import ListFilters, staff_list

    statuses = _labels(ReportStatus.choices)
    outcomes = _labels(ReportOutcome.choices)
    names = _district_names()
    rows = (
        staff_list(user, ListFilters.from_query(user, query))
        .values_list(
            "code",
            "district",
            "place",
            "observed_at",
            "number_typed",
            "filed_at",
            "status",
            "assigned_to__name",
            "outcome",
            "closed_at",
            "contact_phone",
        )
        .iterator(chunk_size=CHUNK)
    )
    for code, district, place, seen, number, filed, st, assignee, outcome, closed, phone in rows:
        yield (
            code,
            names.get(district, district),
            place,
            _local(seen),
            number,
            _local(filed),
            statuses.get(st, st),
            assignee or "",
            outcomes.get(outcome, outcome or ""),
            _local(closed),
            mask_phone(phone) if phone else "",
        )


register_export(
    "reports",
    ListExport(
        "公众举报",
        (
            "查询码",
            "发现地所在区",
            "发现地点",
            "发现时间",
            "举报号码",
            "举报时间",
            "状态",
            "承办人",
            "办理结果",
            "办结时间",
            "联系电话",
        ),
        _report_rows,
        "reports",
    ),
)


@require_GET
@replica_ok
def export_list(request: HttpRequest, name: str) -> StreamingHttpResponse:
    export = EXPORTS.get(name)
    if export is None:
        raise Http404
    user = current_user(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = export.rows(user, request.GET)
    return xlsx_response(f"{export.filename}-{stamp}.xlsx", export.header, rows, title=export.title)


# --- 附件1 for one owner or many --------------------------------------------------------------


def _owner_ids(request: HttpRequest) -> list[int]:
    ids: list[int] = []
    for value in request.GET.getlist("owners"):
        for part in value.split(","):
            if part.strip().isdigit():
                ids.append(int(part))
    return list(dict.fromkeys(ids))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _power(value: Any) -> str:
    return "" if value is None else f"{value}"


def declaration_form_data(user: User, owner_ids: Sequence[int]) -> list[DeclarationForm]:
    """附件1 for each owner, with the machines the user may see (district staff: their
    district's; the city: all) that are in service. Two queries, however many."""
    registrations = (
        staff_registrations(user)
        .filter(owner_id__in=owner_ids, status__in=(RegistrationStatus.VALID, "suspended"))
        .select_related("declaration")
        .order_by("owner_id", "issued_at", "pk")
    )
    by_owner: dict[int, list[DeclaredMachine]] = {}
    sites: dict[int, list[str]] = {}
    names = _district_names()
    for reg in registrations:
        d = reg.declaration
        by_owner.setdefault(reg.owner_id, []).append(
            DeclaredMachine(
                name=d.machine_name,
                machine_type=d.machine_type,
                model=d.machine_model,
                maker=d.maker,
                production_date=_day(d.production_date),
                serial=d.factory_serial,
                engine_maker=d.engine_maker,
                engine_production_date=_day(d.engine_production_date),
                engine_model=" ".join(filter(None, (d.engine_model, d.engine_serial))),
                engine_power=_power(d.engine_power_kw),
                engine_stage=_stage(d.engine_stage),
                aux_maker=d.aux_engine_maker,
                aux_production_date=_day(d.aux_engine_production_date),
                aux_model=" ".join(filter(None, (d.aux_engine_model, d.aux_engine_serial))),
                aux_power=_power(d.aux_engine_power_kw),
                aux_stage=_stage(d.aux_engine_stage),
                activity=d.site_type,
            )
        )
        site = f"{names.get(d.district, d.district)} {d.site_address}".strip()
        if site not in sites.setdefault(reg.owner_id, []):
            sites[reg.owner_id].append(site)
    owners = User.objects.filter(pk__in=list(by_owner)).order_by("name", "pk")
    footer = _("打印时间：%(t)s") % {"t": f"{timezone.localtime():%Y-%m-%d %H:%M}"}
    return [
        DeclarationForm(
            owner_name=o.name,
            identifier=(
                o.credit_code or "" if o.kind == AccountKind.ORGANISATION else o.masked_identifier
            ),
            legal_representative=o.legal_representative,
            contact_name=o.contact_name,
            landline="",
            mobile=mask_phone(o.phone),
            address="",
            site="；".join(sites[o.pk][:5]) + ("等" if len(sites[o.pk]) > 5 else ""),
            machines=tuple(by_owner[o.pk]),
            footer=footer,
        )
        for o in owners
    ]


@require_GET
@replica_ok
def declaration_forms(request: HttpRequest, fmt: str) -> HttpResponse:
    """附件1 for the owners ticked on the owner search page: xlsx (one sheet per owner) or
    PDF (one form per owner). Owners with no machine the user may see are left out; if
    none is left, 404 alike for missing and not yours."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    ids = _owner_ids(request)
    if not ids:
        messages.error(request, _("请先勾选机主"))
        return redirect("backoffice:owners")
    if len(ids) > MAX_FORM_OWNERS:
        messages.error(
            request,
            _("一次最多导出%(n)s位机主的申报登记表，请分批导出") % {"n": MAX_FORM_OWNERS},
        )
        return redirect("backoffice:owners")
    forms = declaration_form_data(current_user(request), ids)
    if not forms:
        raise Http404
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "pdf":
        return pdf_response(declaration_forms_pdf(forms), f"form1-{stamp}.pdf")
    response = HttpResponse(
        declaration_forms_xlsx(forms),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="form1-{stamp}.xlsx"'
    return response
