"""Number allocation (Art. 8, 附件2): per prefix, serials in order, no gaps, no duplicates.

The caller's transaction holds the counter row's lock until it commits, so concurrent
approvals of the same prefix queue up; if the approval rolls back, so does the counter,
which is why no serial is ever skipped. The unique constraint on Registration backs it.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ActionError
from core.reference import city
from registry.models import NumberCounter
from rules.regno import SERIAL_CAPACITY, RegistrationNumber, format_number


def allocate_number(*, category: str, district: str, stage_code: str) -> RegistrationNumber:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number must run inside the approval's transaction")
    c = city()
    prefix = f"{c.abbreviation}{district}{stage_code}"
    # get_or_create runs in a savepoint: two first approvals of a prefix both end up
    # reading the one row, the loser of the insert race through its IntegrityError path.
    NumberCounter.objects.get_or_create(prefix=prefix)
    counter = NumberCounter.objects.select_for_update().get(prefix=prefix)
    serial = counter.last_serial + 1
    if serial > SERIAL_CAPACITY:
        raise ActionError(
            "serials_exhausted",
            _("号段%(prefix)s的序号已用完，请联系市级管理员") % {"prefix": prefix},
        )
    counter.last_serial = serial
    counter.save(update_fields=["last_serial"])
    return format_number(category, c, district, stage_code, serial)
