"""Capture the README's screenshots from a running demo (not a test; pytest never collects it).

    PATRONAGE_HOME=/tmp/demo-shots .venv/bin/patronage demo --port 8137 --families 20000 &
    .venv/bin/python docs/screenshots/capture.py --url http://127.0.0.1:8137 \
        --credentials /tmp/demo-shots/demo-credentials.json

Signs in as the demo's council member, a clinic user, the auditor and the ministry with
headless Debian chromium (Playwright) and writes the PNGs next to this file (or to --out).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).parent
NAMES = (
    "list",
    "list-kk",
    "family",
    "alerts-ru",
    "models",
    "model-card",
    "fairness",
    "auditor-explanation",
    "access-log",
    "case",
    "agenda",
    "dashboard",
    "referrals-kk",
    "screening-form",
    "statistics",
)


def _user(credentials: dict[str, Any], role: str, district: str | None = None) -> dict[str, Any]:
    for user in credentials["users"]:
        if user["role"] == role and (district is None or user["district"] == district):
            return dict(user)
    raise SystemExit(f"credentials: no user with role {role!r}")


def _signed_in(browser: Browser, url: str, user: dict[str, Any], locale: str) -> Page:
    context = browser.new_context(
        base_url=url, locale=locale, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto("/ui/login")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    if "/ui/login" in page.url:
        raise SystemExit(f"sign-in of {user['username']} failed")
    return page


def _lang(href: str | None, lang: str) -> str:
    """`href` (a link read from the page) with `lang` added to its query."""
    if not href:
        raise SystemExit("the page has no link to follow: is the demo's list empty?")
    return f"{href}{'&' if '?' in href else '?'}lang={lang}"


def _go(page: Page, href: str) -> None:
    response = page.goto(href)
    if response is None or not response.ok:
        raise SystemExit(f"{href}: answered {response.status if response else 'nothing'}")


def _shot(page: Page, out: Path, name: str, *, full: bool = False) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)


def capture(url: str, credentials: dict[str, Any], out: Path) -> None:
    """Sign in as the demo users and save the screenshots of `NAMES` into `out`."""
    council = _user(credentials, "council")
    district = council["district"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = _signed_in(browser, url, council, "en-US")
        _go(page, f"/ui/districts/{district}/lists?lang=en")
        month = page.locator("main ul li a").first.get_attribute("href") or ""  # newest first
        _go(page, _lang(month, "en"))
        _shot(page, out, "list")
        family = page.locator("table.list tbody tr td a").first.get_attribute("href")
        _go(page, _lang(month, "kk"))
        _shot(page, out, "list-kk")
        _go(page, _lang(family, "en"))
        _shot(page, out, "family", full=True)
        _go(page, f"/ui/districts/{district}/alerts?lang=ru")
        _shot(page, out, "alerts-ru")
        _go(page, f"/ui/districts/{district}/cases?lang=en")
        case = page.locator("main table tbody tr td a").first.get_attribute("href")
        _go(page, _lang(case, "en"))
        _shot(page, out, "case", full=True)
        _go(page, f"/ui/districts/{district}/agenda?lang=en")
        _shot(page, out, "agenda")
        _go(page, f"/ui/districts/{district}/dashboard?lang=en")
        _shot(page, out, "dashboard", full=True)

        page = _signed_in(browser, url, _user(credentials, "clinic", district), "en-US")
        _go(page, "/ui/referrals?lang=kk")
        _shot(page, out, "referrals-kk")
        _go(page, "/ui/forms/medical-screening?lang=en")
        _shot(page, out, "screening-form", full=True)

        page = _signed_in(browser, url, _user(credentials, "ministry"), "en-US")
        _go(page, "/ui/statistics?lang=en")
        _shot(page, out, "statistics")

        page = _signed_in(browser, url, _user(credentials, "auditor"), "en-US")
        _go(page, "/ui/audit/models?lang=en")
        _shot(page, out, "models")
        champion = page.locator("main table tbody tr td a").first.get_attribute("href") or ""
        _go(page, _lang(champion, "en"))
        _shot(page, out, "model-card", full=True)
        _go(page, "/ui/audit/fairness?lang=en")
        _shot(page, out, "fairness")
        _go(page, f"/ui/audit/explanations?district={district}&lang=en")
        link = page.locator("main table tbody tr td a").first.get_attribute("href") or ""
        _go(page, _lang(link, "en"))
        _shot(page, out, "auditor-explanation", full=True)
        _go(page, "/ui/audit/access-log?lang=en")
        _shot(page, out, "access-log")
        browser.close()
    sys.stderr.write(f"wrote {', '.join(NAMES)} into {out}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8137")
    parser.add_argument(
        "--credentials", type=Path, default=Path("/tmp/demo-shots/demo-credentials.json")
    )
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    credentials = json.loads(args.credentials.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    capture(args.url, credentials, args.out)


if __name__ == "__main__":
    main()
