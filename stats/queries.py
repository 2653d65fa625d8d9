"""The statistics as GROUP BY queries: a fixed number of queries whatever the data's size
(tests/stats check it at two sizes), each returning at most one row per group.

District staff see their own district; the city administrator sees every district or the one
chosen. Machines are counted over live registrations (valid or suspended): a machine that
was deregistered, transferred out or renumbered (its old number) is not in service. The
status table counts every registration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.constants import Role
from accounts.models import User
from changes.constants import ChangeStatus
from changes.models import ChangeRequest
from core.reference import city, holiday_calendar
from inspections.constants import RectificationStatus
from inspections.models import Rectification
from registry.constants import CredentialStatus, DeclarationStatus, RegistrationStatus
from registry.models import Credential, Declaration, DeclarationRound, Registration
from rules.deadlines import REVIEW_WORKING_DAYS
from rules.emission import STAGE_LABELS
from rules.workdays import MissingYearError
from stats.figures import WorkingDayIndex, month_starts, review_buckets, weighted_percentile
from stats.models import MachineCount

LIVE = (RegistrationStatus.VALID, RegistrationStatus.SUSPENDED)
OLD_STAGES = (1, 2)  # 国1及以前 and 国2: the machines the city wants to see retired first
DECIDED = (DeclarationStatus.APPROVED, DeclarationStatus.REFUSED, DeclarationStatus.RETURNED)
DEFAULT_MONTHS = 12
MAX_MONTHS = 120


@dataclass(frozen=True)
class Table:
    """One table of the dashboard, as shown and as downloaded."""

    slug: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""

    def column(self, index: int) -> list[Any]:
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class StatsFilters:
    district: str  # "" for every district (the city administrator only)
    date_from: date
    date_to: date
    error: str = ""

    @classmethod
    def from_query(cls, user: User, query: Mapping[str, str], today: date) -> StatsFilters:
        """District staff always get their own district. A malformed or reversed range is
        replaced by the last twelve months, and `error` says why."""
        # The current month and the eleven before it.
        months_back = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
        default_from = date(months_back // 12, months_back % 12 + 1, 1)
        error = ""
        date_from, date_to = default_from, today
        raw_from, raw_to = query.get("date_from", "").strip(), query.get("date_to", "").strip()
        try:
            if raw_from:
                date_from = date.fromisoformat(raw_from)
            if raw_to:
                date_to = date.fromisoformat(raw_to)
        except ValueError:
            error = _("日期格式应为YYYY-MM-DD，已显示最近12个月")
            date_from, date_to = default_from, today
        if not error and date_from > date_to:
            error = _("开始日期晚于结束日期，已显示最近12个月")
            date_from, date_to = default_from, today
        if not error and len(month_starts(date_from, date_to)) > MAX_MONTHS:
            error = _("日期范围最长%(n)s个月，已显示最近12个月") % {"n": MAX_MONTHS}
            date_from, date_to = default_from, today
        if user.role == Role.CITY_ADMIN:
            wanted = query.get("district", "")
            district = wanted if wanted in city().district_codes() else ""
        else:
            district = user.district
        return cls(district=district, date_from=date_from, date_to=date_to, error=error)

    def as_query(self) -> str:
        parts = [f"date_from={self.date_from.isoformat()}", f"date_to={self.date_to.isoformat()}"]
        if self.district:
            parts.append(f"district={self.district}")
        return "&".join(parts)


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_range(name: str, filters: StatsFilters) -> Q:
    return Q(**{f"{name}__gte": _start(filters.date_from)}) & Q(
        **{f"{name}__lt": _start(filters.date_to + timedelta(days=1))}
    )


def _scoped(queryset: QuerySet[Any], filters: StatsFilters, name: str = "district") -> Any:
    return queryset.filter(**{name: filters.district}) if filters.district else queryset


def _district_names() -> dict[str, str]:
    return {d.code: d.name for d in city().districts}


@dataclass
class Dashboard:
    filters: StatsFilters
    tables: dict[str, Table] = field(default_factory=dict)
    district_counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    old_stage_count: int = 0
    months: list[str] = field(default_factory=list)
    declared: list[int] = field(default_factory=list)
    approved: list[int] = field(default_factory=list)
    review: dict[str, Any] = field(default_factory=dict)

    @property
    def old_stage_share(self) -> float:
        return self.old_stage_count / self.total if self.total else 0.0


def dashboard(filters: StatsFilters, today: date, *, only: str = "") -> Dashboard:
    """Every figure of the statistics page, in a constant number of queries; with `only`
    (a table's slug), just the queries that table needs."""
    result = Dashboard(filters)
    part = TABLE_PARTS.get(only, "")
    if part in ("", "machines"):
        _machines(result)
    if part in ("", "monthly"):
        _monthly(result)
    if part in ("", "review"):
        _review_times(result)
    if part in ("", "overdue"):
        _overdue(result, today)
    if part in ("", "reports"):
        _reports(result)
    return result


# Which group of queries makes which table.
TABLE_PARTS = {
    "districts": "machines",
    "stages": "machines",
    "types": "machines",
    "fuels": "machines",
    "statuses": "machines",
    "monthly": "monthly",
    "review": "review",
    "review_days": "review",
    "overdue": "overdue",
    "reports": "reports",
}


# --- machines -------------------------------------------------------------------------------


def _count_rows(pairs: Mapping[Any, int], labels: Mapping[Any, str]) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        (labels.get(key, key or _("（未填）")), n)
        for key, n in sorted(pairs.items(), key=lambda kv: (-kv[1], str(kv[0])))
    )


