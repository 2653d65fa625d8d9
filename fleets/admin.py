from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from fleets.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Imports are the owners' own; administrators only look (e.g. to answer a call)."""

    list_display = ("pk", "owner", "file_name", "status", "rows_done", "created_count")
    list_filter = ("status",)
    search_fields = ("owner__name", "file_name", "content_hash")
