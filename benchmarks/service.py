"""Benchmark of the scoring service: list generation in-process, then the running server driven
over loopback by concurrent clients.

Targets (issue 6): submissions >= 300/s; explanation reads p50 <= 20 ms and p99 <= 100 ms at 32
concurrent clients; the list of a district of 5,000 families <= 200 ms; generating the lists
for 100,000 families <= 60 s.

Setup (not timed): simulate `--families` families (36 months from 2023-01), import them into a
fresh SQLite database, move `--district-families` of them into one district "Bench", fit a small
LightGBM model on point-in-time features (labels: a recorded outcome within 6 months).

Timed:
- list generation for every district, one month per run (2025-12, 2025-11, ...): median;
- the server (uvicorn in a subprocess, with each of `--workers` process counts, default 1 and
  2) on a free loopback port; clients connect one after another, then per run:
  baseline `GET /health` at `--clients` concurrency (the cost of a request that does nothing),
  submissions (school surveys with idempotency keys), explanation reads (auditor, random Bench
  families, each one appends to the access log), list reads of the Bench district (council, one
  client). Throughput and latency percentiles are reported as the median over runs, with ratios
  to the baseline of the same run.

The clients run on the same machine as the server, so they compete for the same cores.
Usage: `python -m benchmarks.service [--families 100000] [--runs 3] [--clients 32]
[--workers 1 2] [--workdir DIR [--serve-only]]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl

from tests.service.server import free_port, start_server

START = dt.date(2023, 1, 1)

MONTHS = ("2025-12", "2025-11", "2025-10", "2025-09", "2025-08")
TOKEN_KEY = "benchmark-token-key-" + "t" * 40
IIN_KEY = "benchmark-iin-key-" + "i" * 40
BENCH = "Bench"


def setup(home: Path, url: str, families: int, district_families: int) -> Any:
    """Simulate, import, build the Bench district, fit a small model; return the champion."""
    from sqlalchemy import update

    from features.pipeline import build_features
    from features.simulator import SimulationConfig, simulate
    from model.risk_model import RiskModel
    from model.training import BoosterParams
    from service.model_source import Champion
    from service.records.importer import import_events
    from service.storage.db import make_engine
    from service.storage.migrate import upgrade
    from service.storage.tables import Family

    t0 = time.perf_counter()
    population = simulate(SimulationConfig(families=families, months=36, start=START, seed=3))
    events = population.events
    print(f"setup: simulated {families:,} families in {time.perf_counter() - t0:.1f} s")
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    import_events(engine, events, iin_key=IIN_KEY.encode())
    rows = sum(getattr(events, t).height for t in ("school_surveys", "medical_screenings",
                                                   "police_signals", "outcomes"))  # fmt: skip
    print(f"setup: imported {rows:,} records in {time.perf_counter() - t0:.1f} s")
    bench_ids = events.families["family_id"].sort().head(district_families).to_list()
    with engine.begin() as conn:
        for start in range(0, len(bench_ids), 500):
            chunk = bench_ids[start : start + 500]
            conn.execute(update(Family).where(Family.family_id.in_(chunk)).values(district=BENCH))
    engine.dispose()

    def frame(as_of: dt.date) -> tuple[pl.DataFrame, np.ndarray]:
        features = build_features(events, as_of=as_of)
        horizon = (
            as_of.replace(month=as_of.month + 6)
            if as_of.month <= 6
            else as_of.replace(year=as_of.year + 1, month=as_of.month - 6)
        )
        hit = events.outcomes.filter(
            (pl.col("event_date") >= as_of) & (pl.col("event_date") < horizon)
        )["family_id"].unique()
        return features, features["family_id"].is_in(hit.implode()).to_numpy().astype(int)

    train, y = frame(dt.date(2024, 10, 1))
    valid, y_valid = frame(dt.date(2025, 1, 1))
    params = BoosterParams(num_boost_round=150, early_stopping_rounds=20)
    model = RiskModel(params=params).fit(
        train, y, valid_features=valid, y_valid=y_valid, trained_until=dt.date(2025, 1, 1)
    )
    return Champion(model=model, version="bench")


def time_generation(url: str, champion: Any, runs: int) -> list[float]:
    from service.lists.generate import generate_lists
    from service.storage.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    seconds = []
    for month in MONTHS[:runs]:
        t0 = time.perf_counter()
        with sessions() as session:
            results = generate_lists(engine, session, champion, month=month)
        seconds.append(time.perf_counter() - t0)
        n = sum(r.n_families for r in results)
        print(f"generate {month}: {len(results)} districts, {n:,} families, {seconds[-1]:.1f} s")
    engine.dispose()
    return seconds


def create_users(url: str) -> dict[str, str]:
    """Tokens of the benchmark users, and one registry IIN for submissions."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from service.auth.security import create_access_token, hash_password
    from service.storage.db import make_engine
    from service.storage.tables import User

    engine = make_engine(url)
    tokens = {}
    with Session(engine) as session:
        password_hash = hash_password("benchmark password")
        for name, role, district, institution in (
            ("school.bench", "school", BENCH, "school-bench-1"),
            ("council.bench", "council", BENCH, None),
            ("auditor", "auditor", None, None),
        ):
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                user = User(username=name, password_hash=password_hash, role=role,
                            district=district, institution_id=institution, active=True)  # fmt: skip
                session.add(user)
                session.flush()
            tokens[role], _ = create_access_token(
                user_id=user.id, username=name, role=role, key=TOKEN_KEY, minutes=600
            )
        session.commit()
    engine.dispose()
    return tokens


