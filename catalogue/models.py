from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalogue.constants import EntryKind
from rules.emission import MAX_STAGE, STAGE_LABELS, STAGE_POSITION
from rules.identifiers import (
    FORMATS,
    Check,
    check_disclosure_number,
    check_engine_number,
    check_type_approval_number,
    normalise,
)

NUMBER_LABEL = "编号"
TYPE_APPROVAL_LENGTH = FORMATS["type_approval_number"].length
DISCLOSURE_LENGTH = FORMATS["disclosure_number"].length


def check_entry_number(text: str, kind: str | None = None) -> Check:
    """Check a catalogue number with the rules the wizard uses for the same number.

    A machine has a 24-character 环保信息公开编号; an engine a 16-character 型式核准号
    or a 24-character disclosure number.  With no kind, the length decides.  Warnings
    (an unusual prefix) are returned, not raised: the catalogue keeps what was published.
    """
    value = normalise(text)
    if not value:
        return Check(value, f"请填写{NUMBER_LABEL}")
    if kind == EntryKind.MACHINE:
        return check_disclosure_number(value)
    if kind == EntryKind.ENGINE:
        return check_engine_number(value)
    if len(value) == TYPE_APPROVAL_LENGTH:
        return check_type_approval_number(value)
    if len(value) == DISCLOSURE_LENGTH:
        return check_disclosure_number(value)
    return Check(
        value,
        f"{NUMBER_LABEL}应为{DISCLOSURE_LENGTH}位（环保信息公开编号）或"
        f"{TYPE_APPROVAL_LENGTH}位（发动机型式核准号），您输入了{len(value)}位",
    )


def stage_of(number: str) -> int:
    """The stage digit of a number that passed :func:`check_entry_number`."""
    return int(number[STAGE_POSITION - 1])


class CatalogueEntry(models.Model):
    """One disclosed machine or engine model (环保信息公开), keyed by its number.

    The wizard pre-fills machine and engine fields from it; a number it does not know
    is flagged for the reviewer, never refused.
    """

    number = models.CharField(
        _("编号"),
        max_length=DISCLOSURE_LENGTH,
        unique=True,
        help_text=_("24位环保信息公开编号，或16位发动机型式核准号；大写，不含空格"),
    )
    kind = models.CharField(
        _("类别"), max_length=16, choices=EntryKind.choices, default=EntryKind.MACHINE
    )
    stage = models.PositiveSmallIntegerField(
        _("排放阶段"),
        choices=sorted(STAGE_LABELS.items()),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STAGE)],
        help_text=_("编号第6位"),
    )
    maker = models.CharField(_("生产企业"), max_length=200)
    model = models.CharField(_("型号"), max_length=100)
    machine_type = models.CharField(_("机械类型"), max_length=50, blank=True)
    machine_name = models.CharField(_("机械名称"), max_length=100, blank=True)
    engine_maker = models.CharField(_("发动机生产企业"), max_length=200, blank=True)
    engine_model = models.CharField(_("发动机型号"), max_length=100, blank=True)
    power_kw = models.DecimalField(
        _("功率（kW）"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    fuel_type = models.CharField(_("燃料种类"), max_length=20, blank=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("环保信息公开目录条目")
        verbose_name_plural = _("环保信息公开目录")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__gte=1, stage__lte=MAX_STAGE),
                name="catalogue_entry_stage_range",
            ),
            models.CheckConstraint(
                condition=Q(power_kw__isnull=True) | Q(power_kw__gt=0),
                name="catalogue_entry_power_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.maker} {self.model}"

    def clean(self) -> None:
        """Normalise the number, check it against the kind and take the stage from it."""
        check = check_entry_number(self.number, self.kind)
        self.number = check.value
        if check.error is not None:
            raise ValidationError({"number": check.error})
        self.stage = stage_of(self.number)
