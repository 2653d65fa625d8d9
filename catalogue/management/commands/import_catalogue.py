from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.importer import CatalogueFileError, import_catalogue


class Command(BaseCommand):
    help = (
        "Import the disclosure catalogue (环保信息公开目录) from a .csv (UTF-8 or GBK) or "
        ".xlsx file: rows are created or updated by number, rows with errors are skipped "
        "and listed. See docs/catalogue.md for the columns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, then save nothing"
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["path"]
        assert isinstance(path, Path)
        dry_run = bool(options["dry_run"])
        try:
            result = import_catalogue(path, dry_run=dry_run)
        except CatalogueFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"{path}: 无法读取文件：{exc}") from exc
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, errors {len(result.errors)}"
        )
        for error in result.errors:
            self.stdout.write(f"row {error.row}, column {error.column}: {error.message}")
        if dry_run:
            self.stdout.write("dry run: nothing was saved")
