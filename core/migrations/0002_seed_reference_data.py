"""Seed the holiday table from chinesecalendar and the in-plant standard dates, so every
fresh database (and every test database) can compute working days and stages."""

from django.db import migrations


def seed(apps, schema_editor):
    from core.holiday_seed import rows_for_year, seed_years
    from rules.emission import DEFAULT_IN_PLANT_STANDARDS

    Holiday = apps.get_model("core", "Holiday")
    HolidayYear = apps.get_model("core", "HolidayYear")
    InPlantStandard = apps.get_model("core", "InPlantStandard")
    for year in seed_years():
        if HolidayYear.objects.filter(year=year).exists():
            continue
        Holiday.objects.bulk_create(
            Holiday(date=day, kind=kind, name=name) for day, kind, name in rows_for_year(year)
        )
        HolidayYear.objects.create(year=year, source="chinesecalendar（国务院办公厅放假通知）")
    for row in DEFAULT_IN_PLANT_STANDARDS:
        InPlantStandard.objects.get_or_create(
            stage=row.stage,
            defaults={"effective": row.effective, "note": "重型柴油车新车排放标准全面实施日期"},
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
