"""The forms and the upload preview on a phone (375 px) and a tablet (768 px): nothing wider than
the screen (`document.scrollWidth <= viewport`), so nothing needs sideways scrolling.

Screenshots of the upload preview and the screening form at both widths go to a temporary folder,
or to `PATRONAGE_SCREENSHOTS` (`PATRONAGE_SCREENSHOTS=docs/screenshots pytest
tests/service/ui/test_widths.py` refreshes the pictures in docs/ui.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Final

import pytest

from tests.service.ui.browsing import BROWSER_MARKS, class_file, no_horizontal_overflow, signed_in
from tests.service.ui.harness import RunningApp

pytestmark = BROWSER_MARKS

WIDTHS: Final = {"phone": 375, "tablet": 768}
#: (who, form page) checked at each width besides the upload pages.
FORMS: Final = (
    ("school.almaly", "/ui/forms/school-survey"),
    ("clinic.almaly", "/ui/forms/medical-screening"),
    ("clinic.almaly", "/ui/forms/hospital-injury"),
    ("police.almaly", "/ui/forms/police-signal"),
    ("guardianship.almaly", "/ui/forms/care-placement"),
    ("school.almaly", "/ui/uploads"),
)
SHOTS: Final = Path(os.environ.get("PATRONAGE_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_forms_and_the_upload_preview_fit_the_screen(
    shared_browser: Any, shared_app: RunningApp, device: str
) -> None:
    width = WIDTHS[device]
    too_wide: dict[str, dict[str, int]] = {}
    pages: dict[str, Any] = {}
    for user, path in FORMS:
        if user not in pages:
            pages[user] = signed_in(shared_browser, shared_app, user, width=width, height=800)
        page = pages[user]
        page.goto(f"{path}?lang=kk")  # Kazakh: the longest words of the three
        if (sizes := no_horizontal_overflow(page))["scroll"] > sizes["viewport"]:
            too_wide[path] = sizes
        if path.endswith("medical-screening"):
            _shot(page, f"screening-{width}")

    # The preview of a class file with mistakes (the widest table), then a clean one.
    page = pages["school.almaly"]
    for bad in (True, False):
        page.goto("/ui/uploads?lang=ru")
        page.set_input_files(
            "#up-file",
            {"name": "5b.csv", "mimeType": "text/csv", "buffer": class_file(shared_app, bad=bad)},
        )
        page.locator("form.upload-form button[type=submit]").click()
        page.wait_for_load_state()
        where = f"preview (mistakes: {bad})"
        if (sizes := no_horizontal_overflow(page))["scroll"] > sizes["viewport"]:
            too_wide[where] = sizes
        if bad:
            assert page.locator("table.problems tbody tr").count() == 3
            _shot(page, f"upload-preview-{width}")
    for page in pages.values():
        page.context.close()
    assert too_wide == {}
