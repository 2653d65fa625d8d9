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
import random
import time as clock
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
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
from rules.regno import serial_to_text
from rules.workdays import HolidayCalendar, MissingYearError

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


class _Writer:
    """Writes tuples in the model's concrete-field order: COPY on PostgreSQL, executemany
    in batches elsewhere (values adapted here, the way Django stores them)."""

    def __init__(self) -> None:
        self.rows = 0
        self.postgres = connection.vendor == "postgresql"

    def write(self, model: type[models.Model], rows: Iterable[Sequence[Any]]) -> None:
        fields = _columns(model)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            if self.postgres:
                # psycopg sends dates, times and decimals as they are; JSON goes as text.
                json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
                from psycopg.copy import QueuedLibpqWriter

                raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
                # A writer thread sends the data while the next rows are built here.
                statement = f"COPY {table} ({names}) FROM STDIN"
                with raw.copy(statement, writer=QueuedLibpqWriter(raw)) as copy:
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


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _adapter(field: models.Field[Any, Any]) -> Any:
    """How Django's SQLite backend stores a field's values (datetimes in UTC without an
    offset, dates as ISO text, decimals as text, JSON as text); None: as they are."""
    if isinstance(field, models.DateTimeField):
        return _utc_text
    if isinstance(field, models.DateField):
        return date.isoformat
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


