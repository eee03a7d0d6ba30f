"""A real server process (uvicorn, `experiments.app:create_app`, as `patronage serve` runs it) on a
free loopback port.

Shared by the crash test (SIGKILL mid-load) and the service benchmark, which both need the
server in its own process rather than in-process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from experiments.cli.service import proxy_options
from tests.service.checkpoint_key import checkpoint_key_file


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    home: Path,
    port: int,
    *,
    token_key: str,
    iin_key: str,
    workers: int = 1,
    database_url: str | None = None,
    timeout: float = 60.0,
    trusted_proxies: str = "",
) -> subprocess.Popen[bytes]:
    """Start the service on `port` with its data in `home`; return once `/health` answers.

    With `workers` > 1 uvicorn starts that many processes on one database, which must already be
    migrated (`patronage serve --workers N` migrates before starting them).

    Proxy headers are read only from `trusted_proxies`, as `patronage serve` does
    (`experiments.cli.service.proxy_options`).

    The server's stderr is appended to `home/server.stderr` (a pipe nobody reads could fill up
    and stall the server); its tail is in the error if the process exits before answering.
    """
    env = {
        **os.environ,
        "PATRONAGE_HOME": str(home),
        "PATRONAGE_TOKEN_KEY": token_key,
        "PATRONAGE_IIN_HASH_KEY": iin_key,
        "PATRONAGE_DEMO": "0",
        "PATRONAGE_CHECKPOINT_KEY_FILE": str(checkpoint_key_file(home)),
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
    }
    env.pop("DATABASE_URL", None)
    if database_url is not None:  # else SQLite in `home`
        env["DATABASE_URL"] = database_url
    command = [
        sys.executable, "-m", "uvicorn", "experiments.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--no-access-log", "--workers", str(workers),
    ]  # fmt: skip
    proxy = proxy_options(trusted_proxies)
    if proxy["proxy_headers"]:
        command += ["--forwarded-allow-ips", ",".join(proxy["forwarded_allow_ips"])]
    else:
        command.append("--no-proxy-headers")
    log = home / "server.stderr"
    with log.open("ab") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not answer /health within {timeout:g} s")
