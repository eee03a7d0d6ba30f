"""What the accessibility, keyboard and small-screen browser tests share: one running app and one
headless chromium for the whole session (`conftest.py` holds the fixtures), a signed-in context
per role, and a school class file to upload.

Debian's chromium (`/usr/bin/chromium`) is driven by Playwright over loopback; nothing is fetched
from elsewhere (axe-core comes inside the `axe-playwright-python` wheel).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Final

import pytest

from tests.service.ui.harness import RunningApp

CHROMIUM: Final = Path("/usr/bin/chromium")
LANGS: Final = ("kk", "ru", "en")

BROWSER_MARKS: Final = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: run `make browser-deps` as root "
        "(apt-get install chromium) to run the browser tests",
    ),
]
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SURVEY_COLUMNS: Final = (
    "subject_iin", "event_date", "feels_safe", "afraid_of_adult", "seen_violence",
    "hurt_by_adult", "hunger_neglect", "wants_counsellor", "unexplained_injury",
    "behaviour_change", "days_absent",
)  # fmt: skip


def signed_in(
    browser: Any,
    app: RunningApp,
    username: str | None,
    *,
    width: int = 1280,
    height: int = 900,
    locale: str = "en-US",
) -> Any:
    """A new page in a context of its own, signed in as `username` (None: signed out)."""
    context = browser.new_context(
        base_url=app.url, locale=locale, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    if username is None:
        return page
    page.goto("/ui/login?lang=en")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(app.password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    assert "/ui/login" not in page.url, f"{username} could not sign in"
    return page


def class_file(app: RunningApp, *, rows: int = 12, bad: bool = False) -> bytes:
    """A school class of Almaly as a CSV; `bad` puts three typical mistakes in it."""
    families = set(app.seeded.families["Almaly"])
    iins = [
        app.seeded.iins[pid]
        for pid in sorted(app.seeded.iins)
        if app.seeded.family_of[pid] in families and pid.endswith("c")
    ][:rows]
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(SURVEY_COLUMNS)
    for i, iin in enumerate(iins):
        cells: list[Any] = [iin, "2025-05-02", 1 + i % 5, *(["no"] * 7), i % 4]
        if bad and i == 1:
            cells[2] = 9
        if bad and i == 2:
            cells[1] = "02.05.2025"
        if bad and i == 3:
            cells[3] = "maybe"
        out.writerow(cells)
    return buffer.getvalue().encode()


def no_horizontal_overflow(page: Any) -> dict[str, int]:
    """The document's and the viewport's widths; the first must not exceed the second."""
    sizes: dict[str, int] = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, "
        "viewport: document.documentElement.clientWidth})"
    )
    return sizes


def with_axe(page: Any) -> Any:
    """`page` with axe-core loaded into every document it opens from now on (the copy the
    `axe-playwright-python` wheel bundles: read from the wheel, nothing is fetched; loaded once
    per context instead of evaluated again before each run)."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    page.context.add_init_script(script=Axe().axe_script)
    return page


def text_of(page: Any) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text())