def _local_day(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


def _aware(day: date, rng: random.Random) -> datetime:
    """A moment in office hours of `day`, local time."""
    seconds = 8 * 3600 + int(rng.random() * 10 * 3600)
    moment = time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    return datetime.combine(day, moment, tzinfo=_zone())


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
    today = today or timezone.localdate()
    now = timezone.now()
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
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Check foreign keys row by row as COPY loads them (parents are written first)
            # instead of queueing millions of deferred checks until the commit.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
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
            is_org = rng.random() < 0.3
            pk = user_id
            user_id += 1
            (organisations if is_org else owners).append(pk)
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
            user_rows.append(values)
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
        others = {k: v for k, v in DECLARATION_STATUS_WEIGHTS.items() if k != APPROVED}
        extra = round(machines * sum(others.values()) / DECLARATION_STATUS_WEIGHTS[APPROVED])
        statuses = [APPROVED] * machines + _weighted(rng, others, extra)
        rng.shuffle(statuses)
        total = len(statuses)
        districts = _weighted(rng, district_weights, total)
        types = _weighted(rng, type_weights, total)
        fuels = _weighted(rng, fuel_weights, total)
        registration_statuses = _weighted(rng, REGISTRATION_STATUS_WEIGHTS, total)
        credential_statuses = _weighted(rng, CREDENTIAL_STATUS_WEIGHTS, total)
        span = max((today - first_day).days, 1)
        declarations: list[dict[str, Any]] = []
        rounds: list[dict[str, Any]] = []
        registrations: list[dict[str, Any]] = []
        credentials: list[dict[str, Any]] = []
        keys = settings.NRMM_CARD_KEYS
        totals = {"declarations": 0, "registrations": 0, "credentials": 0}

        def flush() -> None:
            # Parents first: the foreign keys are checked as the rows arrive.
            writer.write(Declaration, _rows(Declaration, declarations))
            writer.write(DeclarationRound, _rows(DeclarationRound, rounds))
            writer.write(Registration, _rows(Registration, registrations))
            writer.write(Credential, _rows(Credential, credentials))
            totals["declarations"] += len(declarations)
            totals["registrations"] += len(registrations)
            totals["credentials"] += len(credentials)
            for rows in (declarations, rounds, registrations, credentials):
                rows.clear()

        for i in range(total):
            if len(declarations) >= CHUNK:
                flush()
            if organisations and (rng.random() < 0.7 or not owners):
                # Fleets: a few organisations own many machines, most a handful.
                owner = organisations[int(len(organisations) * rng.random() ** 3)]
            else:
                owner = everyone[rng.randrange(len(everyone))]
            district, mtype, fuel, status = districts[i], types[i], fuels[i], statuses[i]
            machine_type = machine_types[mtype]
            produced = date(2004, 1, 1) + timedelta(days=int(rng.random() * 7900))
            produced = min(produced, today - timedelta(days=40))
            stage, rule = _stage_for(produced, fuel, rng)
            submitted_day = first_day + timedelta(days=int(span * rng.random() ** 0.8))
            acquired = max(produced, submitted_day - timedelta(days=1 + int(rng.random() * 45)))
            pk = declaration_id
            declaration_id += 1
            submitted = status != DeclarationStatus.DRAFT
            submitted_at = _aware(submitted_day, rng) if submitted else None
            due = dues(submitted_day, REVIEW_WORKING_DAYS) if submitted else None
            decided_at = None
            if status in (
                DeclarationStatus.APPROVED,
                DeclarationStatus.REFUSED,
                DeclarationStatus.RETURNED,
            ):
                # Most decisions come within the 10 working days, some later.
                took = rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 2, 3, 5))
                decided_day = min(dues(submitted_day, took) or submitted_day, today)
                assert submitted_at is not None
                decided_at = min(max(_aware(decided_day, rng), submitted_at), now)
            elif status == DeclarationStatus.SUBMITTED:
                # Pending ones are recent; a few have passed their due date.
                submitted_day = today - timedelta(days=rng.randint(0, 25))
                submitted_at = min(_aware(submitted_day, rng), now)
                due = dues(submitted_day, REVIEW_WORKING_DAYS)
            in_plant = machine_type.in_plant
            serial_text = f"SN{pk:010d}"
            declarations.append(
                {
                    "id": pk,
                    "owner_id": owner,
                    "declared_by_id": owner,
                    "status": status,
                    "step": 5 if submitted else pk % 5,
                    "district": district,
                    "site_type": site_types[int(rng.random() * len(site_types))],
                    "site_address": f"{district_names[district]}生成路{pk % 997 + 1}号",
                    "registration_type": (
                        RegistrationType.IN_PLANT if in_plant else RegistrationType.MACHINE
                    ),
                    "machine_type": mtype,
                    "machine_name": mtype,
                    "machine_model": f"{mtype[:1]}{pk % 90 + 10}-{pk % 9 + 1}",
                    "maker": MAKERS[pk % len(MAKERS)],
                    "production_date": produced,
                    "factory_serial": serial_text,
                    "acquisition_kind": AcquisitionKind.PURCHASE,
                    "acquisition_date": acquired,
                    "in_plant_plate": f"沪场{pk % 100000:05d}" if in_plant else "",
                    "has_nameplates": True,
                    "fuel_type": fuel,
                    "engine_maker": "" if fuel == "电动" else MAKERS[(pk // 7) % len(MAKERS)],
                    "engine_production_date": None if fuel == "电动" else produced,
                    "engine_model": "" if fuel == "电动" else f"E{pk % 900 + 100}",
                    "engine_serial": "" if fuel == "电动" else f"ES{pk:09d}",
                    "engine_power_kw": (
                        None if fuel == "电动" else Decimal(150 + pk * 37 % 2850) / 10
                    ),
                    "engine_stage": None if fuel == "电动" else stage,
                    "stage": stage if submitted else None,
                    "stage_rule": rule if submitted else "",
                    "stage_explanation": "生成数据" if submitted else "",
                    "late": submitted and (submitted_day - acquired).days > 30,
                    "warnings": [],
                    "rounds": 1 if submitted else 0,
                    "submitted_at": submitted_at,
                    "review_due": due,
                    "decided_at": decided_at,
                    "created_at": submitted_at or _aware(submitted_day, rng),
                    "updated_at": decided_at or submitted_at or now,
                }
            )
            if submitted:
                decision = {
                    DeclarationStatus.APPROVED: Decision.APPROVED,
                    DeclarationStatus.REFUSED: Decision.REFUSED,
                    DeclarationStatus.RETURNED: Decision.RETURNED,
                }.get(status, "")
                rounds.append(
                    {
                        "id": round_id,
                        "declaration_id": pk,
                        "number": 1,
                        "submitted_at": submitted_at,
                        "submitted_by_id": owner,
                        "snapshot": {},
                        "decision": decision,
                        "decided_by_id": reviewers[district] if decision else None,
                        "decided_at": decided_at if decision else None,
                        "reason": "" if decision in ("", Decision.APPROVED) else "生成数据",
                        "field_reasons": {},
                    }
                )
                round_id += 1
            if status != DeclarationStatus.APPROVED:
                continue
            stage_code = str(stage)
            prefix = f"{c.abbreviation}{district}{stage_code}"
            serial = counters.get(prefix, 0) + 1
            counters[prefix] = serial
            short = f"{prefix}-{serial_to_text(serial)}"
            reg_status = registration_statuses[i]
            assert decided_at is not None
            issued_day = _local_day(decided_at)
            reg_pk = registration_id
            registration_id += 1
            registrations.append(
                {
                    "id": reg_pk,
                    "declaration_id": pk,
                    "owner_id": owner,
                    "number": f"{machine_type.category}{short}",
                    "short_number": short,
                    "category": machine_type.category,
                    "prefix": prefix,
                    "serial": serial,
                    "district": district,
                    "stage": stage,
                    "stage_rule": rule,
                    "stage_explanation": "生成数据",
                    "status": reg_status,
                    "approved_by_id": reviewers[district],
                    "issued_at": decided_at,
                    "location_district": district,
                    "location_since": issued_day,
                }
            )
            credentials.append(
                _credential(
                    rng,
                    credential_statuses[i],
                    credential_id,
                    reg_pk,
                    district,
                    decided_at,
                    reg_status,
                    today,
                    now,
                    dues,
                    keys,
                    short,
                    sign_cards,
                )
            )
            credential_id += 1
        flush()
        for prefix, last in counters.items():
            updated = NumberCounter.objects.filter(prefix=prefix).update(last_serial=last)
            if not updated:
                NumberCounter.objects.create(prefix=prefix, last_serial=last)
        _reset_sequences([User, Declaration, DeclarationRound, Registration, Credential])
    return Generated(
        owners=owner_count,
        declarations=totals["declarations"],
        registrations=totals["registrations"],
        credentials=totals["credentials"],
        rows=writer.rows,
        seconds=clock.perf_counter() - started,
    )


def _credential(
    rng: random.Random,
    status: str,
    pk: int,
    registration: int,
    district: str,
    approved_at: datetime,
    reg_status: str,
    today: date,
    now: datetime,
    dues: _Dues,
    keys: Any,
    short: str,
    sign_cards: bool,
) -> dict[str, Any]:
    """The first sign and card of a registration, somewhere between production and fixed;
    the later stages only when the approval is old enough for them."""
    if reg_status != RegistrationStatus.VALID:
        status = CredentialStatus.REVOKED
    day = _local_day(approved_at)
    age = (today - day).days
    order: list[str] = [
        CredentialStatus.PENDING,
        CredentialStatus.PRODUCED,
        CredentialStatus.READY,
        CredentialStatus.COLLECTED,
        CredentialStatus.PHOTO_SUBMITTED,
        CredentialStatus.FIXED,
    ]
    if status != CredentialStatus.REVOKED:
        # A recent approval cannot be far along: one stage per three days at most.
        reachable = min(len(order) - 1, age // 3)
        status = order[min(order.index(status), reachable)]
    values: dict[str, Any] = {
        "id": pk,
        "registration_id": registration,
        "issue": 1,
        "reason": "first",
        "status": status,
        "district": district,
        "kid": keys.active_kid,
        "signature": sign(Claim(short, 1, keys.active_kid), keys.active) if sign_cards else "",
        "created_at": approved_at,
        "produced_at": None,
        "produced_by_id": None,
        "notice_due": None,
        "notified_at": None,
        "notified_by_id": None,
        "collection_place": "",
        "pickup_code": "",
        "collected_at": None,
        "collected_by_id": None,
        "collector_name": "",
        "photo_due": None,
        "fixed_at": None,
        "revoked_at": None,
        "revoked_reason": "",
    }
    if status == CredentialStatus.REVOKED:
        values["revoked_at"] = min(approved_at + timedelta(days=max(age // 2, 1)), now)
        values["revoked_reason"] = "生成数据：登记已非有效"
        return values
    step = order.index(status)

    def at(offset: int) -> datetime:
        return min(approved_at + timedelta(days=offset), now)

    if step >= 1:
        produced = at(max(age // 6, 1) if step == 1 else 2)
        values["produced_at"] = produced
        values["notice_due"] = dues(_local_day(produced), NOTICE_WORKING_DAYS)
    if step >= 2:
        values["notified_at"] = at(3)
        values["collection_place"] = "区生态环境局受理窗口"
        values["pickup_code"] = f"{int(rng.random() * 1_000_000):06d}"
    if step >= 3:
        collected = at(5 if step > 3 else max(age // 2, 5))
        values["collected_at"] = collected
        values["collector_name"] = "生成数据"
        values["photo_due"] = _local_day(collected) + timedelta(days=SIGN_PHOTO_DAYS)
    if step >= 5:
        values["fixed_at"] = at(9)
    return values


def _rows(model: type[models.Model], items: list[dict[str, Any]]) -> Iterable[tuple[Any, ...]]:
    """Tuples in column order; a field left out gets its default ("" for text, None...).
    The merge and the pick are single C-level operations per row."""
    fields = _columns(model)
    defaults = {f.attname: f.get_default() for f in fields}
    pick = operator.itemgetter(*(f.attname for f in fields))
    for item in items:
        yield pick({**defaults, **item})
