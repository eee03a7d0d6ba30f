"""Request bodies are limited before they are read: 413 with the limit in the message
(issue 15, finding 4)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.types import Message

from service.auth.roles import UserRole
from service.middleware.body_limit import BodyLimitMiddleware
from tests.service.conftest import IIN_KEY, TOKEN_KEY, Service
from tests.service.server import free_port, start_server

LIMIT = 64 * 1024


def _call(app: object, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, bytes, int]:
    """Drive the ASGI app with a body fed chunk by chunk; (status, body, chunks read)."""
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        chunk = next(chunks, None)
        read += 1
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/lists", "raw_path": b"/v1/lists", "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))  # type: ignore[operator]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), body, read


def _endless(size: int = 16 * 1024) -> Iterator[bytes]:
    while True:
        yield b"x" * size


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    sqlite_service: Service,
) -> None:
    """An anonymous 200 MB upload: 413 before the 401, and not one chunk read."""
    status, body, read = _call(
        sqlite_service.app,
        {"content-type": "application/json", "content-length": str(200 * 1024 * 1024)},
        _endless(),
    )
    assert status == 413
    assert str(LIMIT) in json.loads(body)["detail"]
    assert read == 0


def test_a_chunked_body_is_cut_off_at_the_limit(sqlite_service: Service) -> None:
    """No Content-Length (chunked): reading stops at the limit, whoever the sender is."""
    for headers in ({}, sqlite_service.headers(UserRole.admin)):
        status, body, read = _call(
            sqlite_service.app,
            {"content-type": "application/json", **headers},
            _endless(),
        )
        assert status == 413
        assert str(LIMIT) in json.loads(body)["detail"]
        assert read * 16 * 1024 <= LIMIT + 16 * 1024  # one chunk past the limit at most


def test_bodies_under_the_limit_are_untouched(sqlite_service: Service) -> None:
    admin = sqlite_service.headers(UserRole.admin)
    response = sqlite_service.client.post(
        "/v1/lists", content=json.dumps({"month": "no"}), headers=admin
    )
    assert response.status_code == 422  # reached the route's validation
    too_big = sqlite_service.client.post("/v1/lists", content=b" " * (LIMIT + 1), headers=admin)
    assert too_big.status_code == 413
    assert too_big.json() == {
        "detail": f"request body too large: at most {LIMIT} bytes for this content type "
        "(file uploads: multipart/form-data)"
    }


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimitMiddleware, max_body=1024, max_upload=100 * 1024)
    return app


def test_uploads_get_the_larger_limit_by_content_type() -> None:
    from fastapi.testclient import TestClient

    client = TestClient(_echo_app())
    multipart = {"content-type": "multipart/form-data; boundary=x"}
    assert client.post("/upload", content=b"x" * 50_000, headers=multipart).json() == {
        "bytes": 50_000
    }
    refused = client.post("/upload", content=b"x" * 150_000, headers=multipart)
    assert refused.status_code == 413
    assert "102400" in refused.json()["detail"]
    json_refused = client.post(
        "/upload", content=b"x" * 2000, headers={"content-type": "application/json"}
    )
    assert json_refused.status_code == 413
    assert "1024" in json_refused.json()["detail"]
    # Chunked: the app sees no more than the limit.
    chunked = client.post("/upload", content=iter([b"x" * 600, b"x" * 600]))
    assert chunked.status_code == 413


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_real_server_does_not_grow_on_a_huge_chunked_body(tmp_path: Path) -> None:
    """200 MB sent chunked to the real server (uvicorn, as `patronage serve` runs it): the
    server answers 413 and its memory stays where it was."""
    port = free_port()
    process = start_server(tmp_path, port, token_key=TOKEN_KEY, iin_key=IIN_KEY)
    try:
        base = f"http://127.0.0.1:{port}"
        httpx.get(base + "/health")
        before = _rss_kib(process.pid)

        def body() -> Iterator[bytes]:
            chunk = secrets.token_bytes(1024 * 1024)
            for _ in range(200):
                yield chunk

        status = None
        started = time.monotonic()
        try:
            response = httpx.post(
                base + "/v1/lists",
                content=body(),
                headers={"content-type": "application/json"},
                timeout=60,
            )
            status = response.status_code
        except httpx.TransportError:
            pass  # the server may close the connection while the client is still sending
        elapsed = time.monotonic() - started
        grown = _rss_kib(process.pid) - before
        assert status in (413, None)
        assert grown < 20 * 1024, f"server grew by {grown} KiB"
        assert httpx.get(base + "/health").status_code == 200
        assert elapsed < 60
        # With a declared length the answer comes before the body is sent at all.
        declared = httpx.post(
            base + "/v1/lists",
            content=b"x" * (LIMIT + 1),
            headers={"content-type": "application/json"},
        )
        assert declared.status_code == 413
    finally:
        process.terminate()
        process.wait(timeout=30)