def server_pids(pid: int) -> list[int]:
    """The server process and its worker processes (uvicorn --workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RawHTTP:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    httpx costs about as much CPU per request as the server; on two shared cores that would
    measure the client. This one only formats bytes and reads `Content-Length` bodies.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        await self.connect()
        assert self.reader is not None
        assert self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


Request = Callable[[RawHTTP, int], Awaitable[tuple[int, bytes]]]


async def drive(
    port: int, clients: int, total: int, request: Request, *, expect: int
) -> tuple[float, list[float]]:
    """`total` requests from `clients` concurrent clients; (requests/s, latencies in ms)."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker(http: RawHTTP) -> None:
        for n in counter:
            t0 = time.perf_counter()
            status, body = await request(http, n)
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != expect:
                raise RuntimeError(f"HTTP {status}: {body[:200]!r}")

    connections = [RawHTTP(port) for _ in range(clients)]
    for http in connections:
        # Clients arrive one after another (as browsers do), not in one burst: a burst is
        # accepted in one go by whichever worker process wakes first (asyncio accepts up to the
        # backlog per wake-up), which once left 37 connections on one worker and 5 on the other.
        await http.connect()
        await asyncio.sleep(0.005)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(http) for http in connections))
    elapsed = time.perf_counter() - t0
    for http in connections:
        await http.close()
    return total / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def survey(iin: str, n: int) -> dict[str, Any]:
    return {"subject_iin": iin, "event_date": "2025-11-20", "feels_safe": 1 + n % 5,
            "afraid_of_adult": n % 2 == 0, "seen_violence": False, "hurt_by_adult": False,
            "hunger_neglect": False, "wants_counsellor": False, "unexplained_injury": False,
            "behaviour_change": False, "days_absent": n % 31}  # fmt: skip


