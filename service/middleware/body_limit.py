"""A ceiling on request bodies, applied before the body is read (answers 413).

Without it FastAPI reads a whole body before deciding anything, so an anonymous client could
make the server hold hundreds of megabytes before the 401. The limit depends on the content
type alone, so a new upload route needs no change here: `multipart/form-data` (file uploads,
such as `POST /v1/imports`) may be as large as `PATRONAGE_MAX_UPLOAD_BYTES`, anything else (JSON,
forms) as `PATRONAGE_MAX_BODY_BYTES`. A declared `Content-Length` above the limit is refused
before a byte is read; a chunked body is counted as it arrives and refused at the limit.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Content types that may carry files, and so get the upload limit.
UPLOAD_TYPES: Final = ("multipart/form-data",)


def _message(limit: int, kind: str) -> str:
    return f"request body too large: at most {limit} bytes for {kind}"


class BodyLimitMiddleware:
    """Answer 413 to a body larger than its content type's limit (see the module)."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    def limit_for(self, headers: Headers) -> tuple[int, str]:
        """The limit of a request with these headers, and what it is called in the message."""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in UPLOAD_TYPES:
            return self.max_upload, "file uploads (multipart/form-data)"
        return self.max_body, "this content type (file uploads: multipart/form-data)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit, kind = self.limit_for(headers)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, _message(limit, kind))
            return

        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    # An HTTPException passes through FastAPI's body parsing unchanged (any
                    # other error there becomes a 400) and is answered by its handler.
                    raise HTTPException(status_code=413, detail=_message(limit, kind))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not exceeded or started:
                raise
            await _refuse(send, _message(limit, kind))  # an app that did not answer it itself


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
