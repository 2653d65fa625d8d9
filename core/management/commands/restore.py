"""`manage.py restore FILE.tar.gz`: into a fresh, migrated database (core/backup.py); then
the audit chain is verified against the head the backup recorded."""

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            manifest = restore(file)
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        if manifest["audit_head"]:
            call_command("verify_audit", "--anchor", manifest["audit_head"], stdout=self.stdout)
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"restored {rows} rows and {manifest['files']} files from {file}")
