"""Benchmark of bulk intake: a school survey CSV validated and stored through `import_rows`.

Target (issue 16): a 100,000-row school survey CSV validated and stored at >= 20,000 rows/s,
printed beside the practical limit measured in the same run on the same rows: PostgreSQL's
`COPY` into a bare table (no keys, no indexes) and SQLite's `executemany` into one; and peak
memory while streaming that does not grow with the file (25,000 vs 100,000 rows, each in a
fresh process).

Setup (not timed): a fresh database (a SQLite file; a new PostgreSQL database when one answers
at 127.0.0.1:5432), migrated; a register of `--children` children in district "Bench" uploaded
through the same path; a school user; the CSV written to disk (every row a distinct survey of a
registered child). Timed, `--runs` times (median): `import_rows` of the whole file as the school
user (parse, validate each row with the single-record schema, hash the IIN, link the subject,
derive the per-row key, check for rows stored before, insert, one transaction), then the
baseline; the rows stored are deleted between runs (not timed).

Usage: `python -m benchmarks.intake [--rows 100000] [--runs 3] [--backend sqlite postgresql]`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine, delete, text

from features.iin import make_iin
from service.auth.roles import Principal, UserRole
from service.imports.run import import_rows
from service.storage.db import make_engine, make_sessionmaker
from service.storage.migrate import upgrade
from service.storage.tables import SchoolSurveyRow, User
from tests.service.scratch_db import admin_connection, scratch_database

IIN_KEY: Final = b"benchmark-iin-key-" + b"i" * 40
COLUMNS: Final = (
    "subject_iin", "event_date", "feels_safe", "afraid_of_adult", "seen_violence",
    "hurt_by_adult", "hunger_neglect", "wants_counsellor", "unexplained_injury",
    "behaviour_change", "days_absent",
)  # fmt: skip
BARE_TABLE: Final = "bench_bare_surveys"
CPU: list[float] = []  # CPU seconds of each timed upload


def children(n: int, seed: int = 0) -> list[str]:
    """`n` distinct valid IINs of children born 2008-2019."""
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    while len(out) < n:
        born = dt.date(
            int(rng.integers(2008, 2020)), int(rng.integers(1, 13)), 1 + int(rng.integers(0, 28))
        )
        value = make_iin(born, male=bool(rng.random() < 0.5), serial=int(rng.integers(0, 10000)))
        if value is not None:
            out.add(value)
    return sorted(out)


def write_csv(path: Path, iins: list[str], rows: int, seed: int = 1) -> None:
    """`rows` distinct surveys (child, term day, answers) as a UTF-8 CSV."""
    rng = np.random.default_rng(seed)
    start = dt.date(2024, 1, 8)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            iin = iins[i % len(iins)]
            day = start + dt.timedelta(days=i // len(iins))  # a child's surveys on distinct days
            yes = rng.random(8) < 0.2
            writer.writerow([
                iin, day.isoformat(), int(rng.integers(1, 6)),
                *("yes" if y else "no" for y in yes[:7]), int(rng.integers(0, 8)),
            ])  # fmt: skip


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = workdir / f"intake-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        return
    with scratch_database(admin_connection(), "patronage_bench") as url:
        yield url


def prepare(engine: Engine, iins: list[str]) -> tuple[Principal, Principal]:
    """The register of the Bench district and a school user; (admin, school)."""
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        users = []
        for name, role in (("bench.admin", UserRole.admin), ("bench.school", UserRole.school)):
            institution = "school-bench-1" if role is UserRole.school else None
            user = User(
                username=name, password_hash="!", role=role.value, district="Bench",
                institution_id=institution,
            )  # fmt: skip
            session.add(user)
            session.flush()
            users.append(Principal.of(user))
        session.commit()
        admin, school = users
        n = len(iins)
        families = [
            {"family_id": f"F{i:07d}", "region": "Bench", "district": "Bench", "urban": True,
             "n_children": 1, "ethnicity": "kazakh", "language": "kk", "income_group": "middle",
             "disability_in_household": False, "single_parent": False}
            for i in range(n)
        ]  # fmt: skip
        persons = [
            {"person_id": f"P{i:07d}", "family_id": f"F{i:07d}", "role": "child", "sex": "female",
             "birth_year": 2000 + int(iin[:2]), "full_name": f"Child {i}", "iin": iin}
            for i, iin in enumerate(iins)
        ]  # fmt: skip
        for kind, rows in (("families", families), ("persons", persons)):
            result = import_rows(session, principal=admin, kind=kind, rows_or_file=rows,
                                 iin_key=IIN_KEY)  # fmt: skip
            assert result.ok, result.errors[:3]
    return admin, school


def timed_intake(engine: Engine, school: Principal, path: Path) -> tuple[float, int]:
    """Wall-clock seconds of one upload of `path`, and its rows (`CPU` holds the CPU seconds of
    this process: on a shared machine the wall clock also counts waiting for a core)."""
    with make_sessionmaker(engine)() as session:
        cpu = time.process_time()
        start = time.perf_counter()
        result = import_rows(session, principal=school, kind="school_survey", rows_or_file=path,
                             iin_key=IIN_KEY)  # fmt: skip
        seconds = time.perf_counter() - start
        CPU.append(time.process_time() - cpu)
        assert result.ok, result.errors[:3]
        assert result.stored == result.rows, result.stored
        session.execute(delete(SchoolSurveyRow))  # not timed: the next run stores them again
        session.commit()
    return seconds, result.rows


def _typed(path: Path) -> list[tuple[Any, ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        day = dt.date.fromisoformat
        return [
            (r[0], day(r[1]), int(r[2]), *(v == "yes" for v in r[3:10]), int(r[10])) for r in reader
        ]


def timed_baseline(engine: Engine, path: Path) -> float:
    """The practical limit: the same rows into a bare table (PostgreSQL COPY, SQLite
    executemany), one transaction."""
    types = {"subject_iin": "text", "event_date": "date", "feels_safe": "integer",
             "days_absent": "integer"}  # fmt: skip
    columns = ", ".join(f"{c} {types.get(c, 'boolean')}" for c in COLUMNS)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {BARE_TABLE}"))
        conn.execute(text(f"CREATE TABLE {BARE_TABLE} ({columns})"))
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            start = time.perf_counter()
            with (
                path.open("rb") as handle,
                cursor.copy(f"COPY {BARE_TABLE} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            raw.commit()
            return time.perf_counter() - start
        finally:
            raw.close()
    raw = engine.raw_connection()
    try:
        start = time.perf_counter()
        rows = _typed(path)  # parsing is part of the limit, as COPY parses its CSV
        placeholders = ", ".join("?" for _ in COLUMNS)
        cursor = raw.cursor()
        cursor.execute("BEGIN")  # one transaction, as the intake's
        cursor.executemany(f"INSERT INTO {BARE_TABLE} VALUES ({placeholders})", rows)
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def peak_rss_child(rows: int) -> int:
    """Peak RSS (KiB) of a fresh process that streams a `rows`-row CSV into SQLite."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.intake", "--rss-child", str(rows)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip().splitlines()[-1])


