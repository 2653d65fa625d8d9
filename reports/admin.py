"""Public reports in the admin: read-only for the city administrator. Every change goes
through reports.actions (and its audit rows), never through here."""

from django.contrib import admin
from django.http import HttpRequest

from reports.models import PublicReport, ReportNote, ReportPhoto


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReportNoteInline(ReadOnlyInline):
    model = ReportNote
    fields = ("created_at", "author", "text")
    readonly_fields = fields


class ReportPhotoInline(ReadOnlyInline):
    model = ReportPhoto
    fields = ("file", "width", "height", "size", "uploaded_at")
    readonly_fields = fields


@admin.register(PublicReport)
class PublicReportAdmin(ReadOnlyAdmin):
    list_display = ("filed_at", "code", "district", "number_typed", "status", "outcome")
    list_filter = ("status", "outcome", "district")
    search_fields = ("code", "number_typed")
    # The reporter's phone is masked here too: only the handling district needs it.
    exclude = ("contact_phone",)
    readonly_fields = ("masked_phone",)
    inlines = (ReportNoteInline, ReportPhotoInline)

    @admin.display(description="联系电话")
    def masked_phone(self, obj: PublicReport) -> str:
        return obj.masked_phone
