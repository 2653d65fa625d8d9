"""Every change after registration (Art. 4, 11-14; manual 二): one ChangeRequest per change,
kept for ever, with the fields as they were and became when it was applied. Rows are
written by changes.actions only."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changes import history
from changes.constants import (
    EXTERNAL_NUMBER_MAX_LENGTH,
    OPEN_STATUSES,
    SIGN_NOT_FIXED_KINDS,
    ChangeKind,
    ChangePhotoKind,
    ChangeStatus,
)
from registry.models import Declaration, Registration

USER = settings.AUTH_USER_MODEL


class ChangeRequest(models.Model):
    """One change of a registered machine, from the owner's request to its decision.

    `data` holds what the owner filed (the kind's own fields); `before` and `after` the
    registration's and declaration's fields as they were and became when the change was
    applied (the history and "as it stood on a date" read them)."""

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("环保登记"),
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    kind = models.CharField(_("变更类型"), max_length=16, choices=ChangeKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ChangeStatus.choices,
        default=ChangeStatus.SUBMITTED,
        db_index=True,
    )
    # Denormalised from the registration: the district's queue filters on it.
    district = models.CharField(_("登记区"), max_length=1, db_index=True)
    # The machine's owner when the request was filed (it stays theirs to follow even after
    # an owner change), and for an owner change the new owner.
    owner = models.ForeignKey(
        USER, verbose_name=_("机械所有者"), on_delete=models.PROTECT, related_name="+"
    )
    new_owner = models.ForeignKey(
        USER,
        verbose_name=_("新机械所有者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        USER, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    event_date = models.DateField(_("变更发生日期"), null=True, blank=True)
    late = models.BooleanField(_("逾期申请"), default=False)
    review_due = models.DateField(_("审核期限"), null=True, blank=True)
    data = models.JSONField(_("申请内容"), default=dict, blank=True)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    decided_by = models.ForeignKey(
        USER,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)
    site_check_at = models.DateTimeField(_("现场核查时间"), null=True, blank=True)
    site_check_by = models.ForeignKey(
        USER,
        verbose_name=_("现场核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    site_check_notes = models.TextField(_("现场核查情况"), blank=True)
    applied_at = models.DateTimeField(_("生效时间"), null=True, blank=True, db_index=True)
    # A retrofit (Art. 12) ends the registration and makes a new one with a new number, on
    # a copy of the declaration carrying the new engine.
    new_registration = models.OneToOneField(
        Registration,
        verbose_name=_("换发的新登记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces_request",
    )
    new_declaration = models.OneToOneField(
        Declaration,
        verbose_name=_("改装后的申报信息"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retrofit_request",
    )

    class Meta:
        verbose_name = _("信息变更")
        verbose_name_plural = _("信息变更")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["district", "status", "submitted_at"]),
            models.Index(fields=["registration", "requested_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="one_open_change_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"

    @property
    def diff(self) -> list[tuple[str, object, object]]:
        """(label, before, after) of each field the change touched, for the history."""
        return history.diff(self.before or {}, self.after or {})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sign_not_fixed(self) -> bool:
        """Art. 13: an alteration or reissue filed after its 10 days counts as "sign not
        fixed as required"."""
        return self.late and self.kind in SIGN_NOT_FIXED_KINDS

    def review_overdue(self, today: date) -> bool:
        return (
            self.status == ChangeStatus.SUBMITTED
            and self.review_due is not None
            and self.review_due < today
        )


def _change_photo_path(instance: "ChangePhoto", filename: str) -> str:
    # Named by content hash: never guessable from the request's id, never overwritten.
    return f"changes/{instance.sha256[:2]}/{instance.sha256}.jpg"


class ChangePhoto(models.Model):
    """A photo or a photographed paper of a change, re-encoded to JPEG without metadata."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("照片类型"), max_length=16, choices=ChangePhotoKind.choices)
    file = models.FileField(_("文件"), upload_to=_change_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("变更照片")
        verbose_name_plural = _("变更照片")
        ordering = ["request", "kind", "pk"]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.get_kind_display()}"


class ExternalRegistration(models.Model):
    """A machine already declared and registered in another city (Art. 4 第二款): recorded
    by its owner with that city's number, and exempt from declaration here."""

    owner = models.ForeignKey(
        USER,
        verbose_name=_("机械所有者"),
        on_delete=models.PROTECT,
        related_name="external_registrations",
    )
    city_name = models.CharField(_("登记城市"), max_length=50)
    number = models.CharField(_("外地环保登记号码"), max_length=EXTERNAL_NUMBER_MAX_LENGTH)
    machine_type = models.CharField(_("机械类型"), max_length=20)
    maker = models.CharField(_("生产厂家"), max_length=100, blank=True)
    machine_model = models.CharField(_("规格型号"), max_length=100, blank=True)
    factory_serial = models.CharField(_("出厂编号/PIN码"), max_length=40, blank=True)
    # The district where the machine works in this city (district staff see their own).
    district = models.CharField(_("使用区"), max_length=1, db_index=True)
    exempt = models.BooleanField(_("免于申报登记"), default=True)
    notes = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("外省市已登记机械")
        verbose_name_plural = _("外省市已登记机械")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "city_name", "number"], name="one_external_record_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.city_name} {self.number}"
