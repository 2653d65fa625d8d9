"""List the card-signing keys, or make a new one for a rotation.

manage.py card_keys                 # the active and retired keys, public halves
manage.py card_keys --json          # the same as JSON, for inspectors' offline tools
manage.py card_keys --generate k2   # a new private key to put first in
                                    # NRMM_CARD_SIGNING_KEYS (keep the old one listed
                                    # after it, or its public key in NRMM_CARD_VERIFY_KEYS)
"""

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rules import cardsig


class Command(BaseCommand):
    help = "List the card-signing public keys, or generate a new private key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="public keys as JSON")
        parser.add_argument("--generate", metavar="KID", help="print a new kid:private-key")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            kid = options["generate"]
            if not cardsig.KID_RE.match(kid):
                raise CommandError("a key id is 1-8 characters of a-z and 0-9")
            self.stdout.write(f"{kid}:{cardsig.generate_private_key_text()}")
            return
        ring = settings.NRMM_CARD_KEYS
        keys = ring.public_texts()
        if options["json"]:
            self.stdout.write(json.dumps({"scheme": cardsig.SCHEME, "keys": keys}, indent=2))
            return
        for kid, key in ring.public_keys.items():
            role = "signs new cards" if kid == ring.active_kid else "verifies only"
            self.stdout.write(f"{kid}\t{keys[kid]}\tfingerprint {cardsig.fingerprint(key)}\t{role}")
