"""Spot checks and rectification orders in the admin: read-only for the city administrator.
Every change goes through inspections.actions (and its audit rows), never through here."""

from django.contrib import admin
from django.http import HttpRequest

from inspections.models import (
    Rectification,
    RectificationAnswer,
    RectificationPhoto,
    SpotCheck,
    SpotCheckPhoto,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SpotCheckPhotoInline(admin.TabularInline):
    model = SpotCheckPhoto
    fields = ("file", "width", "height", "size", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "checked_at",
        "number_typed",
        "registration",
        "district",
        "department",
        "inspector",
        "result",
    )
    list_filter = ("result", "district", "department", "card_check")
    search_fields = ("number_typed", "registration__short_number", "location")
    date_hierarchy = "checked_at"
    list_select_related = ("registration", "inspector")
    raw_id_fields = ("registration", "inspector")
    inlines = (SpotCheckPhotoInline,)


class RectificationAnswerInline(admin.StackedInline):
    model = RectificationAnswer
    fields = ("number", "text", "answered_by", "answered_at", "outcome", "reviewed_by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ("ordered_at", "registration", "district", "status", "due_date", "outcome")
    list_filter = ("status", "outcome", "district")
    search_fields = ("registration__short_number",)
    date_hierarchy = "ordered_at"
    list_select_related = ("registration",)
    raw_id_fields = ("spot_check", "registration", "ordered_by", "answered_by", "closed_by")
    inlines = (RectificationAnswerInline,)


@admin.register(RectificationPhoto)
class RectificationPhotoAdmin(ReadOnlyAdmin):
    list_display = ("answer", "width", "height", "size", "uploaded_at")
    list_select_related = ("answer",)
