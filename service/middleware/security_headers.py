"""Security headers on every response (a pure-ASGI middleware).

The pages load nothing from elsewhere and run no script: one stylesheet and images from this
origin, no inline script or style anywhere (templates, SVG waterfall, error pages), so the
policy needs no `'unsafe-inline'`. A response that sets its own `Content-Security-Policy` keeps
it (the API documentation pages and the self-contained fairness report, each with a reason).
Everything except the static assets is `Cache-Control: no-store`: pages and API answers hold
names, scores and tokens, and no shared or browser cache should keep them.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of every page and answer: this origin's stylesheet and images, forms posting
#: back here only, no scripts, no plugins, never inside a frame.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

#: Versioned assets without names in them: browsers may cache these.
CACHEABLE_PREFIXES: Final = ("/ui/static/", "/docs/static/", "/docs/own/")

HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Add `HEADERS` (a response's own CSP wins) and `Cache-Control: no-store`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadedFastAPI(FastAPI):
    """FastAPI with `SecurityHeadersMiddleware` outside Starlette's own error middleware, so
    the 500 that Starlette answers for an unhandled error carries the headers too (middleware
    added with `add_middleware` sits inside it)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())
