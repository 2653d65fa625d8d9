"""Checks the audit trail's hash chain: every entry in order, none missing, none altered,
and the head row pointing at the last one. Prints the head (seq:digest) to anchor: write
it down somewhere the database's administrators cannot change (a daily cron into a
write-once log), and pass an older one back with --anchor to catch a rebuilt chain."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import audit, chain
from core.models import AuditHead


def parse_anchor(value: str) -> tuple[int, str]:
    seq, sep, digest = value.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise CommandError("--anchor takes SEQ:DIGEST, as this command prints it")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (and an anchor taken earlier)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--anchor", type=parse_anchor, help="SEQ:DIGEST printed earlier")

    def handle(self, *args: Any, anchor: tuple[int, str] | None = None, **options: Any) -> None:
        verdict = chain.verify(audit.links(), anchor=anchor)
        if not verdict.ok:
            raise CommandError(f"audit chain broken: {verdict.problem}")
        head = AuditHead.objects.filter(pk=1).first()
        if head is not None and (head.seq, head.hash) != (verdict.head_seq, verdict.head_hash):
            raise CommandError(
                f"audit chain broken: the head says #{head.seq}, the chain ends at "
                f"#{verdict.head_seq} (entries removed from the end)"
            )
        head_text = f"{verdict.head_seq}:{verdict.head_hash}"
        self.stdout.write(f"audit chain intact: {verdict.count} entries; head {head_text}")
