"""The clinic's violence screening form filled in and sent with the keyboard alone.

Only Tab (to move), typing (the IIN, the date, numbers), Space (a radio button of a group none
of whose buttons is chosen yet, a check box) and Enter (send) are pressed; the mouse is never
used. Every control reached shows where the focus is (an outline), and the record is stored.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import func, select

from service.storage.tables import MedicalScreeningRow
from tests.service.ui.browsing import BROWSER_MARKS, signed_in
from tests.service.ui.harness import RunningApp

pytestmark = BROWSER_MARKS

FORM: Final = "/ui/forms/medical-screening"
FOCUSED_JS: Final = """
() => { const e = document.activeElement; const form = e.closest('form.record-form');
  return {tag: e.tagName.toLowerCase(), type: (e.type || '').toLowerCase(), name: e.name || '',
          value: e.value || '', inForm: !!form,
          groupChosen: !!(form && e.name &&
            form.querySelector(`input[name="${e.name}"]:checked`)),
          outline: getComputedStyle(e).outlineStyle}; }
"""


def _stored(app: RunningApp) -> int:
    with app.app.state.patronage.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(MedicalScreeningRow)) or 0)


def _patient(app: RunningApp) -> str:
    """An adult of Almaly (the clinic's district)."""
    family = app.seeded.families["Almaly"][3]
    return app.seeded.iins[f"P{family}a"]


def test_the_screening_form_is_filled_and_sent_with_the_keyboard(
    shared_browser: Any, shared_app: RunningApp
) -> None:
    page = signed_in(shared_browser, shared_app, "clinic.almaly", locale="en-US")
    page.goto(f"{FORM}?lang=en")
    before = _stored(shared_app)
    keys: list[str] = []
    unseen_focus: list[str] = []
    seen_boxes: set[str] = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        keys.append("Tab")
        el = page.evaluate(FOCUSED_JS)
        if not el["inForm"]:
            continue
        if el["outline"] == "none":
            unseen_focus.append(el["name"] or el["tag"])
        if el["tag"] == "button":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            keys.append("Enter")
            break
        if el["name"] == "subject_iin":
            page.keyboard.type(_patient(shared_app))
            keys.append("type IIN")
        elif el["type"] == "date" and not el["value"]:
            page.keyboard.type("05022025")  # 05/02/2025 in the en-US date field
            keys.append("type date")
        elif el["type"] == "number" and not el["value"]:
            page.keyboard.type("2")
            keys.append("type number")
        elif el["type"] == "radio" and not el["groupChosen"]:
            page.keyboard.press("Space")
            keys.append("Space")
        elif el["type"] == "checkbox" and el["name"] not in seen_boxes:
            seen_boxes.add(el["name"])
            page.keyboard.press("Space")
            keys.append("Space")
    else:
        raise AssertionError("the send button was never reached with Tab")
    assert "/ui/submissions/medical_screening/" in page.url, page.locator("main").inner_text()
    assert _stored(shared_app) == before + 1
    assert unseen_focus == []  # every control shows the focus
    assert set(keys) <= {"Tab", "Enter", "Space", "type IIN", "type date", "type number"}
    page.context.close()
