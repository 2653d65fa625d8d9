"""python manage.py rebuild_machine_counts: count stats.MachineCount afresh from the
registrations (the database triggers keep it; this is for after a repair by hand)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from stats import summary
from stats.models import MachineCount


class Command(BaseCommand):
    help = "重新统计各区、排放阶段、机械类型、燃料和状态的机械数（仪表板使用）"

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            summary.rebuild(connection)
        self.stdout.write(f"groups={MachineCount.objects.count()}")