def _machines(result: Dashboard) -> None:
    filters = result.filters
    names = _district_names()
    # The counts the database keeps by district, stage, type, fuel and status (stats.models:
    # a few thousand rows whatever the registry's size), summed up here. Districts, stages,
    # types and fuels count live registrations only; the status table counts every one.
    by_district: dict[str, int] = defaultdict(int)
    by_stage: dict[int, int] = defaultdict(int)
    old_by_district: dict[str, int] = defaultdict(int)
    types: dict[str, int] = defaultdict(int)
    fuels: dict[str, int] = defaultdict(int)
    statuses: dict[str, int] = defaultdict(int)
    groups = _scoped(MachineCount.objects.filter(n__gt=0), filters).values_list(
        "status", "district", "stage", "machine_type", "fuel_type", "n"
    )
    for status, district, stage, machine_type, fuel, n in groups:
        statuses[status] += n
        if status not in LIVE:
            continue
        by_district[district] += n
        by_stage[stage] += n
        types[machine_type] += n
        fuels[fuel] += n
        if stage in OLD_STAGES:
            old_by_district[district] += n
    result.district_counts = dict(by_district)
    result.total = sum(by_district.values())
    result.old_stage_count = sum(old_by_district.values())
    codes = [d.code for d in city().districts if not filters.district or d.code == filters.district]
    district_rows = []
    for code in codes:
        n = by_district.get(code, 0)
        old = old_by_district.get(code, 0)
        district_rows.append((names[code], code, n, old, _share(old, n)))
    _add(
        result,
        "districts",
        _("各区登记机械"),
        (_("区"), _("区代号"), _("机械数"), _("国1/国2机械数"), _("国1/国2占比")),
        district_rows,
        note=_("在用（有效、暂停）登记"),
    )
    _add(
        result,
        "stages",
        _("排放阶段"),
        (_("排放阶段"), _("机械数")),
        [(STAGE_LABELS.get(s, str(s)), by_stage.get(s, 0)) for s in sorted(STAGE_LABELS)],
    )
    _add(result, "types", _("机械类型"), (_("机械类型"), _("机械数")), _count_rows(types, {}))
    _add(result, "fuels", _("燃料种类"), (_("燃料种类"), _("机械数")), _count_rows(fuels, {}))
    _add(
        result,
        "statuses",
        _("登记状态"),
        (_("状态"), _("登记数")),
        [(label, statuses.get(value, 0)) for value, label in RegistrationStatus.choices],
        note=_("含已注销、已转出和换号前的旧号码"),
    )


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _add(
    result: Dashboard,
    slug: str,
    title: str,
    header: tuple[str, ...],
    rows: Any,
    note: str = "",
) -> None:
    result.tables[slug] = Table(slug, title, header, tuple(tuple(r) for r in rows), note)


# --- declarations and approvals per month ---------------------------------------------------


