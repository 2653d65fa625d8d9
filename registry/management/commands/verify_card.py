"""Check a scanned card offline: the URL from the QR code and the public keys alone.

    manage.py verify_card 'https://…/v/%E6%B2%AAA2-00001/1.s1.…'
    manage.py verify_card --keys keys.json '…'     # keys exported by `card_keys --json`

Exit status 0 for a genuine card, 1 otherwise. No database is read: a genuine signature
proves the platform issued the card; whether it is still the current card (not reissued,
the number not deregistered) needs the online check.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rules import cardsig

MESSAGES = {
    cardsig.Outcome.GENUINE: "genuine: signed by the platform",
    cardsig.Outcome.UNKNOWN_KEY: "NOT GENUINE: signed with a key the platform does not list",
    cardsig.Outcome.BAD_SIGNATURE: "NOT GENUINE: the signature does not match the number",
    cardsig.Outcome.MALFORMED: "NOT A CARD: the text is not a card verification URL",
}


class Command(BaseCommand):
    help = "Verify a scanned card URL offline with the public keys."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--keys", type=Path, help="JSON from `manage.py card_keys --json`")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keys"]:
            try:
                texts = json.loads(options["keys"].read_text())["keys"]
                keys = {kid: cardsig.load_public_key(text) for kid, text in texts.items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise CommandError(f"cannot read the keys file: {exc}") from None
        else:
            keys = dict(settings.NRMM_CARD_KEYS.public_keys)
        verdict = cardsig.verify_url(options["url"], keys)
        line = MESSAGES[verdict.outcome]
        if verdict.claim is not None:
            claim = verdict.claim
            line += f" ({claim.short_number}, card {claim.issue}, key {claim.kid})"
        self.stdout.write(line)
        if not verdict.genuine:
            raise SystemExit(1)
