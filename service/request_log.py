"""uvicorn's access log names the route, not the path that came.

uvicorn logs every request as `client - "GET /v1/families/850315401231 HTTP/1.1" 404`: the path
and query exactly as sent. A path value can be anything a client put there, an IIN typed into
the wrong field included, and the server log is read by more people than the access log of
family data (guardrail 6: logs never contain an IIN, a name or a token). `RouteTemplateFilter`
rewrites the path of each access-log line to the template of the route it matched
(`/v1/families/{family_id}`), drops the query string (`?…` marks that there was one), and writes
`<no route>` for a path no route matches. Method, status and client stay as they were, so the
log still says who called what and how it ended.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from fastapi import FastAPI

#: The logger uvicorn writes its access log to.
ACCESS_LOGGER: Final = "uvicorn.access"
NO_ROUTE: Final = "<no route>"


class RouteTemplateFilter(logging.Filter):
    """Rewrites the path argument of uvicorn's access-log records to its route template."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__()
        self._app = app

    def template(self, full_path: str) -> str:
        """The template of the first route whose pattern matches the path of `full_path`."""
        path, query = full_path.partition("?")[::2]
        suffix = "?…" if query else ""
        for pattern, template in _templates(self._app.routes):
            if pattern.match(path):
                return template + suffix
        return NO_ROUTE + suffix

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        # uvicorn: '%s - "%s %s HTTP/%s" %d' % (client, method, path, http_version, status)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            client, method, path, version, status = args
            record.args = (client, method, self.template(path), version, status)
        return True


def _templates(routes: list[Any], prefix: str = "") -> list[tuple[re.Pattern[str], str]]:
    """(pattern, template) of every route, in matching order. FastAPI keeps an included router
    as one entry (`original_router`, with the include's prefix): its routes are walked too."""
    found: list[tuple[re.Pattern[str], str]] = []
    for route in routes:
        router = getattr(route, "original_router", None)
        if router is not None:
            context = getattr(route, "include_context", None)
            found += _templates(router.routes, prefix + str(getattr(context, "prefix", "") or ""))
            continue
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and not prefix:
            found.append((pattern, str(route.path)))
        elif pattern is not None:  # a prefixed include: match on prefix + the route's template
            template = prefix + str(route.path)
            regex = re.sub(r"\\{[^}]*\\}", "[^/]+", re.escape(template))
            found.append((re.compile(f"^{regex}$"), template))
    return found


def install_request_log(app: FastAPI) -> None:
    """Attach the filter for `app` to uvicorn's access logger (replacing one attached for an
    earlier app in this process, so tests that build many apps do not pile filters up)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, RouteTemplateFilter)]:
        logger.removeFilter(old)
    logger.addFilter(RouteTemplateFilter(app))
