"""The Jinja2 environment of the pages and the one function that renders a page."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.ui import i18n

TEMPLATES_DIR: Final = Path(__file__).parent / "templates"
STATIC_DIR: Final = Path(__file__).parent / "static"
LANG_COOKIE: Final = "patronage_lang"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One environment for all pages and languages (the language travels in the context)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.context_gettext, ngettext=i18n.context_ngettext, newstyle=True
    )
    env.filters["pct"] = _percent
    env.filters["signed"] = _signed
    return env


def _percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100.0 * value:.{digits}f}%"


def _signed(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def request_lang(request: Request) -> i18n.Lang:
    """The page language: `?lang=`, then the language cookie, then `Accept-Language`."""
    chosen = i18n.parse_lang(request.query_params.get("lang"))
    if chosen is not None:
        return chosen
    remembered = i18n.parse_lang(request.cookies.get(LANG_COOKIE))
    if remembered is not None:
        return remembered
    return i18n.negotiate(request.headers.get("accept-language"))


def url_with(request: Request, **changes: str | None) -> str:
    """The current page's path and query with some parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render `template` in the request's language with the common page context."""
    lang = request_lang(request)
    base: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "langs": i18n.LANG_NAMES,
        "url_with": lambda **changes: url_with(request, **changes),
        "user": getattr(request.state, "ui_user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    base.update(context or {})
    html = environment().get_template(template).render(base)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    if request.query_params.get("lang") == lang:
        # Remember an explicit choice so every later page honours it.
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
