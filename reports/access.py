"""Who may see which report or photo: district staff (clerks, reviewers) of the district
where the machine was seen, and the city administrator (read-only). 404 alike for "missing"
and "not yours". The reporter has no account: the reference code shows the progress only
(reports.queries.follow), never the report's contents."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.constants import DISTRICT_ROLES, Role
from accounts.models import User
from reports.models import PublicReport, ReportPhoto


def visible_reports(user: User) -> QuerySet[PublicReport]:
    reports = PublicReport.objects.all()
    if user.role == Role.CITY_ADMIN:
        return reports
    if user.role in DISTRICT_ROLES and user.district:
        return reports.filter(district=user.district)
    return reports.none()


def handles(user: User, report: PublicReport) -> bool:
    """The district's own staff: they act on the report and see the reporter's phone."""
    return user.role in DISTRICT_ROLES and user.district == report.district


def get_report_for_user(user: User, pk: int) -> PublicReport:
    report = (
        visible_reports(user)
        .filter(pk=pk)
        .select_related("registration", "assigned_to", "closed_by")
        .first()
    )
    if report is None:
        raise Http404
    return report


def get_report_photo_for_user(user: User, pk: int) -> ReportPhoto:
    photo = ReportPhoto.objects.filter(pk=pk, report__in=visible_reports(user)).first()
    if photo is None:
        raise Http404
    return photo
