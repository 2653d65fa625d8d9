import json

from django.core.management.base import BaseCommand, CommandParser

from core.reference import city
from rules.city import city_to_dict


class Command(BaseCommand):
    help = (
        "Print the city configuration in force as JSON. Save it, edit it, and point "
        "NRMM_CITY_CONFIG at the file to run the platform for another city."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dump", action="store_true", help="(default) print the JSON")

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(json.dumps(city_to_dict(city()), ensure_ascii=False, indent=2))