def serve_runs(home: Path, url: str, args: argparse.Namespace, *, workers: int) -> None:
    tokens = create_users(url)
    from features.iin import make_iin

    iin = make_iin(dt.date(2012, 3, 4), male=True, serial=77) or "120304300776"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(
        home,
        port,
        token_key=TOKEN_KEY,
        iin_key=IIN_KEY,
        workers=workers,
        database_url=None if url.startswith("sqlite") else url,
    )
    month = MONTHS[0]
    rng = random.Random(0)
    invocation = uuid.uuid4().hex[:12]
    try:
        with httpx.Client(timeout=60) as http:
            entries = http.get(
                f"{base}/v1/districts/{BENCH}/lists/{month}",
                headers={"Authorization": f"Bearer {tokens['council']}"},
            ).json()["entries"]
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            bench_families = list(conn.execute(
                text("SELECT family_id FROM families WHERE district = :d"), {"d": BENCH}
            ).scalars())  # fmt: skip
        engine.dispose()
        results: dict[str, list[tuple[float, float, float]]] = {}
        auth = {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}
        for run in range(args.runs):

            async def health(http: RawHTTP, _n: int) -> tuple[int, bytes]:
                return await http.request("GET", "/health", {})

            async def submit(http: RawHTTP, n: int, run: int = run) -> tuple[int, bytes]:
                # New keys on every invocation: a reused key would time a cheap replay.
                key = f"bench-{invocation}-{workers}-{run}-{n}"
                headers = {**auth["school"], "Idempotency-Key": key}
                body = json.dumps(survey(iin, n)).encode()
                return await http.request("POST", "/v1/records/school-surveys", headers, body)

            async def explain(http: RawHTTP, _n: int) -> tuple[int, bytes]:
                family = rng.choice(bench_families)
                path = f"/v1/families/{family}/explanation?month={month}&lang=ru"
                return await http.request("GET", path, auth["auditor"])

            async def read_list(http: RawHTTP, _n: int) -> tuple[int, bytes]:
                path = f"/v1/districts/{BENCH}/lists/{month}"
                return await http.request("GET", path, auth["council"])

            for name, call, clients, total, expect in (
                ("baseline GET /health", health, args.clients, args.requests, 200),
                ("submissions", submit, args.clients, args.requests, 201),
                ("explanation reads", explain, args.clients, args.requests, 200),
                ("explanation reads, 1 client", explain, 1, args.requests // 4, 200),
                (f"list read ({len(bench_families):,} families, {len(entries)} entries)",
                 read_list, 1, 20, 200),
            ):  # fmt: skip
                rate, lat = asyncio.run(drive(port, clients, total, call, expect=expect))
                results.setdefault(name, []).append((rate, pct(lat, 50), pct(lat, 99)))
        base_rate = statistics.median(r[0] for r in results["baseline GET /health"])
        print(f"\nserver, {workers} worker process(es): {args.runs} runs, "
              f"{args.clients} concurrent clients, {args.requests} requests per scenario; "
              "medians over runs")  # fmt: skip
        print(f"{'scenario':<48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>12}")
        for name, runs in results.items():
            rate = statistics.median(r[0] for r in runs)
            p50 = statistics.median(r[1] for r in runs)
            p99 = statistics.median(r[2] for r in runs)
            print(f"{name:<48} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f} {rate / base_rate:>11.2f}x")
        rss = sum(peak_rss_mb(pid) for pid in server_pids(server.pid))
        print(f"server peak RSS (all processes): {rss:.0f} MB")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--district-families", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="Server process counts to measure, one after the other.",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="Keep files here.")
    parser.add_argument(
        "--serve-only",
        action="store_true",
        help="Reuse the database a previous run left (in --workdir, or --database-url); "
        "time the server only.",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="An EMPTY PostgreSQL database to fill and serve from (default: SQLite in the "
        "work directory), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/patronage_bench.",
    )
    args = parser.parse_args()
    if args.serve_only and not args.workdir:
        parser.error("--serve-only: expected --workdir holding a previous run's files")
    if args.serve_only and not args.database_url and not (args.workdir / "patronage.db").exists():
        parser.error("--serve-only: expected --workdir holding a previous run's patronage.db")
    with tempfile.TemporaryDirectory(prefix="patronage-bench-") as tmp:
        home = args.workdir or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{home / 'patronage.db'}"
        if args.serve_only:
            for workers in args.workers:
                serve_runs(home, url, args, workers=workers)
            return
        champion = setup(home, url, args.families, args.district_families)
        seconds = time_generation(url, champion, args.runs)
        median = statistics.median(seconds)
        print(f"\nlist generation, {args.families:,} families: median {median:.1f} s "
              f"over {len(seconds)} months (target <= 60 s)")  # fmt: skip
        for workers in args.workers:
            serve_runs(home, url, args, workers=workers)
    print(f"benchmark process peak RSS: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
