"""What `make soak` checks after the run (bench/soak.py), as pure functions on plain data so
they are unit-tested on small fake data (tests/bench/test_soak_check.py) without a server.

The load generator remembers every answer it saw; `collect` reads the database afterwards.
Each check returns a list of problems in English; an empty list means it held."""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeclarationState:
    """One declaration as the database has it after the run."""

    status: str
    rounds: int  # DeclarationRound rows
    submitted_audits: int  # "declaration.submitted" audit rows
    approved_audits: int  # "declaration.approved" audit rows
    registrations: int  # Registration rows pointing at it (0 or 1)
    number: str = ""  # the registration's number, if any


@dataclass(frozen=True)
class RegistrationRow:
    prefix: str
    serial: int
    number: str


@dataclass(frozen=True)
class Attempt:
    """One HTTP try of the load generator: `outcome` is the status code as text ("200",
    "503") or the kind of connection failure ("reset", "refused", "disconnected",
    "timeout"); `code` is the API error code of a 4xx/5xx JSON answer."""

    kind: str
    started: float  # seconds since the start of the load
    seconds: float
    outcome: str
    code: str = ""


@dataclass(frozen=True)
class Window:
    """A fault and the time around it in which errors are its doing."""

    name: str
    start: float
    end: float


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


SUBMITTED_OR_LATER = frozenset({"submitted", "approved"})


def check_starts(acknowledged: Iterable[int], db: Mapping[int, DeclarationState]) -> list[str]:
    """Every declaration in the database is one whose start a client was told about, and
    the other way round: a start whose answer was lost and sent again (with its key) left
    no second draft behind."""
    told, found = set(acknowledged), set(db)
    problems = [
        f"declaration {pk}: in the database, its start never acknowledged"
        for pk in sorted(found - told)
    ]
    problems += [
        f"declaration {pk}: start acknowledged but not in the database"
        for pk in sorted(told - found)
    ]
    return problems


def check_submissions(acknowledged: Iterable[int], db: Mapping[int, DeclarationState]) -> list[str]:
    """Every submission answered 2xx is in the database, submitted exactly once."""
    problems = []
    for pk in sorted(set(acknowledged)):
        state = db.get(pk)
        if state is None:
            problems.append(f"declaration {pk}: submission acknowledged but not in the database")
            continue
        if state.status not in SUBMITTED_OR_LATER:
            problems.append(f"declaration {pk}: submission acknowledged, status {state.status}")
        if state.rounds != 1 or state.submitted_audits != 1:
            problems.append(
                f"declaration {pk}: submitted {state.rounds} rounds, "
                f"{state.submitted_audits} audit rows (expected 1 and 1)"
            )
    return problems


def check_approvals(
    acknowledged: Mapping[int, str], db: Mapping[int, DeclarationState]
) -> list[str]:
    """Every approval answered 2xx has exactly one registration, with the number the
    reviewer was told, and one approval in the audit trail."""
    problems = []
    for pk, number in sorted(acknowledged.items()):
        state = db.get(pk)
        if state is None:
            problems.append(f"declaration {pk}: approval acknowledged but not in the database")
            continue
        if state.status != "approved" or state.registrations != 1 or state.approved_audits != 1:
            problems.append(
                f"declaration {pk}: approval acknowledged; status {state.status}, "
                f"{state.registrations} registrations, {state.approved_audits} audit rows"
            )
        elif number and state.number != number:
            problems.append(f"declaration {pk}: told {number}, database has {state.number}")
    return problems


def check_numbers(
    counters: Mapping[str, int], registrations: Sequence[RegistrationRow]
) -> list[str]:
    """Per counter (prefix): serials 1..last_serial each issued once, none skipped, none
    past the counter; no number issued twice anywhere."""
    problems = []
    for number, times in sorted(Counter(r.number for r in registrations).items()):
        if times > 1:
            problems.append(f"number {number} issued {times} times")
    by_prefix: dict[str, list[int]] = {}
    for row in registrations:
        by_prefix.setdefault(row.prefix, []).append(row.serial)
    for prefix in sorted(set(counters) | set(by_prefix)):
        serials = by_prefix.get(prefix, [])
        last = counters.get(prefix)
        if last is None:
            problems.append(f"prefix {prefix}: registrations without a counter")
            continue
        duplicated = sorted(s for s, n in Counter(serials).items() if n > 1)
        missing = sorted(set(range(1, last + 1)) - set(serials))
        beyond = sorted(s for s in set(serials) if s > last or s < 1)
        if duplicated:
            problems.append(f"prefix {prefix}: serials issued twice {_short(duplicated)}")
        if missing:
            problems.append(f"prefix {prefix}: serials skipped {_short(missing)}")
        if beyond:
            problems.append(f"prefix {prefix}: serials outside 1..{last} {_short(beyond)}")
    return problems


def unexplained_failures(attempts: Iterable[Attempt], windows: Sequence[Window]) -> list[Attempt]:
    """Server errors and dropped connections that no injected fault explains: any 5xx but
    a 503 db_unavailable, and a 503 or a dropped connection outside every fault window."""
    unexplained = []
    for a in attempts:
        failed = a.outcome.startswith("5") or not a.outcome.isdigit()
        if not failed:
            continue
        clean_503 = a.outcome == "503" and a.code == "db_unavailable"
        # The try overlaps the fault: a request a killed worker was serving began before.
        in_window = any(a.started <= w.end and a.started + a.seconds >= w.start for w in windows)
        if a.outcome.startswith("5") and not clean_503:
            unexplained.append(a)
        elif not in_window:
            unexplained.append(a)
    return unexplained


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list; 0.0 for an empty one."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def outcome_label(a: Attempt) -> str:
    """How an attempt ended, for the errors table: "200", "503 db_unavailable",
    "409 not_editable", "connection reset"..."""
    if not a.outcome.isdigit():
        return f"connection {a.outcome}"
    return f"{a.outcome} {a.code}".strip()


def summarise(attempts: Sequence[Attempt]) -> dict[str, dict[str, float]]:
    """Per request kind: tries, answered 2xx, and p50/p99/max in ms of the 2xx answers."""
    table: dict[str, dict[str, float]] = {}
    for kind in sorted({a.kind for a in attempts}):
        mine = [a for a in attempts if a.kind == kind]
        ok = [a.seconds * 1000 for a in mine if a.outcome.startswith("2")]
        table[kind] = {
            "tries": len(mine),
            "ok": len(ok),
            "p50": percentile(ok, 50),
            "p99": percentile(ok, 99),
            "max": max(ok, default=0.0),
        }
    return table


def errors_by_kind(attempts: Iterable[Attempt]) -> dict[str, int]:
    counts = Counter(outcome_label(a) for a in attempts if not a.outcome.startswith("2"))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _short(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:10])
    return f"[{shown}{', …' if len(values) > 10 else ''}]"
