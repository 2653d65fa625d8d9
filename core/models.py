import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.constants import DayKind


class AuditEntry(models.Model):
    """One row per state change: who did what to which object, and when. Never edited:
    rows are only ever inserted, by core.audit.record, each chained to the one before by
    its digest (core/chain.py; `manage.py verify_audit` checks the chain)."""

    # Set by core.audit.record before the digest is computed (the digest covers it).
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象编号"), max_length=64)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    seq = models.BigIntegerField(_("序号"), unique=True)
    prev_hash = models.CharField(_("前一条摘要"), max_length=64)
    entry_hash = models.CharField(_("摘要"), max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("audit entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("audit entries are never deleted")

    @property
    def action_label(self) -> str:
        from core.audit_labels import label

        return label(self.action)


class AuditHead(models.Model):
    """The chain's last link, one row: locked by every new entry so that entries are
    chained one at a time, in the order their transactions take the lock."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


class HolidayYear(models.Model):
    """A year whose holiday notice has been entered in full. Working days in any other
    year cannot be computed, and the rules say so instead of guessing."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class Holiday(models.Model):
    """A weekday off (放假) or a weekend make-up working day (调休上班)."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class InPlantStandard(models.Model):
    """When each new-vehicle emission standard applied to all new vehicles: decides the
    stage of an in-plant vehicle from its production date (Art. 7 (三)(2))."""

    stage = models.PositiveSmallIntegerField(_("排放阶段"), unique=True)
    effective = models.DateField(_("实施日期"), unique=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("场内车辆新车排放标准实施日期")
        verbose_name_plural = _("场内车辆新车排放标准实施日期")
        ordering = ["effective"]

    def __str__(self) -> str:
        return f"国{self.stage} {self.effective}"


class DistrictOffice(models.Model):
    """Where a district's owners collect signs and cards (manual step 7: 指定窗口)."""

    district = models.CharField(_("区代号"), max_length=1, unique=True)
    name = models.CharField(_("窗口名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    hours = models.CharField(_("办公时间"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("受理窗口")
        verbose_name_plural = _("受理窗口")
        ordering = ["district"]

    def __str__(self) -> str:
        return self.name

    def place(self) -> str:
        """The collection place as the notice states it."""
        return "，".join(part for part in (self.name, self.address, self.hours) if part)


class RateCounter(models.Model):
    """Hits per key and time window, shared by every app process (core.ratelimit)."""

    key = models.CharField(max_length=120)
    window = models.BigIntegerField()  # window start, seconds since the epoch
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="one_rate_row")]
        indexes = [models.Index(fields=["window"])]

    def __str__(self) -> str:
        return f"{self.key} @{self.window}: {self.hits}"


class Reminder(models.Model):
    """One SMS reminder of a deadline. The key names the object, the deadline and its due
    date, and is unique: a reminder goes out once however often the sweep runs."""

    key = models.CharField(max_length=120, unique=True)
    phone = models.CharField(max_length=11)
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("期限提醒")
        verbose_name_plural = _("期限提醒")

    def __str__(self) -> str:
        return self.key


class IdempotentRequest(models.Model):
    """An API request sent with an Idempotency-Key (core.middleware.IdempotencyMiddleware),
    or a page's form sent with its one-time key (core.formonce): its first successful answer,
    replayed to a retry of the same request, so a client that lost the answer to a submit or
    an approval can send it again without doing it twice. No user: a form of the public's
    (a report), whose random key is theirs alone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True
    )
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)  # method, path and body of the request
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_request_per_key"),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(user__isnull=True),
                name="one_anonymous_request_per_key",
            ),
        ]

    # A retry comes within minutes; a day covers a phone that was offline overnight.
    KEPT_FOR = timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} {self.status}"

    @classmethod
    def sweep_now_and_then(cls) -> None:
        """Called after a key is written: one call in a hundred drops records past
        KEPT_FOR (housekeeping without a scheduled job, as core.ratelimit does)."""
        if random.random() < 0.01:
            cls.objects.filter(created_at__lt=timezone.now() - cls.KEPT_FOR).delete()
