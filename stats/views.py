"""统计: the dashboard of the city (every district) or of one district, its tables as xlsx.

Route access (clerks, reviewers and the city administrator; never inspectors or owners) is
in accounts.access; "only your district" is StatsFilters, which gives district staff their
own district whatever the query string says.
"""

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.constants import Role
from core.dbrouter import replica_ok
from core.http import current_user, xlsx_response
from core.reference import city
from stats import charts
from stats.queries import TABLE_PARTS, Dashboard, StatsFilters, Table, dashboard


def _filters(request: HttpRequest, today: date) -> StatsFilters:
    return StatsFilters.from_query(current_user(request), request.GET, today)


def _bar(table: Table, value_column: int = 1) -> str:
    return charts.bar_chart(
        [(str(row[0]), float(row[value_column])) for row in table.rows], title=table.title
    )


def _charts(board: Dashboard) -> dict[str, str]:
    tables = board.tables
    districts = [(d.code, d.name) for d in city().districts]
    return {
        "map": charts.district_map(
            districts,
            board.district_counts,
            title=_("各区登记机械分布"),
            highlight=board.filters.district,
        ),
        "districts": _bar(tables["districts"], 2),
        "stages": _bar(tables["stages"]),
        "types": _bar(tables["types"]),
        "fuels": _bar(tables["fuels"]),
        "statuses": _bar(tables["statuses"]),
        "monthly": charts.column_chart(
            board.months,
            [
                charts.Series(_("首次提交申报"), tuple(board.declared)),
                charts.Series(_("准予登记"), tuple(board.approved)),
            ],
            title=tables["monthly"].title,
        ),
        "review_days": _bar(tables["review_days"]),
        # The overdue chart: each district's total (the table's last column), without the
        # total row.
        "overdue": charts.bar_chart(
            [(str(row[0]), float(row[-1])) for row in tables["overdue"].rows[:-1] if row[-1]],
            title=tables["overdue"].title,
        ),
    }


@require_GET
@replica_ok
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    today = timezone.localdate()
    filters = _filters(request, today)
    board = dashboard(filters, today)
    svgs = _charts(board)
    order = ("districts", "stages", "types", "fuels", "statuses", "monthly", "review")
    sections = [
        {"table": board.tables[slug], "chart": svgs.get(slug, "")}
        for slug in (*order, "review_days", "overdue", "reports")
    ]
    scope = city().district(filters.district).name if filters.district else _("全市")
    context = {
        "me": user,
        "board": board,
        "filters": filters,
        "scope": scope,
        "map_svg": svgs["map"],
        "sections": sections,
        "districts": city().districts if user.role == Role.CITY_ADMIN else (),
        "share": f"{100 * board.old_stage_share:.1f}%",
        "query": filters.as_query(),
    }
    return render(request, "stats/dashboard.html", context)


@require_GET
@replica_ok
def download(request: HttpRequest, table: str) -> StreamingHttpResponse:
    """One of the dashboard's tables, as shown on the page with the same filters."""
    if table not in TABLE_PARTS:
        raise Http404
    today = timezone.localdate()
    filters = _filters(request, today)
    found = dashboard(filters, today, only=table).tables[table]
    scope = filters.district or "all"
    filename = f"stats-{table}-{scope}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
    return xlsx_response(filename, found.header, found.rows, title=found.title)
