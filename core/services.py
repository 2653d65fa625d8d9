"""Seeding reference data, each run atomic. Administrators' own edits go through the admin,
which keeps its LogEntry."""

from django.db import transaction

from core.holiday_seed import rows_for_year
from core.models import Holiday, HolidayYear, InPlantStandard
from rules.emission import DEFAULT_IN_PLANT_STANDARDS


@transaction.atomic
def seed_holiday_years(years: list[int], *, replace: bool = False) -> list[int]:
    """Seed each year from chinesecalendar unless the table already has it (administrators'
    edits win over the seed unless replace is asked for)."""
    done = []
    present = set(HolidayYear.objects.filter(year__in=years).values_list("year", flat=True))
    for year in sorted(years):
        if year in present and not replace:
            continue
        Holiday.objects.filter(date__year=year).delete()
        Holiday.objects.bulk_create(
            Holiday(date=day, kind=kind, name=name) for day, kind, name in rows_for_year(year)
        )
        HolidayYear.objects.update_or_create(
            year=year, defaults={"source": "chinesecalendar（国务院办公厅放假通知）"}
        )
        done.append(year)
    return done


@transaction.atomic
def seed_in_plant_standards() -> int:
    created = 0
    for row in DEFAULT_IN_PLANT_STANDARDS:
        _, was_created = InPlantStandard.objects.get_or_create(
            stage=row.stage,
            defaults={"effective": row.effective, "note": "重型柴油车新车排放标准全面实施日期"},
        )
        created += was_created
    return created


def seed_reference_data() -> None:
    """What migration 0002 seeds, for databases emptied since (transactional tests)."""
    from core.holiday_seed import seed_years

    seed_holiday_years(list(seed_years()))
    seed_in_plant_standards()
