from django.core.management.base import BaseCommand, CommandParser

from accounts.models import SmsMessage
from rules.identifiers import check_mobile


class Command(BaseCommand):
    help = "Print the SMS outbox (newest last), like Django's console e-mail backend."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", help="only messages to this phone")
        parser.add_argument("--last", action="store_true", help="only the newest message")
        parser.add_argument("--limit", type=int, default=20, help="how many (default 20)")

    def handle(self, *args: object, **options: object) -> None:
        messages = SmsMessage.objects.order_by("-created_at", "-id")
        if options["phone"]:
            messages = messages.filter(phone=check_mobile(str(options["phone"])).value)
        limit = 1 if options["last"] else int(str(options["limit"]))
        rows = list(messages[:limit])
        if not rows:
            self.stdout.write("(the outbox is empty)")
        for message in reversed(rows):
            self.stdout.write(f"{message.created_at:%Y-%m-%d %H:%M:%S} → {message.phone}")
            self.stdout.write(f"  {message.body}")