def _monthly(result: Dashboard) -> None:
    filters = result.filters
    months = month_starts(filters.date_from, filters.date_to)
    # A declaration counts in the month of its first submission (resubmissions are rounds
    # of the same declaration), an approval in the month its number was issued.
    declared = dict(
        _scoped(DeclarationRound.objects.filter(number=1), filters, "declaration__district")
        .filter(_in_range("submitted_at", filters))
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=Count("*"))
        .order_by()
    )
    approved = dict(
        _scoped(Registration.objects.all(), filters)
        .filter(_in_range("issued_at", filters))
        .annotate(month=TruncMonth("issued_at"))
        .values_list("month")
        .annotate(n=Count("*"))
        .order_by()
    )
    declared_by_month = _by_month(declared)
    approved_by_month = _by_month(approved)
    result.months = [f"{m:%Y-%m}" for m in months]
    result.declared = [declared_by_month.get(m, 0) for m in months]
    result.approved = [approved_by_month.get(m, 0) for m in months]
    _add(
        result,
        "monthly",
        _("每月申报与登记"),
        (_("月份"), _("首次提交申报"), _("准予登记")),
        zip(result.months, result.declared, result.approved, strict=True),
    )


def _by_month(rows: Mapping[Any, int]) -> dict[date, int]:
    """TruncMonth gives datetimes (aware, in the current time zone) or dates: key by date."""
    out: dict[date, int] = {}
    for month, n in rows.items():
        if month is None:
            continue
        day = timezone.localtime(month).date() if isinstance(month, datetime) else month
        out[day.replace(day=1)] = out.get(day.replace(day=1), 0) + n
    return out


# Counting rows (COUNT(*)), not ids, lets PostgreSQL answer the monthly, review and
# overdue queries from the covering indexes of registry.models alone (index-only scans).


def _plain_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query. On PostgreSQL the driver already answers dates and
    numbers as Python values: read them straight from the cursor, without Django's
    per-value converters (most of the review table's time over tens of thousands of
    groups). Elsewhere (SQLite answers dates as text) through the ORM."""
    # The database the router reads this model from (a replica inside @replica_ok).
    db = connections[queryset.db]
    if db.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- review times ---------------------------------------------------------------------------


def _review_times(result: Dashboard) -> None:
    """Working days from the (last) submission to the decision, for decisions in the range,
    grouped by (district, submitted on, decided on, due): a few thousand rows at most, each
    a subtraction over a working-day index built once. On time means decided on or before
    the stored review_due (Art. 8's 10 working days)."""
    filters = result.filters
    names = _district_names()
    decided = (
        _scoped(Declaration.objects.filter(status__in=DECIDED), filters)
        .filter(_in_range("decided_at", filters), submitted_at__isnull=False)
        .annotate(sub=TruncDate("submitted_at"), dec=TruncDate("decided_at"))
        .values_list("district", "sub", "dec", "review_due")
        .annotate(n=Count("*"))
        .order_by()
    )
    groups = _plain_rows(decided)
    per_district: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"n": 0, "on_time": 0, "late": 0, "unknown": 0, "days": defaultdict(int)}
    )
    overall: dict[int, int] = defaultdict(int)
    if groups:
        calendar = holiday_calendar()
        first = min(g[1] for g in groups)
        last = max(g[2] for g in groups)
        index = WorkingDayIndex(calendar, first, max(last, first))
    for district, submitted, decided_on, due, n in groups:
        figures = per_district[district]
        figures["n"] += n
        if due is None:
            figures["unknown"] += n
        elif decided_on <= due:
            figures["on_time"] += n
        else:
            figures["late"] += n
        try:
            days = index.between(submitted, decided_on)
        except MissingYearError:
            continue
        figures["days"][days] += n
        overall[days] += n
    rows = []
    total = {"n": 0, "on_time": 0, "late": 0, "unknown": 0}
    order = {d.code: i for i, d in enumerate(city().districts)}
    for code in sorted(per_district, key=lambda c: (order.get(c, len(order)), c)):
        f = per_district[code]
        for key in total:
            total[key] += f[key]
        rows.append(_review_row(names.get(code, code), f, f["days"].items()))
    rows.append(_review_row(_("合计"), total, overall.items()))
    result.review = {
        "decided": total["n"],
        "on_time": total["on_time"],
        "late": total["late"],
        "median": weighted_percentile(overall.items(), 0.5),
        "p90": weighted_percentile(overall.items(), 0.9),
        "limit": REVIEW_WORKING_DAYS,
    }
    _add(
        result,
        "review",
        _("审核用时（提交至决定）"),
        (
            _("区"),
            _("已决定"),
            _("按期"),
            _("超过10个工作日"),
            _("按期率"),
            _("中位数（工作日）"),
            _("90%分位（工作日）"),
        ),
        rows,
        note=_("按决定日期统计；按期指决定日不晚于审核期限"),
    )
    buckets = []
    for label, low, high in review_buckets():
        n = sum(c for d, c in overall.items() if d >= low and (high is None or d <= high))
        buckets.append((label, n))
    _add(result, "review_days", _("审核用时分布"), (_("用时"), _("申报数")), buckets)


