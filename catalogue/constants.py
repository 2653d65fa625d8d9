from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    MACHINE = "machine", _("机械")
    ENGINE = "engine", _("发动机")


# Spellings of the kind column, compared after trimming and lower-casing.
KIND_ALIASES: Final[Mapping[str, EntryKind]] = MappingProxyType(
    {
        "machine": EntryKind.MACHINE,
        "机械": EntryKind.MACHINE,
        "engine": EntryKind.ENGINE,
        "发动机": EntryKind.ENGINE,
    }
)

# Column headers accepted by the importer, by field.  Headers are compared after removing
# whitespace and a unit in brackets ("功率（kW）" → "功率") and lower-casing.
HEADER_ALIASES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "number": ("number", "编号", "环保信息公开编号", "信息公开编号", "型式核准号"),
        "kind": ("kind", "类别"),
        "maker": ("maker", "生产企业"),
        "model": ("model", "型号"),
        "machine_type": ("machine_type", "机械类型"),
        "machine_name": ("machine_name", "机械名称"),
        "engine_maker": ("engine_maker", "发动机生产企业"),
        "engine_model": ("engine_model", "发动机型号"),
        "power_kw": ("power_kw", "power", "功率"),
        "fuel_type": ("fuel_type", "燃料种类"),
        "source": ("source", "来源"),
    }
)

# Rows read, checked and written together: bounds the memory an import needs.
IMPORT_BATCH_SIZE: Final = 1000
