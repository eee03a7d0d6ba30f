"""Fixtures of the browser tests that share one running app and one chromium for the session
(accessibility, keyboard, small screens: `browsing.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.ui.browsing import CHROMIUM, CHROMIUM_ARGS
from tests.service.ui.harness import RunningApp, running_app


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The UI test app (seeded registry, tiny model, June lists), served once per session."""
    with running_app(tmp_path_factory.mktemp("ui-shared")) as running:
        yield running


@pytest.fixture(scope="session")
def shared_browser() -> Iterator[Any]:
    """One headless chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
