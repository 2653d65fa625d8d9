from django.core.management.base import BaseCommand, CommandParser

from core.holiday_seed import seed_years
from core.services import seed_holiday_years


class Command(BaseCommand):
    help = "Fill the holiday table from the chinesecalendar package (years not yet present)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, action="append", help="only these years")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite years already in the table"
        )

    def handle(self, *args: object, **options: object) -> None:
        years = options["year"] or list(seed_years())
        assert isinstance(years, list)
        added = seed_holiday_years(years, replace=bool(options["replace"]))
        self.stdout.write(f"holiday years added or replaced: {added or 'none'}")
