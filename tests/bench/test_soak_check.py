"""The checks of `make soak` (bench/soak_check.py) on small fake data: each must find the
loss, duplicate or unexplained error it exists for, and stay quiet on a clean run."""

from bench.soak_check import (
    Attempt,
    DeclarationState,
    RegistrationRow,
    Window,
    check_approvals,
    check_numbers,
    check_starts,
    check_submissions,
    errors_by_kind,
    outcome_label,
    percentile,
    summarise,
    unexplained_failures,
)


def state(status: str = "submitted", rounds: int = 1, **kw: object) -> DeclarationState:
    fields: dict[str, object] = {
        "submitted_audits": rounds,
        "approved_audits": 1 if status == "approved" else 0,
        "registrations": 1 if status == "approved" else 0,
        "number": "",
    }
    fields.update(kw)
    return DeclarationState(status=status, rounds=rounds, **fields)  # type: ignore[arg-type]


def test_submissions_clean_run_has_no_problems():
    db = {1: state(), 2: state("approved", number="工程机械沪L4-00001"), 3: state("draft", 0)}
    assert check_submissions({1, 2}, db) == []


def test_submission_lost_or_doubled_is_found():
    db = {1: state("draft", rounds=0), 2: state(rounds=2), 3: state(submitted_audits=2)}
    problems = check_submissions([1, 2, 3, 4], db)
    assert problems == [
        "declaration 1: submission acknowledged, status draft",
        "declaration 1: submitted 0 rounds, 0 audit rows (expected 1 and 1)",
        "declaration 2: submitted 2 rounds, 2 audit rows (expected 1 and 1)",
        "declaration 3: submitted 1 rounds, 2 audit rows (expected 1 and 1)",
        "declaration 4: submission acknowledged but not in the database",
    ]


def test_starts_match_the_declarations_both_ways():
    db = {1: state(), 2: state("draft", 0)}
    assert check_starts({1, 2}, db) == []
    # 3: a draft left by a start sent again; 4: a start acknowledged and lost.
    assert check_starts({1, 2, 4}, {**db, 3: state("draft", 0)}) == [
        "declaration 3: in the database, its start never acknowledged",
        "declaration 4: start acknowledged but not in the database",
    ]


def test_approvals_need_one_registration_with_the_number_told():
    good = state("approved", number="工程机械沪L4-00001")
    assert check_approvals({1: "工程机械沪L4-00001"}, {1: good}) == []
    problems = check_approvals(
        {1: "工程机械沪L4-00002", 2: "x", 3: "y", 4: "z"},
        {
            1: good,
            2: state(),  # acknowledged but still only submitted: lost
            3: state("approved", approved_audits=2, number="y"),  # approved twice
        },
    )
    assert "told 工程机械沪L4-00002, database has 工程机械沪L4-00001" in problems[0]
    assert "status submitted, 0 registrations" in problems[1]
    assert "2 audit rows" in problems[2]
    assert "not in the database" in problems[3]
    assert len(problems) == 4


def rows(prefix: str, *serials: int) -> list[RegistrationRow]:
    return [RegistrationRow(prefix, s, f"工程机械{prefix}-{s:05d}") for s in serials]


def test_numbers_without_gaps_or_duplicates_pass():
    assert check_numbers({"沪L4": 3, "沪K4": 1}, rows("沪L4", 2, 1, 3) + rows("沪K4", 1)) == []
    assert check_numbers({}, []) == []


def test_numbers_gap_duplicate_and_overrun_are_found():
    problems = check_numbers(
        {"沪L4": 4, "沪K4": 1},
        rows("沪L4", 1, 2, 2, 4) + rows("沪K4", 1, 3) + rows("沪A2", 1),
    )
    assert "number 工程机械沪L4-00002 issued 2 times" in problems
    assert "prefix 沪A2: registrations without a counter" in problems
    assert "prefix 沪K4: serials outside 1..1 [3]" in problems
    assert "prefix 沪L4: serials issued twice [2]" in problems
    assert "prefix 沪L4: serials skipped [3]" in problems
    assert len(problems) == 5


def test_failures_are_explained_only_by_a_fault_window():
    windows = [Window("kill", 10.0, 12.0), Window("restart", 40.0, 55.0)]
    attempts = [
        Attempt("a", 1.0, 0.1, "200"),
        Attempt("a", 2.0, 0.1, "404", "not_found"),  # a 4xx is an answer, not a failure
        Attempt("b", 9.5, 0.6, "reset"),  # in flight when the worker died
        Attempt("b", 41.0, 0.1, "503", "db_unavailable"),
        Attempt("c", 30.0, 0.1, "reset"),  # nothing was injected at 30 s
        Attempt("c", 42.0, 0.1, "500"),  # a 500 is never explained
        Attempt("c", 43.0, 0.1, "503"),  # a 503 without the db_unavailable code
        Attempt("c", 70.0, 0.1, "503", "db_unavailable"),  # long after the restart
    ]
    unexplained = unexplained_failures(attempts, windows)
    assert [(a.started, a.outcome) for a in unexplained] == [
        (30.0, "reset"),
        (42.0, "500"),
        (43.0, "503"),
        (70.0, "503"),
    ]


def test_figures():
    assert percentile([], 99) == 0.0
    assert percentile([5.0], 50) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    attempts = [
        Attempt("x", 0, 0.010, "200"),
        Attempt("x", 0, 0.030, "201"),
        Attempt("x", 0, 1.000, "503", "db_unavailable"),
        Attempt("y", 0, 0.5, "refused"),
        Attempt("y", 0, 0.5, "409", "not_editable"),
    ]
    table = summarise(attempts)
    assert table["x"] == {"tries": 3, "ok": 2, "p50": 10.0, "p99": 30.0, "max": 30.0}
    assert table["y"]["ok"] == 0 and table["y"]["p99"] == 0.0
    assert outcome_label(attempts[3]) == "connection refused"
    assert errors_by_kind(attempts) == {
        "409 not_editable": 1,
        "503 db_unavailable": 1,
        "connection refused": 1,
    }
