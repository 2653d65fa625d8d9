"""make bench: a scratch PostgreSQL database filled by generate_data, the app served by
gunicorn with production settings, every bench module's figures beside their floors, and
bench/results.md written and printed.

    make bench                                   # 1,000,000 machines, growth at 100k and 1M
    BENCH_MACHINES=100000 BENCH_SIZES="10000 100000" make bench

Environment: BENCH_MACHINES (default 1000000), BENCH_SIZES (sizes at which the growth
figures, verification and pages, are also taken; default "100000 1000000"),
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/nrmm_bench: DROPPED and
created again), BENCH_WORKERS (gunicorn workers, default 4), BENCH_PORT (default 8765).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import re
import subprocess
import sys
import time
import traceback
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import common  # noqa: E402

# In the order they run: the ones that add rows (approvals, imports) after the ones that
# read, so that every reading is taken over the generated set alone.
MODULES = (
    "verify",
    "pages",
    "stats_dashboard",
    "dashboard",
    "wizard",
    "allocation",
    "fleets_import",
    "pdfs",
    "photo",
)
GROWTH = ("verify", "pages")
RESULTS = BENCH / "results.md"
ACCOUNT = BENCH / "account.md"


def _scratch_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"BENCH_DATABASE_URL: unexpected database name {name!r}")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _generate(machines: int) -> tuple[str, list[dict[str, str]]]:
    """generate_data through bench/generate.py, which also times its floor (a raw COPY of
    as many constant rows) in the same minutes."""
    import generate

    began = time.perf_counter()
    rows = generate.measure(machines)
    seconds = time.perf_counter() - began
    text = f"{rows[0]['ours']} (floor {rows[0]['floor']})"
    # What autovacuum does on a live database (and this cluster may run without it): the
    # planner's statistics and the visibility map, or every plan is made for empty tables.
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    text += f"; then VACUUM (ANALYZE) {time.perf_counter() - began:.0f} s"
    print(f"generate_data --machines {machines}: {text} ({seconds:.0f} s)", flush=True)
    return text, rows


def _module_rows(name: str, machines: int) -> tuple[list[dict[str, str]], float]:
    began = time.perf_counter()
    if not (BENCH / f"{name}.py").exists():
        return [_note(name, f"bench/{name}.py is not there yet: skipped")], 0.0
    try:
        module = importlib.import_module(name)
        measure = getattr(module, "measure", None)
        if measure is None:
            return [_note(name, f"bench/{name}.py has no measure() yet: skipped")], 0.0
        rows = measure(machines)
    except Exception as exc:
        traceback.print_exc()
        rows = [_note(name, f"failed: {type(exc).__name__}: {exc}")]
    finally:
        from django.db import connection

        connection.close()
    took = time.perf_counter() - began
    common.print_rows(rows)
    print(f"  ({name}: {took:.0f} s)", flush=True)
    return rows, took


def _note(name: str, text: str) -> dict[str, str]:
    return {"what": f"bench/{name}.py", "ours": "—", "floor": "—", "target": "—", "verdict": text}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _machine() -> list[str]:
    def cpu() -> str:
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or "?"

    def memory() -> str:
        try:
            kb = int(Path("/proc/meminfo").read_text().split()[1])
            return f"{kb / 1024 / 1024:.1f} GB"
        except (OSError, ValueError, IndexError):
            return "?"

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    gunicorn = subprocess.run(
        [str(common.ROOT / ".venv" / "bin" / "gunicorn"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    load = os.getloadavg()
    return [
        f"- CPU: {cpu()}, {os.cpu_count()} logical cores; memory {memory()}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
        f"- {platform.platform()}; Python {platform.python_version()}; "
        f"Django {django.get_version()}; "
        f"PostgreSQL {pg} (same machine); {gunicorn}, {common.WORKERS} sync workers",
    ]


def main() -> None:
    machines = int(os.environ.get("BENCH_MACHINES", "1000000"))
    sizes = sorted({int(s) for s in os.environ.get("BENCH_SIZES", "100000 1000000").split()})
    sizes = [s for s in sizes if s < machines] + [machines]
    url = os.environ.get("BENCH_DATABASE_URL", common.DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = url
    started = time.perf_counter()
    when = dt.datetime.now(dt.UTC)
    print(f"make bench: {machines:,} machines, growth at {sizes}, database {url}", flush=True)
    _scratch_database(url)
    common.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    generated: list[tuple[int, str]] = []
    growth: dict[int, list[list[dict[str, str]]]] = {}
    final: list[dict[str, str]] = []
    durations: list[tuple[str, float]] = []
    have = 0
    for size in sizes:
        text, generate_rows = _generate(size - have)
        generated.append((size - have, text))
        final.extend(generate_rows)
        have = size
        names = MODULES if size == machines else GROWTH
        with common.gunicorn() as server_url:
            os.environ["BENCH_URL"] = server_url
            try:
                for name in names:
                    rows, took = _module_rows(name, size)
                    durations.append((f"{name} at {size:,}", took))
                    if name in GROWTH:
                        growth.setdefault(size, []).append(rows)
                    if size == machines:
                        final.extend(rows)
            finally:
                del os.environ["BENCH_URL"]

    lines = _report(machines, sizes, url, when, generated, final, growth, durations, started)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _report(machines, sizes, url, when, generated, final, growth, durations, started) -> list[str]:
    lines = [
        f"# make bench: {machines:,} machines",
        "",
        f"Run {when:%Y-%m-%d %H:%M} UTC, "
        f"{(time.perf_counter() - started) / 60:.0f} minutes in all.",
        "",
        *_machine(),
        "",
        "Commands:",
        "",
        "```",
        f'BENCH_MACHINES={machines} BENCH_SIZES="{" ".join(map(str, sizes))}" '
        f"BENCH_DATABASE_URL={url} make bench",
        "```",
        "",
        "Data set (`manage.py generate_data`, added in steps so the growth figures are taken "
        "on the way):",
        "",
    ]
    for added, text in generated:
        lines.append(f"- `--machines {added}`: {text}")
    lines += [
        "",
        f"## At {machines:,} machines",
        "",
        "| what | our figure | floor measured in the same run | target | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in final:
        lines.append(
            f"| {_cell(r['what'])} | {_cell(r['ours'])} | {_cell(r['floor'])} | "
            f"{_cell(r['target'])} | {_cell(r['verdict'])} |"
        )
    if len(sizes) > 1:
        lines += [
            "",
            "## How cost grows with size",
            "",
            "| what | " + " | ".join(f"{s:,} machines" for s in sizes) + " |",
            "| --- | " + " | ".join("---" for _ in sizes) + " |",
        ]
        keyed: dict[tuple[int, int], dict[int, dict[str, str]]] = {}
        for size, modules in growth.items():
            for m, rows in enumerate(modules):
                for i, r in enumerate(rows):
                    keyed.setdefault((m, i), {})[size] = r
        for (_m, _i), by_size in sorted(keyed.items()):
            label = by_size[max(by_size)]["what"]
            cells = [
                _cell(by_size[s]["ours"] + "; floor " + by_size[s]["floor"])
                if s in by_size
                else "—"
                for s in sizes
            ]
            lines.append(f"| {_cell(label)} | " + " | ".join(cells) + " |")
    lines += ["", "Time per module: " + ", ".join(f"{n} {t:.0f} s" for n, t in durations) + "."]
    if ACCOUNT.exists():
        # What stands between the figures and the targets not met: written by hand after
        # reading a run, kept beside the figures so a reader of one sees the other.
        lines += ["", ACCOUNT.read_text(encoding="utf-8").rstrip()]
    return lines


if __name__ == "__main__":
    main()