def _rss_child(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        iins = children(20_000)
        path = workdir / "surveys.csv"
        write_csv(path, iins, rows)
        engine = make_engine(f"sqlite:///{workdir / 'rss.db'}")
        _admin, school = prepare(engine, iins)
        timed_intake(engine, school, path)
        engine.dispose()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-rss", action="store_true", help="Skip the memory comparison.")
    args = parser.parse_args()
    if args.rss_child:
        _rss_child(args.rss_child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        iins = children(args.children)
        path = workdir / "surveys.csv"
        write_csv(path, iins, args.rows)
        size = path.stat().st_size / 1e6
        print(f"{args.rows:,} school survey rows, {size:.1f} MB CSV, {len(iins):,} children")
        for backend in args.backend:
            try:
                context = database(backend, workdir)
                url = context.__enter__()
            except Exception as exc:  # PostgreSQL not reachable
                print(f"{backend}: skipped ({type(exc).__name__})")
                continue
            try:
                engine = make_engine(url)
                _admin, school = prepare(engine, iins)
                intake, baseline = [], []
                CPU.clear()
                for _ in range(args.runs):
                    seconds, rows = timed_intake(engine, school, path)
                    intake.append(seconds)
                    baseline.append(timed_baseline(engine, path))
                engine.dispose()
            finally:
                context.__exit__(None, None, None)
            t, b = statistics.median(intake), statistics.median(baseline)
            cpu = statistics.median(CPU)
            limit = "COPY" if backend == "postgresql" else "executemany"
            print(
                f"{backend}: intake {rows / t:,.0f} rows/s ({t:.2f} s; {rows / cpu:,.0f} rows "
                f"per CPU second), bare {limit} {rows / b:,.0f} rows/s ({b:.2f} s), intake "
                f"takes {t / b:.1f}x the limit (median of {args.runs})"
            )
    if not args.no_rss:
        small, large = peak_rss_child(args.rows // 4), peak_rss_child(args.rows)
        print(
            f"peak RSS: {args.rows // 4:,} rows {small / 1024:.0f} MiB, {args.rows:,} rows "
            f"{large / 1024:.0f} MiB ({large / small:.2f}x)"
        )


if __name__ == "__main__":
    main()
