"""What the access log's signed checkpoints cost: logged reads with and without them.

Each logged read goes through `access_log.log_read` (the group commit every read route uses).
Anchored, every committed batch also checks the chain's head against the last checkpoint,
signs two checkpoints (Ed25519) and appends them to the checkpoint file, flushing the first to
disk. Unanchored is the log as it was before (no checkpoints). Both run on a fresh database
each, one client, then `--threads` concurrent clients; figures are the median of `--runs`.

Usage: `python -m benchmarks.access_log [--reads 400] [--threads 16] [--runs 3]
[--database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB]` (an EMPTY database; default:
SQLite files in a temporary directory).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from service.audit import access_log
from service.audit.verification import verify
from service.auth.roles import Principal, UserRole
from service.storage.anchor import anchor_database, anchor_for
from service.storage.checkpoints import CheckpointFile, Signer
from service.storage.db import make_engine
from service.storage.migrate import upgrade
from service.storage.tables import AccessLogEntry

USER = Principal(id=1, username="bench", role=UserRole.auditor, district=None, institution_id=None)


def one_read(engine: Engine, n: int) -> float:
    start = time.perf_counter()
    with Session(engine) as session:
        access_log.begin_read(session)
        access_log.log_read(session, user=USER, action="family.read", family_id=f"F{n}")
    return time.perf_counter() - start


def drive(engine: Engine, reads: int, threads: int) -> tuple[float, float, float]:
    """Reads per second, p50 and p99 latency (ms) of `reads` logged reads over `threads`."""
    latencies: list[float] = []
    guard = threading.Lock()

    def worker(k: int) -> None:
        mine = [one_read(engine, k * reads + i) for i in range(reads // threads)]
        with guard:
            latencies.extend(mine)

    start = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return len(latencies) / elapsed, p50, p99


def measure(
    url: str, home: Path, *, anchored: bool, reads: int, threads: int
) -> dict[int, tuple[float, float, float]]:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        session.execute(delete(AccessLogEntry))
        session.commit()
    if anchored:
        path = home / f"checkpoints-{time.monotonic_ns()}.jsonl"
        anchor_database(engine, Signer(Ed25519PrivateKey.generate()), CheckpointFile(path))
    out = {clients: drive(engine, reads, clients) for clients in (1, threads)}
    if anchored:
        with Session(engine) as session:
            anchor = anchor_for(session)
            assert anchor is not None
            assert verify(session, anchor).ok
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        results: dict[tuple[bool, int], list[tuple[float, float, float]]] = {}
        for run in range(args.runs):
            for anchored in (False, True):
                url = args.database_url or f"sqlite:///{home / f'p-{run}-{anchored}.db'}"
                measured = measure(url, home, anchored=anchored, reads=args.reads,
                                   threads=args.threads)  # fmt: skip
                for clients, figures in measured.items():
                    results.setdefault((anchored, clients), []).append(figures)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"logged reads on {backend}, {args.reads} per scenario, median of {args.runs} runs")
    print(f"{'scenario':<36} {'reads/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for (anchored, clients), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rate = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        name = f"{'with' if anchored else 'without'} checkpoints, {clients} client(s)"
        print(f"{name:<36} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f}")


if __name__ == "__main__":
    main()
