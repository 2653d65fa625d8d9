from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import actions as account_actions
from accounts.models import AgentConsent, ApiToken, SmsCode, SmsMessage, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts are created by registration or by the staff action; here administrators
    correct details, set roles and districts, and deactivate."""

    list_display = ("name", "kind", "role", "district", "department", "masked_phone", "is_active")
    list_filter = ("role", "kind", "district", "is_active")
    search_fields = ("name", "phone", "id_number", "credit_code")
    readonly_fields = ("password", "last_login", "date_joined", "totp_enabled_at")
    # The second factor's secret is never shown; a lost phone is the reset action's job.
    exclude = ("groups", "user_permissions", "totp_secret", "totp_last_step", "session_generation")
    actions = ["reset_second_factor"]

    @admin.action(description=_("重置所选工作人员的动态口令（手机丢失或更换）"))
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            account_actions.reset_totp(acting_user=request.user, user=user)  # type: ignore[arg-type]
        self.message_user(request, _("已重置%(n)s个账户的动态口令") % {"n": queryset.count()})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "phone", "purpose", "body", "backend")
    list_filter = ("purpose",)
    search_fields = ("phone",)


@admin.register(SmsCode)
class SmsCodeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "phone",
        "purpose",
        "failed_attempts",
        "expires_at",
        "consumed_at",
    )
    list_filter = ("purpose",)
    search_fields = ("phone",)
    exclude = ("code_hash", "salt")


@admin.register(AgentConsent)
class AgentConsentAdmin(ReadOnlyAdmin):
    list_display = ("agent", "owner", "granted_at", "withdrawn_at")
    list_select_related = ("agent", "owner")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    list_select_related = ("user",)
    exclude = ("digest",)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return True  # revoking a token is how an administrator ends a leaked API session
