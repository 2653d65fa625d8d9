from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import actions as account_actions
from accounts.models import AgentConsent, ApiToken, SmsCode, SmsMessage, User
from rules.identifiers import check_id_number, mask_phone


class UserAdminForm(forms.ModelForm):
    """The ID number is stored encrypted and never shown here in full: the form offers a
    field to correct it (empty keeps it) next to the masked number."""

    new_id_number = forms.CharField(
        label=_("更正身份证号码"),
        required=False,
        max_length=30,
        help_text=_("留空则不修改；完整号码不在此显示"),
    )

    class Meta:
        model = User
        fields = (
            "kind",
            "role",
            "name",
            "phone",
            "credit_code",
            "legal_representative",
            "contact_name",
            "district",
            "department",
            "organisation",
            "is_active",
            "is_superuser",
        )

    def clean_new_id_number(self) -> str:
        raw = self.cleaned_data.get("new_id_number", "")
        if not raw.strip():
            return ""
        check = check_id_number(raw, today=timezone.localdate())
        if check.error:
            raise forms.ValidationError(check.error)
        others = User.objects.by_id_number(check.value).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("该身份证号码已注册"))
        return check.value

    def save(self, commit: bool = True) -> Any:
        if self.cleaned_data.get("new_id_number"):
            self.instance.id_number = self.cleaned_data["new_id_number"]
        return super().save(commit=commit)


@admin.display(description=_("手机号"))
def masked_phone(obj: SmsMessage | SmsCode) -> str:
    return mask_phone(obj.phone)


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

    form = UserAdminForm
    list_display = ("name", "kind", "role", "district", "department", "masked_phone", "is_active")
    list_filter = ("role", "kind", "district", "is_active")
    # The ID number is searched exactly, through its keyed hash (get_search_results).
    search_fields = ("name", "phone", "credit_code")
    readonly_fields = (
        "password",
        "masked_identifier",
        "last_login",
        "date_joined",
        "totp_enabled_at",
    )
    # The second factor's secret is never shown; a lost phone is the reset action's job.
    # The ID number's ciphertext and hash mean nothing to a person.
    exclude = (
        "groups",
        "user_permissions",
        "totp_secret",
        "totp_last_step",
        "session_generation",
        "id_number_enc",
        "id_number_hash",
    )
    actions = ["reset_second_factor"]

    @admin.display(description=_("证件号码"))
    def masked_identifier(self, obj: User) -> str:
        return obj.masked_identifier

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found = found | queryset.filter(pk__in=User.objects.by_id_number(search_term))
        return found, may_have_duplicates

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
    # Lists show phones masked; the exact phone finds its messages (search) and one
    # message's page shows it in full.
    list_display = ("created_at", masked_phone, "purpose", "body", "backend")
    list_filter = ("purpose",)
    search_fields = ("phone",)


@admin.register(SmsCode)
class SmsCodeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        masked_phone,
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
