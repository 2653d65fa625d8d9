"""A realistic synthetic data set for load tests and the statistics: owners (people and
organisations with fleets), declarations in every status with their first round,
registrations with numbers that follow the counters, and their signs and cards in every
stage of Art. 9-10.

Fast: rows are built as plain tuples with explicit primary keys and written with COPY on
PostgreSQL and executemany elsewhere (no model instances, no signals, no per-row audit:
this is bulk data, not a history of actions). Numbers continue each prefix's counter, which
is moved on at the end, so the platform's own approvals go on without a gap; phones, ID
numbers and credit codes come from ranges the generator keeps to itself, so it can run
again on the same database.

Primary keys are taken from the tables' current maxima and the sequences reset at the end:
run it while nobody else writes to the database (a load-test set-up, not a live system).

Cards get a real QR signature only with `sign_cards` (Ed25519 costs ~75 µs a card);
without it the cards of generated machines do not verify, which a load test does not need.
"""

from __future__ import annotations

import json
import operator
import queue
import random
import threading
import time as clock
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.constants import AccountKind, Role
from accounts.models import User, seal_id_number
from core.reference import city, holiday_calendar
from registry.constants import (
    AcquisitionKind,
    CredentialStatus,
    Decision,
    DeclarationStatus,
    RegistrationStatus,
    RegistrationType,
)
from registry.models import Credential, Declaration, DeclarationRound, NumberCounter, Registration
from rules.cardsig import Claim, sign
from rules.deadlines import NOTICE_WORKING_DAYS, REVIEW_WORKING_DAYS, SIGN_PHOTO_DAYS
from rules.emission import Rule
from rules.identifiers import credit_code_check_char, id_check_char
from rules.regno import SERIAL_ALPHABET, SERIAL_CAPACITY, serial_to_text
from rules.workdays import HolidayCalendar, MissingYearError
from stats import summary

# Phones 14x xxxx xxxx are the generator's (no demo or test account uses them); the
# generated reviewers who approve are 199 0000 0xxx.
PHONE_PREFIX = "14"
REVIEWER_PHONE = "1990000{:04d}"
ID_REGION = "310104"  # 徐汇: ID numbers of generated people
CREDIT_PREFIX = "913101"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BATCH = 5000  # rows per executemany
CHUNK = 20_000  # machines built in memory before they are written

# Shares, roughly as Shanghai's 2019 survey found them: the big outer districts and the
# port areas hold most machines; forklifts and excavators dominate; diesel nearly always.
DISTRICT_WEIGHTS = {
    "L": 22, "J": 8, "K": 9, "M": 7, "P": 7, "R": 5, "Q": 6, "N": 4, "S": 3,
    "H": 2, "F": 2, "D": 2, "E": 1, "A": 1, "B": 1, "G": 1, "T": 3, "U": 4, "V": 6, "W": 6,
}  # fmt: skip
TYPE_WEIGHTS = {
    "叉车": 40, "挖掘机": 18, "装载机": 7, "起重机": 6, "压路机": 3, "推土机": 2,
    "摊铺机": 1, "平地机": 1, "桩工机械": 3, "堆高机": 5, "牵引车": 4, "摆渡车": 2,
    "场内车辆": 8,
}  # fmt: skip
FUEL_WEIGHTS = {"柴油": 86, "电动": 7, "汽油": 2, "天然气": 2, "液化石油气": 2, "混合动力": 1}
SITE_TYPES = ("工地", "港口", "厂区", "物流园区", "码头堆场", "机场", "其他")
MAKERS = ("三一重工", "徐工集团", "柳工", "中联重科", "杭叉集团", "合力叉车", "卡特彼勒", "小松")
APPROVED = DeclarationStatus.APPROVED
DECLARATION_STATUS_WEIGHTS = {
    DeclarationStatus.APPROVED: 86,
    DeclarationStatus.SUBMITTED: 6,
    DeclarationStatus.RETURNED: 3,
    DeclarationStatus.REFUSED: 1,
    DeclarationStatus.DRAFT: 4,
}
REGISTRATION_STATUS_WEIGHTS = {
    RegistrationStatus.VALID: 92,
    RegistrationStatus.SUSPENDED: 1,
    RegistrationStatus.DEREGISTERED: 4,
    RegistrationStatus.TRANSFERRED_OUT: 3,
}
CREDENTIAL_STATUS_WEIGHTS = {
    CredentialStatus.FIXED: 80,
    CredentialStatus.PENDING: 4,
    CredentialStatus.PRODUCED: 3,
    CredentialStatus.READY: 4,
    CredentialStatus.COLLECTED: 5,
    CredentialStatus.PHOTO_SUBMITTED: 4,
}


