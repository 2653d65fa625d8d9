"""`manage.py backup FILE.tar.gz`: the database and every stored photo (core/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.backup import backup


class Command(BaseCommand):
    help = "Back up the database and the stored files into one tar.gz."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        manifest = backup(file)
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"backed up {rows} rows and {manifest['files']} files to {file} "
            f"(audit head {manifest['audit_head'] or '-'})"
        )
