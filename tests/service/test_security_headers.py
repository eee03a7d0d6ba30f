"""Security headers on pages, API answers and errors; API docs without a CDN; `/health` tells
the public only that the service is up (issue 15, finding 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.apidocs import VENDOR_DIR
from service.auth.roles import UserRole
from service.middleware.security_headers import CONTENT_SECURITY_POLICY
from service.ui.rendering import STATIC_DIR, TEMPLATES_DIR
from tests.service.conftest import Service
from tests.service.ui.signin import sign_in

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _assert_headers(response: object, *, csp: str = CONTENT_SECURITY_POLICY) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in {**EXPECTED, "content-security-policy": csp}.items():
        assert headers.get(name) == value, (name, headers.get(name))
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"].split("script-src")[-1]


def test_the_policy_is_strict() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "script-src" not in directives  # no script at all (default-src 'none')
    assert all("unsafe" not in v and "http" not in v for v in directives.values())


def test_headers_on_a_page_an_api_answer_and_errors(sqlite_service: Service) -> None:
    client = sqlite_service.client
    admin = sqlite_service.headers(UserRole.admin)
    answers = {
        "sign-in page": client.get("/ui/login"),
        "API answer": client.get("/v1/admin/users", headers=admin),
        "401": client.get("/v1/admin/users"),
        "404": client.get("/v1/no-such-route", headers=admin),
        "422": client.post("/v1/lists", json={"month": "no"}, headers=admin),
        "413": client.post("/v1/lists", content=b"x" * 70_000, headers=admin),
        "health": client.get("/health"),
    }
    for name, response in answers.items():
        assert response.status_code == {"sign-in page": 200, "API answer": 200, "health": 200}.get(
            name, int(name) if name.isdigit() else 0
        ), name
        _assert_headers(response)
    sign_in(client, "council.almaly")
    page = client.get("/ui/districts/Almaly/lists")
    assert page.status_code == 200
    _assert_headers(page)
    refused = client.get("/ui/districts/Esil/lists")
    assert refused.status_code == 403
    _assert_headers(refused)


def test_static_assets_may_be_cached_but_keep_the_other_headers(sqlite_service: Service) -> None:
    response = sqlite_service.client.get("/ui/static/patronage.css")
    assert response.status_code == 200
    assert response.headers.get("cache-control") != "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


TEMPLATE_FILES = sorted(p for p in TEMPLATES_DIR.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_templates_have_no_inline_script_or_style(path: Path) -> None:
    """The policy allows neither: a template that adds one would break under it."""
    text = path.read_text()
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.I)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing from elsewhere


def test_the_stylesheet_loads_nothing_from_elsewhere() -> None:
    for css in STATIC_DIR.rglob("*.css"):
        text = css.read_text()
        assert "@import" not in text
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)


def test_api_docs_are_served_without_a_cdn(sqlite_service: Service) -> None:
    client = sqlite_service.client
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
        assert sources
        assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
        assert "<script>" not in page.text  # no inline script: only files from here
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert b"cdn.jsdelivr" not in asset.content[:2000]
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["cache-control"] == "no-store"
    assert (VENDOR_DIR / "swagger-ui-bundle.js").is_file()


def test_health_tells_the_public_only_that_the_service_is_up(sqlite_service: Service) -> None:
    client = sqlite_service.client
    public = client.get("/health").json()
    assert public == {"status": "ok", "database": None, "champion": None}
    for role, district in ((UserRole.auditor, None), (UserRole.council, "Almaly")):
        headers = sqlite_service.headers(role, district)
        assert client.get("/health", headers=headers).json() == public
    assert client.get("/health", headers={"Authorization": "Bearer forged"}).json() == public
    admin = client.get("/health", headers=sqlite_service.headers(UserRole.admin)).json()
    assert admin["status"] == "ok"
    assert admin["database"] == "sqlite"


def test_unhandled_errors_carry_the_headers_too(sqlite_service: Service) -> None:
    """A 500 from a failing handler is answered inside the middleware, with the headers."""

    @sqlite_service.app.get("/v1/boom-for-test", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    client = TestClient(sqlite_service.app, raise_server_exceptions=False)
    response = client.get("/v1/boom-for-test")
    assert response.status_code == 500
    _assert_headers(response)