@dataclass(frozen=True)
class Generated:
    owners: int
    declarations: int
    registrations: int
    credentials: int
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields]


NULL = "\\N"  # COPY's text format: NULL, tab between columns, newline after a row


def _json_text(value: Any) -> str:
    # Backslashes are COPY's escape character: double them (JSON's own escapes included).
    return json.dumps(value, ensure_ascii=False).replace("\\", "\\\\")


def _constant_text(field: models.Field[Any, Any], value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(field, models.JSONField):
        return _json_text(value)
    if isinstance(field, models.BooleanField):
        return "t" if value else "f"
    if isinstance(value, str):
        return str.__str__(value)  # a TextChoices member as its plain value
    return str(value)


class _Layout:
    """How the generator's tuples of a table become rows: `names` are the columns each
    tuple gives, in order; `fixed` are columns with the same value in every row; every
    other column takes its field's default. `line` makes one row of COPY's text format
    with one f-string compiled for the table (a slot per column, the fixed and default
    columns one constant tail), about a microsecond a row; `full` makes the tuple in the
    model's column order for executemany. Generated text never holds a tab, a newline or a
    backslash, so only JSON needs escaping."""

    def __init__(
        self, model: type[models.Model], names: tuple[str, ...], fixed: dict[str, Any]
    ) -> None:
        self.model = model
        fields = {f.attname: f for f in _columns(model)}
        unknown = set(names) - set(fields)
        if unknown:
            raise ValueError(f"no such columns in {model.__name__}: {sorted(unknown)}")
        rest = [f for f in fields.values() if f.attname not in names]
        ordered = [fields[name] for name in names] + rest
        values = {
            f.attname: fixed[f.attname] if f.attname in fixed else f.get_default() for f in rest
        }
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        self.statement = f"COPY {table} ({', '.join(quote(f.column) for f in ordered)}) FROM STDIN"
        tail = "".join("\t" + _constant_text(f, values[f.attname]) for f in rest)
        namespace: dict[str, Any] = {"NULL": NULL, "_json_text": _json_text, "TAIL": tail}
        slots = []
        for i, name in enumerate(names):
            field = fields[name]
            value = f"t[{i}]"
            if isinstance(field, models.JSONField):
                slot = f"{{_json_text({value})}}"
            elif isinstance(field, models.BooleanField):
                slot = f"{{('t' if {value} else NULL if {value} is None else 'f')}}"
            elif field.null:
                slot = f"{{(NULL if (v := {value}) is None else v)}}"
            else:
                slot = f"{{{value}}}"
            slots.append(slot)
        source = 'def line(t):\n    return f"' + "\\t".join(slots) + '{TAIL}\\n"\n'
        exec(compile(source, f"<copy line of {model.__name__}>", "exec"), namespace)  # noqa: S102
        self.line = namespace["line"]
        # For executemany: the model's column order, defaults filled in.
        position = {name: i for i, name in enumerate(names)}
        self.picks = [
            (position[f.attname], None) if f.attname in position else (-1, values[f.attname])
            for f in fields.values()
        ]

    def full(self, rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
        picks = self.picks
        for row in rows:
            yield tuple(row[i] if i >= 0 else value for i, value in picks)


class _Writer:
    """Writes rows in the model's concrete-field order. On PostgreSQL, rows given as dicts
    become COPY text (`lines`) and a writer thread sends each chunk while the next one is
    built here (one COPY at a time on the one connection, so the order of the tables, and
    of the foreign keys, holds); elsewhere executemany in batches (values adapted here, the
    way Django stores them)."""

    def __init__(self) -> None:
        self.rows = 0
        self.postgres = connection.vendor == "postgresql"
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=2)
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def tuples(self, layout: _Layout, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self.postgres:
            self.write(layout.model, layout.full(rows))
            return
        self._send(layout.statement, "".join(map(layout.line, rows)))
        self.rows += len(rows)

    def _send(self, statement: str, text: str) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, args=(cursor_of(),), daemon=True)
            self.thread.start()
        if self.error is not None:
            raise self.error
        self.queue.put((statement, text))

    def _run(self, raw: Any) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the caller raises it
            statement, text = item
            try:
                with raw.copy(statement) as copy:
                    copy.write(text)
            except BaseException as error:  # handed to the caller's thread
                self.error = error

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        failed = exc[0] is not None
        if failed and self.thread is not None:
            self.error = self.error or RuntimeError("stopped")  # the thread skips the rest
        self.finish(raising=not failed)  # a failure here is the one to report

    def finish(self, *, raising: bool = True) -> None:
        """Wait for the writer thread: the connection is the caller's again."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if raising and self.error is not None:
            raise self.error

    def write(self, model: type[models.Model], rows: Iterable[Sequence[Any]]) -> None:
        self.finish()  # one statement at a time on the connection
        fields = _columns(model)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            if self.postgres:
                # psycopg sends dates, times and decimals as they are; JSON goes as text.
                json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
                raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
                statement = f"COPY {table} ({names}) FROM STDIN"
                with raw.copy(statement) as copy:
                    for row in rows:
                        if json_columns:
                            row = list(row)
                            for i in json_columns:
                                row[i] = json.dumps(row[i])
                        copy.write_row(row)
                        self.rows += 1
                return
            # Table and column names come from the models, never from input.
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
            adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f)) is not None]
            batch: list[list[Any]] = []
            for row in rows:
                values = list(row)
                for i, adapt in adapters:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                batch.append(values)
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    self.rows += len(batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
                self.rows += len(batch)


def cursor_of() -> Any:
    """psycopg's own cursor of Django's connection (Django's wrapper has no copy())."""
    connection.ensure_connection()
    return connection.connection.cursor()


def _utc_text(value: datetime | str) -> str:
    if isinstance(value, str):  # the generator's moments, already text with their offset
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _date_text(value: date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _adapter(field: models.Field[Any, Any]) -> Any:
    """How Django's SQLite backend stores a field's values (datetimes in UTC without an
    offset, dates as ISO text, decimals as text, JSON as text); None: as they are."""
    if isinstance(field, models.DateTimeField):
        return _utc_text
    if isinstance(field, models.DateField):
        return _date_text
    if isinstance(field, models.DecimalField):
        return str
    if isinstance(field, models.JSONField):
        return json.dumps
    return None


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(models_: Sequence[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(_no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _no_style() -> Any:
    from django.core.management.color import no_style

    return no_style()


def _weighted(rng: random.Random, weights: dict[Any, int], n: int) -> list[Any]:
    return rng.choices(list(weights), weights=list(weights.values()), k=n)


def _base31(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, len(CREDIT_ALPHABET))
        chars.append(CREDIT_ALPHABET[digit])
    return "".join(reversed(chars))


@cache
def _zone() -> tzinfo:
    return timezone.get_default_timezone()


class _Clock:
    """Moments of generated data in the local zone, each with the fixed UTC offset in force
    that day (one tzinfo object per offset): comparing two of them is then a plain
    comparison, not two zone look-ups, and the local day is the moment's own date."""

    def __init__(self, now: datetime) -> None:
        self.offsets: dict[timedelta, tzinfo] = {}
        self.days: dict[date, datetime] = {}
        self.now = self.local(now)

    def local(self, moment: datetime) -> datetime:
        offset = moment.astimezone(_zone()).utcoffset() or timedelta(0)
        zone = self.offsets.setdefault(offset, dt_timezone(offset))
        return moment.astimezone(zone)

    def office(self, day: date, rng: random.Random) -> datetime:
        """A moment in office hours (8:00 to 18:00) of `day`."""
        base = self.days.get(day)
        if base is None:
            base = self.days[day] = self.local(datetime.combine(day, time(8), tzinfo=_zone()))
        return base + timedelta(seconds=int(rng.random() * 10 * 3600))


def _local_day(moment: datetime) -> date:
    """The local day of a moment made by _Clock (office hours: far from a change of offset)."""
    return moment.date()


def _stage_for(production: date, fuel: str, rng: random.Random) -> tuple[int, str]:
    """The stage a machine of that age most likely has, and the rule that decided it."""
    if fuel == "电动":
        return 4, Rule.MACHINE_LABEL.value
    if production < date(2009, 10, 1):
        return (1 if rng.random() < 0.7 else 2), Rule.DIESEL_PRODUCTION_DATE.value
    if production < date(2016, 4, 1):
        return (2 if rng.random() < 0.5 else 3), Rule.ENGINE_TYPE_APPROVAL.value
    if production < date(2022, 12, 1):
        return 3, Rule.MACHINE_LABEL.value
    return 4, Rule.MACHINE_LABEL.value


class _Dues:
    """Working-day due dates, computed once per day (a few hundred distinct days)."""

    def __init__(self, calendar: HolidayCalendar) -> None:
        self.calendar = calendar
        self.cache: dict[tuple[date, int], date | None] = {}

    def __call__(self, start: date, days: int) -> date | None:
        key = (start, days)
        if key not in self.cache:
            try:
                self.cache[key] = self.calendar.add_working_days(start, days)
            except MissingYearError:
                self.cache[key] = None  # as registry does for a year the table lacks
        return self.cache[key]


def _reviewers() -> dict[str, int]:
    """One generated reviewer per district, who approves the generated machines."""
    ids = {}
    for i, district in enumerate(city().districts):
        user, _created = User.objects.get_or_create(
            phone=REVIEWER_PHONE.format(i),
            defaults={
                "name": f"{district.name}审核员（生成）",
                "role": Role.REVIEWER,
                "district": district.code,
                "password": make_password(None),
            },
        )
        ids[district.code] = user.pk
    return ids


def _owner(k: int, pk: int, is_org: bool, password: str, joined: datetime) -> dict[str, Any]:
    """The k-th generated owner (a person or an organisation), as a row of User. Its phone,
    ID number or credit code follow from k alone, so a second run (k continuing from the
    generated owners already there) repeats none of them."""
    values: dict[str, Any] = {
        "id": pk,
        "password": password,
        "last_login": None,
        "is_superuser": False,
        "kind": AccountKind.ORGANISATION if is_org else AccountKind.PERSON,
        "role": Role.OWNER,
        "phone": f"{PHONE_PREFIX}{k:09d}",
        "id_number_enc": None,
        "id_number_hash": None,
        "credit_code": None,
        "legal_representative": "",
        "contact_name": "",
        "district": "",
        "department": "",
        "is_active": True,
        "date_joined": joined,
    }
    if is_org:
        body = CREDIT_PREFIX + _base31(k, 11)
        values["credit_code"] = body + credit_code_check_char(body)
        values["name"] = f"上海生成{k}号工程有限公司"
        values["legal_representative"] = f"法人{k}"
        values["contact_name"] = f"联系人{k}"
    else:
        born = date(1960, 1, 1) + timedelta(days=k // 900)
        body = f"{ID_REGION}{born:%Y%m%d}{k % 900 + 100:03d}"
        # Sealed like every ID number (accounts.models.seal_id_number).
        values["id_number_enc"], values["id_number_hash"] = seal_id_number(
            body + id_check_char(body)
        )
        values["name"] = f"机主{k}"
    return values


@cache
def _serial_head(high: int) -> str:
    return serial_to_text(high * len(SERIAL_ALPHABET) ** 2 or 1)[:-2]


@cache
def _serial_tails() -> tuple[str, ...]:
    return tuple(a + b for a in SERIAL_ALPHABET for b in SERIAL_ALPHABET)


def _serial_text(serial: int) -> str:
    """rules.regno.serial_to_text in two look-ups (the generator makes one per machine)."""
    if not 1 <= serial <= SERIAL_CAPACITY:
        return serial_to_text(serial)  # raises, with the rule's message
    high, low = divmod(serial, len(SERIAL_ALPHABET) ** 2)
    return _serial_head(high) + _serial_tails()[low]


@contextmanager
def _bulk_load(models_: Sequence[type[models.Model]], adding: int) -> Iterator[None]:
    """On PostgreSQL, when the load at least doubles the tables: drop their foreign keys,
    unique constraints and indexes (not the primary keys) for the load and make them again
    after it, in the same transaction, so every row is checked all the same before the
    commit. A foreign key added back checks every row in one join, and an index built at
    the end sorts once, both far cheaper than a trigger and a dozen index insertions per
    row. Check constraints stay: they hold row by row during the load itself.
    A small load into big tables keeps them. Not on SQLite: nothing of this there."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        # Bulk data: losing the last commit in a crash loses nothing of value.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Foreign keys kept (small loads) are checked row by row as COPY loads them (parents
        # are written first), not queued by the million until the commit. This also checks
        # what the transaction wrote before, which lets the tables be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        present = 0
        for model in models_:
            # Counting stops at `adding`: cheap whatever the table's size.
            sql = f"SELECT count(*) FROM (SELECT 1 FROM {connection.ops.quote_name(model._meta.db_table)} LIMIT %s) s"  # noqa: S608, E501
            cursor.execute(sql, [adding])
            present += cursor.fetchone()[0]
        if adding < present:
            yield
            return
        # Foreign keys, then unique constraints no foreign key leans on; added back in the
        # reverse order. Primary keys stay (the foreign keys point at them).
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[]) AND (contype = 'f' OR (contype = 'u' AND"
            " conindid NOT IN (SELECT conindid FROM pg_constraint WHERE contype = 'f')))"
            " ORDER BY contype, conname",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary"
            " AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        # The dashboard's counts are rebuilt in one GROUP BY after the load instead.
        table, trigger = summary.PG_ROW_TRIGGER
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        # Names come from the catalogue, quoted by it (regclass) or here.
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in reversed(constraints):
            quoted = connection.ops.quote_name(name)
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition}")
        summary.rebuild(connection)
        table, trigger = summary.PG_ROW_TRIGGER
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def generate(
    machines: int,
    *,
    seed: int = 2026,
    today: date | None = None,
    days: int = 730,
    sign_cards: bool = False,
) -> Generated:
    """Add `machines` registered machines with their owners, declarations, first rounds,
    signs and cards, and about 16% more declarations that are not registered (in review,
    returned, refused, drafts), to the database, in one transaction."""
    if machines < 1:
        raise ValueError("machines must be at least 1")
    started = clock.perf_counter()
    rng = random.Random(seed)
    random_ = rng.random
    today = today or timezone.localdate()
    moments = _Clock(timezone.now())
    now = moments.now
    office = moments.office
    calendar = holiday_calendar()
    covered = sorted(calendar.years)
    first_day = today - timedelta(days=days)
    # Keep submissions inside years the holiday table covers (review_due needs them).
    while covered and first_day.year not in calendar.years and first_day.year < covered[-1]:
        first_day = date(first_day.year + 1, 1, 1)
    dues = _Dues(calendar)
    c = city()
    district_codes = c.district_codes()
    district_weights = {k: v for k, v in DISTRICT_WEIGHTS.items() if k in district_codes} or {
        code: 1 for code in district_codes
    }
    type_names = {t.name for t in c.machine_types}
    type_weights = {k: v for k, v in TYPE_WEIGHTS.items() if k in type_names} or {
        name: 1 for name in type_names
    }
    fuel_weights = {k: v for k, v in FUEL_WEIGHTS.items() if k in c.fuel_types} or {
        c.fuel_types[0]: 1
    }
    site_types = [s for s in SITE_TYPES if s in c.site_types] or list(c.site_types)
    machine_types = {t.name: t for t in c.machine_types}
    district_names = {d.code: d.name for d in c.districts}
    writer = _Writer()
    password = make_password(None)  # unusable: generated owners never log in
    tables = (User, Declaration, DeclarationRound, Registration, Credential)
    # Plain str values (not TextChoices members): they go into text as they are.
    approved, draft = str(APPROVED.value), str(DeclarationStatus.DRAFT.value)
    decision_of = {
        approved: str(Decision.APPROVED.value),
        str(DeclarationStatus.REFUSED.value): str(Decision.REFUSED.value),
        str(DeclarationStatus.RETURNED.value): str(Decision.RETURNED.value),
    }
    registration_types = (
        str(RegistrationType.MACHINE.value),
        str(RegistrationType.IN_PLANT.value),
    )
    with transaction.atomic(), _bulk_load(tables[1:], machines * 5), writer:
        reviewers = _reviewers()
        # --- owners: a quarter of the machines' count; organisations own fleets.
        owner_count = max(1, machines // 4)
        user_id = _next_id(User)
        existing = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
        owners: list[int] = []
        organisations: list[int] = []
        user_rows = []
        joined = timezone.make_aware(datetime.combine(first_day, time(9)))
        for k in range(existing, existing + owner_count):
            is_org = random_() < 0.3
            (organisations if is_org else owners).append(user_id)
            user_rows.append(_owner(k, user_id, is_org, password, joined))
            user_id += 1
            if len(user_rows) >= CHUNK:
                writer.write(User, _rows(User, user_rows))
                user_rows.clear()
        writer.write(User, _rows(User, user_rows))
        everyone = owners + organisations

        # --- declarations and their first round
        declaration_id = _next_id(Declaration)
        round_id = _next_id(DeclarationRound)
        registration_id = _next_id(Registration)
        credential_id = _next_id(Credential)
        counters = dict(NumberCounter.objects.values_list("prefix", "last_serial"))
        # `machines` registered machines, and the declarations that did not (or not yet)
        # lead to one in proportion: in review, returned, refused, drafts.
        others = {str(k.value): v for k, v in DECLARATION_STATUS_WEIGHTS.items() if k != APPROVED}
        extra = round(machines * sum(others.values()) / DECLARATION_STATUS_WEIGHTS[APPROVED])
        statuses = [approved] * machines + _weighted(rng, others, extra)
        rng.shuffle(statuses)
        total = len(statuses)
        districts = _weighted(rng, district_weights, total)
        types = _weighted(rng, type_weights, total)
        fuels = _weighted(rng, fuel_weights, total)
        registration_statuses = _weighted(
            rng, {str(k.value): v for k, v in REGISTRATION_STATUS_WEIGHTS.items()}, total
        )
        credential_statuses = _weighted(rng, CREDENTIAL_STATUS_WEIGHTS, total)
        span = max((today - first_day).days, 1)
        declarations: list[tuple[Any, ...]] = []
        rounds: list[tuple[Any, ...]] = []
        registrations: list[tuple[Any, ...]] = []
        credentials: list[tuple[Any, ...]] = []
        keys = settings.NRMM_CARD_KEYS
        layouts = _layouts(keys.active_kid)
        totals = {"declarations": 0, "registrations": 0, "credentials": 0}
        # Pools: every possible value of the small fields, made once.
        days_ago = [today - timedelta(days=n) for n in range(26)]
        submitted_days = [first_day + timedelta(days=n) for n in range(span + 1)]
        produced_days = [date(2004, 1, 1) + timedelta(days=n) for n in range(7900)]
        acquired_gaps = [timedelta(days=1 + n) for n in range(45)]
        latest_production = today - timedelta(days=40)
        n_sites = len(site_types)
        n_orgs = len(organisations)
        n_everyone = len(everyone)
        addresses = {
            code: [f"{name}生成路{n}号" for n in range(1, 998)]
            for code, name in district_names.items()
        }
        model_index = {t: i for i, t in enumerate(sorted(type_names))}
        machine_models = [
            f"{t[:1]}{n % 90 + 10}-{n % 9 + 1}" for t in sorted(type_names) for n in range(810)
        ]
        powers = [Decimal(n) / 10 for n in range(150, 3000)]
        engine_models = [f"E{n}" for n in range(100, 1000)]
        took_choices = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 2, 3, 5)
        abbreviation = c.abbreviation
        electric = "电动"
        now_text = str(now)
        generated = "生成数据"
        review_days = REVIEW_WORKING_DAYS

        def flush() -> None:
            # Parents first: the foreign keys still there are checked as the rows arrive.
            writer.tuples(layouts[Declaration], declarations)
            writer.tuples(layouts[DeclarationRound], rounds)
            writer.tuples(layouts[Registration], registrations)
            writer.tuples(layouts[Credential], credentials)
            totals["declarations"] += len(declarations)
            totals["registrations"] += len(registrations)
            totals["credentials"] += len(credentials)
            for rows in (declarations, rounds, registrations, credentials):
                rows.clear()  # already text on its way to the writer thread

        for i in range(total):
            if len(declarations) >= CHUNK:
                flush()
            if n_orgs and (random_() < 0.7 or not owners):
                # Fleets: a few organisations own many machines, most a handful.
                owner = organisations[int(n_orgs * random_() ** 3)]
            else:
                owner = everyone[int(n_everyone * random_())]
            district, mtype, fuel, status = districts[i], types[i], fuels[i], statuses[i]
            machine_type = machine_types[mtype]
            produced = min(produced_days[int(random_() * 7900)], latest_production)
            stage, rule = _stage_for(produced, fuel, rng)
            submitted_day = submitted_days[int(span * random_() ** 0.8)]
            acquired = max(produced, submitted_day - acquired_gaps[int(random_() * 45)])
            pk = declaration_id
            declaration_id += 1
            submitted = status != draft
            decided_at: datetime | None = None
            submitted_at: datetime | None
            due: date | None
            decision = decision_of.get(status, "")
            if decision:
                submitted_at = office(submitted_day, rng)
                due = dues(submitted_day, review_days)
                # Most decisions come within the 10 working days, some later.
                took = took_choices[int(random_() * 15)]
                decided_day = min(dues(submitted_day, took) or submitted_day, today)
                decided_at = min(max(office(decided_day, rng), submitted_at), now)
            elif submitted:
                # Pending ones are recent; a few have passed their due date.
                submitted_day = days_ago[int(random_() * 26)]
                submitted_at = min(office(submitted_day, rng), now)
                due = dues(submitted_day, review_days)
            else:
                submitted_at = due = None
            # Each moment as text once: it goes into up to five columns of four tables.
            sub_text = None if submitted_at is None else str(submitted_at)
            dec_text = None if decided_at is None else str(decided_at)
            produced_text = str(produced)
            in_plant = machine_type.in_plant
            engine = fuel != electric
            declarations.append(
                (
                    pk,
                    owner,
                    owner,
                    status,
                    5 if submitted else pk % 5,
                    district,
                    site_types[int(random_() * n_sites)],
                    addresses[district][pk % 997],
                    registration_types[in_plant],
                    mtype,
                    mtype,
                    machine_models[model_index[mtype] * 810 + pk % 810],
                    MAKERS[pk % 8],
                    produced_text,
                    f"SN{pk:010d}",
                    acquired,
                    f"沪场{pk % 100000:05d}" if in_plant else "",
                    fuel,
                    MAKERS[(pk // 7) % 8] if engine else "",
                    produced_text if engine else None,
                    engine_models[pk % 900] if engine else "",
                    f"ES{pk:09d}" if engine else "",
                    powers[pk * 37 % 2850] if engine else None,
                    stage if engine else None,
                    stage if submitted else None,
                    rule if submitted else "",
                    generated if submitted else "",
                    submitted and (submitted_day - acquired).days > 30,
                    1 if submitted else 0,
                    sub_text,
                    due,
                    dec_text,
                    sub_text or office(submitted_day, rng),
                    dec_text or sub_text or now_text,
                )
            )
            if submitted:
                rounds.append(
                    (
                        round_id,
                        pk,
                        sub_text,
                        owner,
                        decision,
                        reviewers[district] if decision else None,
                        dec_text,
                        "" if decision in ("", approved) else generated,
                    )
                )
                round_id += 1
            if status != approved:
                continue
            prefix = f"{abbreviation}{district}{stage}"
            serial = counters.get(prefix, 0) + 1
            counters[prefix] = serial
            short = f"{prefix}-{_serial_text(serial)}"
            reg_status = registration_statuses[i]
            assert decided_at is not None
            category = machine_type.category
            registrations.append(
                (
                    registration_id,
                    pk,
                    owner,
                    f"{category}{short}",
                    short,
                    category,
                    prefix,
                    serial,
                    district,
                    stage,
                    rule,
                    reg_status,
                    reviewers[district],
                    dec_text,
                    district,
                    decided_at.date(),
                )
            )
            credentials.append(
                _credential(
                    rng,
                    credential_statuses[i],
                    credential_id,
                    registration_id,
                    district,
                    decided_at,
                    dec_text,
                    reg_status,
                    today,
                    now,
                    dues,
                    sign(Claim(short, 1, keys.active_kid), keys.active) if sign_cards else "",
                )
            )
            registration_id += 1
            credential_id += 1
        flush()
        writer.finish()
        for prefix, last in counters.items():
            updated = NumberCounter.objects.filter(prefix=prefix).update(last_serial=last)
            if not updated:
                NumberCounter.objects.create(prefix=prefix, last_serial=last)
        _reset_sequences(list(tables))
    return Generated(
        owners=owner_count,
        declarations=totals["declarations"],
        registrations=totals["registrations"],
        credentials=totals["credentials"],
        rows=writer.rows,
        seconds=clock.perf_counter() - started,
    )


def _layouts(kid: str) -> dict[type[models.Model], _Layout]:
    """The columns of each table's tuples, in the order the generator builds them."""
    return {
        Declaration: _Layout(
            Declaration,
            (
                "id", "owner_id", "declared_by_id", "status", "step", "district", "site_type",
                "site_address", "registration_type", "machine_type", "machine_name",
                "machine_model", "maker", "production_date", "factory_serial",
                "acquisition_date", "in_plant_plate", "fuel_type", "engine_maker",
                "engine_production_date", "engine_model", "engine_serial", "engine_power_kw",
                "engine_stage", "stage", "stage_rule", "stage_explanation", "late", "rounds",
                "submitted_at", "review_due", "decided_at", "created_at", "updated_at",
            ),
            {
                "acquisition_kind": AcquisitionKind.PURCHASE.value,
                "has_nameplates": True,
                "warnings": [],
            },
        ),
        DeclarationRound: _Layout(
            DeclarationRound,
            (
                "id", "declaration_id", "submitted_at", "submitted_by_id", "decision",
                "decided_by_id", "decided_at", "reason",
            ),
            {"number": 1, "snapshot": {}, "field_reasons": {}},
        ),
        Registration: _Layout(
            Registration,
            (
                "id", "declaration_id", "owner_id", "number", "short_number", "category",
                "prefix", "serial", "district", "stage", "stage_rule", "status",
                "approved_by_id", "issued_at", "location_district", "location_since",
            ),
            {"stage_explanation": "生成数据"},
        ),
        Credential: _Layout(
            Credential,
            (
                "id", "registration_id", "status", "district", "signature", "created_at",
                "produced_at", "notice_due", "notified_at", "collection_place", "pickup_code",
                "collected_at", "collector_name", "photo_due", "fixed_at", "revoked_at",
                "revoked_reason",
            ),
            {"issue": 1, "reason": "first", "kid": kid},
        ),
    }  # fmt: skip


_ORDER: list[str] = [
    CredentialStatus.PENDING.value,
    CredentialStatus.PRODUCED.value,
    CredentialStatus.READY.value,
    CredentialStatus.COLLECTED.value,
    CredentialStatus.PHOTO_SUBMITTED.value,
    CredentialStatus.FIXED.value,
]
_STEP = {status: i for i, status in enumerate(_ORDER)}
_VALID = RegistrationStatus.VALID.value
_REVOKED = CredentialStatus.REVOKED.value
_DAYS = [timedelta(days=n) for n in range(400)]
_PLACE = "区生态环境局受理窗口"
_REVOKED_REASON = "生成数据：登记已非有效"


def _credential(
    rng: random.Random,
    status: str,
    pk: int,
    registration: int,
    district: str,
    approved_at: datetime,
    approved_text: str | None,
    reg_status: str,
    today: date,
    now: datetime,
    dues: _Dues,
    signature: str,
) -> tuple[Any, ...]:
    """The first sign and card of a registration (a tuple in _layouts' Credential order),
    somewhere between production and fixed; the later stages only when the approval is
    old enough for them."""
    age = (today - approved_at.date()).days
    if reg_status != _VALID:
        revoked = min(approved_at + timedelta(days=max(age // 2, 1)), now)
        return (pk, registration, _REVOKED, district, signature, approved_text,
                None, None, None, "", "", None, "", None, None, revoked,
                _REVOKED_REASON)  # fmt: skip
    # A recent approval cannot be far along: one stage per three days at most.
    step = min(_STEP[status], 5, age // 3)
    if step == 0:
        return (pk, registration, _ORDER[0], district, signature, approved_text,
                None, None, None, "", "", None, "", None, None, None, "")  # fmt: skip

    def at(offset: int) -> datetime:
        moment = approved_at + (_DAYS[offset] if offset < 400 else timedelta(days=offset))
        return moment if moment < now else now

    produced = at(max(age // 6, 1) if step == 1 else 2)
    notice_due = dues(produced.date(), NOTICE_WORKING_DAYS)
    notified = place = pickup = collected = collector = photo_due = fixed = None
    place = pickup = collector = ""
    if step >= 2:
        notified = at(3)
        place = _PLACE
        pickup = f"{int(rng.random() * 1_000_000):06d}"
    if step >= 3:
        collected = at(5 if step > 3 else max(age // 2, 5))
        collector = "生成数据"
        photo_due = collected.date() + timedelta(days=SIGN_PHOTO_DAYS)
    if step >= 5:
        fixed = at(9)
    return (pk, registration, _ORDER[step], district, signature, approved_text, produced,
            notice_due, notified, place, pickup, collected, collector, photo_due, fixed,
            None, "")  # fmt: skip


def _rows(model: type[models.Model], items: list[dict[str, Any]]) -> Iterable[tuple[Any, ...]]:
    """Tuples in column order; a field left out gets its default ("" for text, None...).
    The merge and the pick are single C-level operations per row."""
    fields = _columns(model)
    defaults = {f.attname: f.get_default() for f in fields}
    pick = operator.itemgetter(*(f.attname for f in fields))
    for item in items:
        yield pick({**defaults, **item})
