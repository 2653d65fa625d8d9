"""Keys of the personal data sealed at rest (core/fieldcrypt.py: ID numbers).

    manage.py field_keys                  how many ID numbers each key sealed
    manage.py field_keys --generate       a new random key (for NRMM_FIELD_KEYS or
                                          NRMM_FIELD_HASH_KEY)
    manage.py field_keys --rotate         re-seal every ID number with the first key of
                                          NRMM_FIELD_KEYS and recompute every keyed hash
                                          with NRMM_FIELD_HASH_KEY
    manage.py field_keys --development    the two keys development derives from SECRET_KEY
                                          ("ENCRYPTION HASH"; refused unless DEBUG derives them)

Rotating the encryption key: put the new key first in NRMM_FIELD_KEYS, keep the old one
after it (it still opens what it sealed), deploy, run --rotate, then drop the old key.
Rotating the hash key: lookups by ID number find nobody until --rotate has run (it needs
the encryption keys to recompute the hashes), so run it right after the deploy.
"""

import base64
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import ID_NUMBER_PURPOSE, User
from core import fieldcrypt


class Command(BaseCommand):
    help = "Generate, list and rotate the keys of ID numbers sealed at rest."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--generate", action="store_true", help="print a new random key")
        group.add_argument("--rotate", action="store_true", help="re-seal with the current keys")
        group.add_argument(
            "--development", action="store_true", help="print the keys derived in development"
        )
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        ring = fieldcrypt.ring()
        if options["generate"]:
            self.stdout.write(fieldcrypt.new_key_text())
        elif options["development"]:
            if not ring.derived:
                raise CommandError("the keys are configured, not derived: nothing to print")
            keys = (ring.keys[0], ring.hash_key)
            self.stdout.write(" ".join(base64.b64encode(k).decode() for k in keys))
        elif options["rotate"]:
            resealed, rehashed = rotate(ring, batch=max(1, options["batch"]))
            self.stdout.write(
                f"re-sealed {resealed} ID numbers with key {ring.current_kid}; "
                f"{rehashed} keyed hashes recomputed"
            )
        else:
            counts: Counter[str] = Counter()
            tokens = User.objects.exclude(id_number_enc=None).values_list(
                "id_number_enc", flat=True
            )
            for token in tokens.iterator(chunk_size=5000):
                parts = (token or "").split(".")
                counts[parts[1] if len(parts) == 3 else "?"] += 1
            self.stdout.write(f"sealing key: {ring.current_kid}")
            for kid, n in sorted(counts.items()):
                note = "current" if kid == ring.current_kid else "re-seal with --rotate"
                self.stdout.write(f"  {kid}: {n} ID numbers ({note})")


def rotate(ring: fieldcrypt.KeyRing, *, batch: int) -> tuple[int, int]:
    """Re-seal what an older key sealed and recompute hashes that changed, batch by batch
    (each batch its own transaction, so an interrupted run can simply run again). The
    numbers themselves do not change, so no audit row: only their form at rest does."""
    resealed = rehashed = 0
    last = 0
    while True:
        with transaction.atomic():
            users = list(
                User.objects.select_for_update()
                .filter(pk__gt=last)
                .exclude(id_number_enc=None)
                .only("pk", "id_number_enc", "id_number_hash")
                .order_by("pk")[:batch]
            )
            if not users:
                return resealed, rehashed
            last = users[-1].pk
            changed = []
            for user in users:
                assert user.id_number_enc is not None
                value = ring.open(user.id_number_enc, purpose=ID_NUMBER_PURPOSE)
                digest = ring.digest(value, purpose=ID_NUMBER_PURPOSE)
                fresh = not ring.is_current(user.id_number_enc)
                if fresh:
                    user.id_number_enc = ring.seal(value, purpose=ID_NUMBER_PURPOSE)
                    resealed += 1
                if digest != user.id_number_hash:
                    user.id_number_hash = digest
                    rehashed += 1
                    fresh = True
                if fresh:
                    changed.append(user)
            User.objects.bulk_update(changed, ["id_number_enc", "id_number_hash"])
