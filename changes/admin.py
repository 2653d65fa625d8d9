"""Changes in the admin: read-only for the city administrator. Every change goes through
changes.actions (and its audit rows), never through here."""

from django.contrib import admin
from django.http import HttpRequest

from changes.models import ChangePhoto, ChangeRequest, ExternalRegistration


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ChangePhotoInline(admin.TabularInline):
    model = ChangePhoto
    fields = ("kind", "file", "width", "height", "size", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "registration", "kind", "status", "district", "late")
    list_filter = ("kind", "status", "district", "late")
    search_fields = ("registration__number", "registration__short_number")
    inlines = (ChangePhotoInline,)


@admin.register(ExternalRegistration)
class ExternalRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "city_name", "number", "machine_type", "district", "owner")
    list_filter = ("district", "city_name")
    search_fields = ("number", "factory_serial")
