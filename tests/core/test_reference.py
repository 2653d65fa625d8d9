import json
from datetime import date

import pytest
from django.core.management import call_command

from core.constants import DayKind
from core.models import Holiday, HolidayYear, InPlantStandard
from core.reference import city, holiday_calendar, in_plant_standards
from rules.emission import Rule, StageInputs, determine_stage
from rules.workdays import MissingYearError


@pytest.mark.django_db
class TestHolidayTable:
    def test_seeded_from_chinesecalendar_by_the_migration(self):
        years = set(HolidayYear.objects.values_list("year", flat=True))
        assert {2004, 2025, 2026} <= years
        national_day = Holiday.objects.get(date=date(2025, 10, 1))
        assert (national_day.kind, national_day.name) == (DayKind.HOLIDAY, "国庆节")
        assert Holiday.objects.get(date=date(2025, 9, 28)).kind == DayKind.MAKEUP_WORKDAY

    def test_calendar_counts_working_days_over_national_day(self):
        calendar = holiday_calendar()
        # 2025-09-30 (Tue) + 1 working day: 10-01..10-08 are off, so the 9th.
        assert calendar.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
        # Sunday 2025-09-28 is a make-up working day.
        assert calendar.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)

    def test_a_year_without_data_is_named(self):
        calendar = holiday_calendar()
        with pytest.raises(MissingYearError) as exc:
            calendar.add_working_days(date(2026, 12, 20), 10)
        assert exc.value.year == 2027 and "2027" in str(exc.value)

    def test_administrators_edits_win(self):
        # A one-off day off decided locally: edit the table, and the calendar follows.
        Holiday.objects.create(date=date(2026, 11, 24), kind=DayKind.HOLIDAY, name="测试")
        assert not holiday_calendar().is_working_day(date(2026, 11, 24))

    def test_adding_a_year_by_hand_makes_it_computable(self):
        HolidayYear.objects.create(year=2027, source="国务院办公厅通知（手工录入）")
        Holiday.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
        calendar = holiday_calendar()
        assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)

    def test_seed_command_keeps_existing_years(self):
        Holiday.objects.filter(date=date(2025, 10, 1)).delete()
        call_command("seed_holidays", "--year", "2025")
        assert not Holiday.objects.filter(date=date(2025, 10, 1)).exists()
        call_command("seed_holidays", "--year", "2025", "--replace")
        assert Holiday.objects.filter(date=date(2025, 10, 1)).exists()


@pytest.mark.django_db
def test_in_plant_standards_come_from_the_editable_table():
    standards = in_plant_standards()
    assert [(s.stage, s.effective) for s in standards][:2] == [
        (1, date(2001, 9, 1)),
        (2, date(2004, 9, 1)),
    ]
    inputs = StageInputs(production_date=date(2013, 8, 1), in_plant=True)
    assert determine_stage(inputs, standards).stage == 4
    InPlantStandard.objects.filter(stage=4).update(effective=date(2013, 9, 1))
    decision = determine_stage(inputs, in_plant_standards())
    assert (decision.stage, decision.rule) == (3, Rule.IN_PLANT_STANDARD)


def test_another_city_runs_from_a_json_file(tmp_path, settings):
    config = {
        "name": "北京市",
        "abbreviation": "京",
        "issuer": "北京市生态环境局",
        "districts": [{"code": "A", "name": "东城区"}, {"code": "B", "name": "西城区"}],
        "machine_types": [{"name": "挖掘机", "category": "工程机械", "in_plant": False}],
        "fuel_types": ["柴油"],
        "site_types": ["工地", "其他"],
    }
    path = tmp_path / "beijing.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    settings.NRMM_CITY_CONFIG = str(path)
    city.cache_clear()
    try:
        assert city().abbreviation == "京"
        assert city().district_codes() == frozenset({"A", "B"})
    finally:
        city.cache_clear()


def test_city_config_command_prints_shanghai(capsys):
    call_command("city_config")
    data = json.loads(capsys.readouterr().out)
    assert data["abbreviation"] == "沪" and len(data["districts"]) == 20
