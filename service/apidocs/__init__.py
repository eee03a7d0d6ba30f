"""`/docs` (Swagger UI) and `/redoc` (ReDoc) with every asset served by the service itself.

FastAPI's own pages fetch their scripts from a CDN at run time, which a service holding family
data must not depend on (and a strict Content-Security-Policy would refuse). The scripts and
stylesheets come from the pinned `fastapi-offline` package and are served under
`/docs/static/`; Swagger UI is started by a local script instead of an inline one.

Both pages set their own policy: scripts from this origin only, as everywhere, but inline
styles allowed, because Swagger UI and ReDoc insert style elements at run time (ReDoc through
styled-components) and do not work without them; ReDoc's search also runs in a `blob:` worker.
Neither page shows family data: they describe the API.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Swagger UI and ReDoc as the pinned package ships them.
VENDOR_DIR: Final = Path(fastapi_offline.__file__).parent / "static"
#: Our own start-up script for Swagger UI.
OWN_DIR: Final = Path(__file__).parent / "static"

DOCS_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" href="/docs/static/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/own/swagger-init.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" href="/docs/static/favicon.png">
</head>
<body>
<redoc spec-url="{openapi_url}"></redoc>
<script src="/docs/static/redoc.standalone.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve `/docs`, `/redoc` and their assets (create the app with `docs_url=None,
    redoc_url=None` so FastAPI's CDN pages are not registered as well)."""
    openapi_url = app.openapi_url or "/openapi.json"
    fields = {"title": escape(app.title), "openapi_url": escape(openapi_url)}
    swagger, redoc = _SWAGGER.format(**fields), _REDOC.format(**fields)
    headers = {"Content-Security-Policy": DOCS_POLICY}
    app.mount("/docs/static", StaticFiles(directory=VENDOR_DIR), name="docs-static")
    app.mount("/docs/own", StaticFiles(directory=OWN_DIR), name="docs-own")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger, headers=headers)

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc, headers=headers)