def _review_row(name: str, f: Mapping[str, Any], days: Any) -> tuple[Any, ...]:
    pairs = list(days)
    median = weighted_percentile(pairs, 0.5)
    p90 = weighted_percentile(pairs, 0.9)
    known = f["on_time"] + f["late"]
    return (
        name,
        f["n"],
        f["on_time"],
        f["late"],
        _share(f["on_time"], known),
        "—" if median is None else median,
        "—" if p90 is None else p90,
    )


# --- overdue items of every kind ------------------------------------------------------------

OVERDUE_KINDS = (
    ("review", gettext_lazy("审核超过10个工作日")),
    ("notice", gettext_lazy("制作完成后超过5个工作日未通知领取")),
    ("photo", gettext_lazy("领取后超过10日未上传固定照片")),
    ("rectification", gettext_lazy("整改逾期未回复")),
    ("change", gettext_lazy("信息变更审核逾期")),
)


def _overdue(result: Dashboard, today: date) -> None:
    """Per district, one grouped query per kind of item (the credential kinds share one)."""
    filters = result.filters
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for district, n in (
        _scoped(Declaration.objects.all(), filters)
        .filter(status=DeclarationStatus.SUBMITTED, review_due__lt=today)
        .values_list("district")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counts[district]["review"] += n
    for district, status, n in (
        _scoped(Credential.objects.all(), filters)
        .filter(
            Q(status=CredentialStatus.PRODUCED, notice_due__lt=today)
            | Q(status=CredentialStatus.COLLECTED, photo_due__lt=today)
        )
        .values_list("district", "status")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counts[district]["notice" if status == CredentialStatus.PRODUCED else "photo"] += n
    for district, n in (
        _scoped(Rectification.objects.all(), filters)
        .filter(status=RectificationStatus.ORDERED, due_date__lt=today)
        .values_list("district")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counts[district]["rectification"] += n
    for district, n in (
        _scoped(ChangeRequest.objects.all(), filters)
        .filter(status=ChangeStatus.SUBMITTED, review_due__lt=today)
        .values_list("district")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counts[district]["change"] += n
    names = _district_names()
    codes = [d.code for d in city().districts if not filters.district or d.code == filters.district]
    rows = []
    totals = [0] * len(OVERDUE_KINDS)
    for code in codes:
        values = [counts[code][kind] for kind, _label in OVERDUE_KINDS]
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        rows.append((names[code], *values, sum(values)))
    rows.append((_("合计"), *totals, sum(totals)))
    _add(
        result,
        "overdue",
        _("逾期事项"),
        (_("区"), *(str(label) for _kind, label in OVERDUE_KINDS), _("合计")),
        rows,
        note=_("截至%(day)s") % {"day": today.isoformat()},
    )


# --- public reports (Art. 17) ----------------------------------------------------------------


def _reports(result: Dashboard) -> None:
    """Reports filed in the date range, by district: received, in hand, closed, and each
    outcome of the closed ones. One query (reports.queries.report_counts)."""
    from reports.constants import ReportOutcome, ReportStatus
    from reports.queries import report_counts

    f = result.filters
    counts = report_counts(f.district or None, f.date_from, f.date_to)
    names = _district_names()
    outcomes = list(ReportOutcome)
    rows = [
        (
            names.get(code, code),
            n,
            *(counts.district_status.get(code, {}).get(s.value, 0) for s in ReportStatus),
            *(counts.district_outcome.get(code, {}).get(o.value, 0) for o in outcomes),
        )
        for code, n in counts.by_district.items()
    ]
    _add(
        result,
        "reports",
        _("公众举报（第十七条）"),
        (
            _("区"),
            _("举报件数"),
            *(str(s.label) for s in ReportStatus),
            *(str(o.label) for o in outcomes),
        ),
        rows,
        _("按发现地所在区、举报时间统计；办理结果只计已办结的举报。"),
    )
