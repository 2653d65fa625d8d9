"""Queue today's deadline reminders (run it daily, e.g. from cron at 09:00)."""

from typing import Any

from django.core.management.base import BaseCommand

from registry.tasks import send_reminders


class Command(BaseCommand):
    help = "Queue the SMS reminders of deadlines falling due in the next days."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_reminders.enqueue()
        if result.is_finished:
            self.stdout.write(f"reminders sent: {result.return_value}")
        else:
            self.stdout.write(f"queued as task {result.id}")
