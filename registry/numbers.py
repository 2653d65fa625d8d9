"""Number allocation (Art. 8, 附件2): per prefix, serials in order, no gaps, no duplicates.

The caller's transaction holds the counter row's lock until it commits, so concurrent
approvals of the same prefix queue up; if the approval rolls back, so does the counter,
which is why no serial is ever skipped. The unique constraint on Registration backs it.

The counter is taken with one UPDATE ... RETURNING (the lock and the new serial in one round
trip): approvals of one prefix queue on that row, so the caller takes it as late as it can
and commits soon after (registry.actions.approve).
"""

from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.errors import ActionError
from core.reference import city
from registry.models import NumberCounter
from rules.emission import StageDecision
from rules.regno import SERIAL_CAPACITY, RegistrationNumber, format_number


def allocate_number(*, category: str, district: str, stage_code: str) -> RegistrationNumber:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number must run inside the approval's transaction")
    c = city()
    prefix = f"{c.abbreviation}{district}{stage_code}"
    serial = _next_serial(prefix)
    if serial is None:
        # The prefix's first number: get_or_create runs in a savepoint, so two first
        # approvals both end up on the one row, the loser of the insert race through its
        # IntegrityError path.
        NumberCounter.objects.get_or_create(prefix=prefix)
        serial = _next_serial(prefix)
    if serial is None:
        raise ActionError(
            "serials_exhausted",
            _("号段%(prefix)s的序号已用完，请联系市级管理员") % {"prefix": prefix},
        )
    return format_number(category, c, district, stage_code, serial)


def _next_serial(prefix: str) -> int | None:
    """The prefix's next serial, its counter row locked until the transaction ends; None
    when there is no row for the prefix or its serials are used up (nothing is changed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "registry_numbercounter" SET "last_serial" = "last_serial" + 1 '
            'WHERE "prefix" = %s AND "last_serial" < %s RETURNING "last_serial"',
            [prefix, SERIAL_CAPACITY],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def numbered_fields(number: RegistrationNumber, decision: StageDecision) -> dict[str, Any]:
    """What a new Registration takes from its allocated number and its stage decision, the
    same for a first registration (approve) and a renumbering (engine retrofit)."""
    return {
        "number": number.full,
        "short_number": number.short,
        "category": number.category,
        "prefix": number.prefix_key,
        "serial": number.serial_value,
        "stage": decision.stage,
        "stage_rule": decision.rule.value,
        "stage_explanation": decision.explanation,
    }
