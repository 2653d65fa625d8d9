"""The Django side of the rules package: builds the rules' plain inputs from settings and
from the tables administrators edit."""

from datetime import date
from functools import lru_cache

from django.conf import settings

from core.constants import DayKind
from core.models import Holiday, HolidayYear, InPlantStandard
from rules.city import SHANGHAI, CityConfig, load_city
from rules.emission import StandardDate
from rules.workdays import HolidayCalendar


@lru_cache(maxsize=1)
def city() -> CityConfig:
    """The city this platform serves (settings.NRMM_CITY_CONFIG, default Shanghai)."""
    path = settings.NRMM_CITY_CONFIG
    return load_city(path) if path else SHANGHAI


def holiday_calendar() -> HolidayCalendar:
    """The holiday table as the rules need it: read per call, because it is small (a few
    hundred rows) and administrators edit it."""
    holidays: set[date] = set()
    makeup: set[date] = set()
    for day, kind in Holiday.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else makeup).add(day)
    years = frozenset(HolidayYear.objects.values_list("year", flat=True))
    return HolidayCalendar(
        holidays=frozenset(d for d in holidays if d.year in years),
        makeup_workdays=frozenset(d for d in makeup if d.year in years),
        years=years,
    )


def in_plant_standards() -> tuple[StandardDate, ...]:
    return tuple(
        StandardDate(stage=stage, effective=effective)
        for stage, effective in InPlantStandard.objects.values_list("stage", "effective")
    )
