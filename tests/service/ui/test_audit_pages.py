"""Auditor and admin pages on real producer output: a run logged by `experiments.tracking`
(model card, `gate.json`, the fairness report `fairness.write_report` writes), described by
`experiments.model_source.describe_registry`, and users changed through `service.admin.users`."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from experiments import tracking
from experiments.model_source import TrackingModelSource
from fairness import GateVerdict, evaluate_gate, write_report
from features.i18n import LANGS, Lang
from model import plots
from model.baselines import Standardiser
from model.gates import GateFailure, describe
from model.learners import LinearLearner
from model.model_card import ModelCardInfo, card_filename, render_model_card
from model.model_card_texts import card_texts
from model.recalibration import GroupFit, GroupRecalibration
from model.risk_model import RiskModel
from model.shapes import shapes
from service.auth.access import TOKEN_COOKIE
from service.auth.security import verify_password
from service.main import create_app
from service.model_source import Champion
from service.settings import Settings
from service.storage.tables import User
from service.ui import i18n
from service.ui.auth import csrf_token_for
from service.ui.rendering import STATIC_DIR
from tests.fairness.synthetic import gate_report
from tests.service.checkpoint_key import checkpoint_key_file
from tests.service.conftest import IIN_KEY, TOKEN_KEY
from tests.service.factory import PASSWORD, seed_registry
from tests.service.ui.browsing import CHROMIUM
from tests.service.ui.signin import sign_in

CARD_INFO = ModelCardInfo(
    model_name="patronage-risk", trained_until=dt.date(2025, 1, 1), horizon_months=6,
    train_as_of=[dt.date(2024, 1, 1)], valid_as_of=[dt.date(2024, 5, 1)], n_train=1000,
    n_valid=300, data_fingerprint="f00d", features_by_source={"police": 3},
    calibration="platt", band_cuts=(0.05,), metrics={"model": {"auc": 0.7123}},
    gate_passed=False, gate_failures=[GateFailure("no_fairness_verdict")],
)  # fmt: skip
OLDER_SENTENCES = ["Fairness: The false negative rate differs between groups (an older run)."]
ENGLISH_ONLY = (
    "This version has no model card in this language (an older run): the card is shown in English."
)


@dataclass
class Registered:
    client: TestClient
    app: object
    failures: list[GateFailure]
    verdict: GateVerdict
    card: str


@pytest.fixture(scope="module")
def registered(
    tmp_path_factory: pytest.TempPathFactory, champion: Champion
) -> Iterator[Registered]:
    """The app on a fresh home whose MLflow registry holds one version that failed its
    fairness gate (injected bias) and was made champion by hand, as the demo does."""
    home = tmp_path_factory.mktemp("audit-home")
    settings = Settings(
        home=home, database_url=f"sqlite:///{home / 'p.db'}", token_key=TOKEN_KEY,
        iin_hash_key=IIN_KEY, mlflow_tracking_uri=None,
        checkpoint_key_file=checkpoint_key_file(home),
    )  # fmt: skip
    report = gate_report(seed=1, shift=0.5, n_boot=200)
    verdict = evaluate_gate(report)
    assert not verdict.passed
    artifacts = home / "run"
    write_report(report, artifacts / "fairness", verdict=verdict)
    card = "# Model card of the audit page test\n\nRecorded incidents, not all incidents.\n"
    (artifacts / "model_card.md").write_text(card, "utf-8")
    failures = [GateFailure("fairness", fairness=f) for f in verdict.failures]
    tracking.log_training_run(
        champion.model, params={"seed": 0}, metrics={"model": {"auc": 0.7}},
        data_fingerprint="test", gate_passed=False, gate_failures=failures,
        artifact_dir=artifacts, settings=settings,
    )  # fmt: skip
    tracking.promote(1, reason="test of the audit pages", by="test", settings=settings)
    # Version 2: a run that wrote the card in all three languages, as training does now.
    translated = home / "run-translated"
    translated.mkdir()
    for lang in LANGS:
        (translated / card_filename(lang)).write_text(
            render_model_card(CARD_INFO, lang=lang), "utf-8"
        )
    tracking.log_training_run(
        champion.model, params={"seed": 1}, metrics={"model": {"auc": 0.7}},
        data_fingerprint="test", gate_passed=False, gate_failures=failures,
        artifact_dir=translated, settings=settings,
    )  # fmt: skip
    # Version 2's tag as a run logged before the failures were facts wrote it: sentences.
    MlflowClient(tracking_uri=settings.tracking_uri).set_model_version_tag(
        settings.model_name, "2", "patronage.gate_failures", json.dumps(OLDER_SENTENCES)
    )
    # Version 3: a glass-box (logistic) champion candidate whose run wrote its shapes.
    glass_box = home / "run-glass-box"
    logistic = _logistic(champion.model)
    # ... whose deployment chose to recalibrate within income groups (issue 18)
    logistic.recalibration_ = GroupRecalibration(
        attribute="income_group",
        groups={"low": GroupFit(0.25, 900, 40, 0.03, 0.04, True)},
    )
    sample = np.random.default_rng(0).poisson(1.0, (400, len(logistic.feature_names_))) * 1.0
    written = shapes(logistic.learner_, sample)
    plots.shape_plots(written, glass_box / "plots" / "shapes")
    (glass_box / "shapes.json").write_text(json.dumps([x.to_dict() for x in written]), "utf-8")
    (glass_box / card_filename("en")).write_text(card, "utf-8")
    tracking.log_training_run(
        logistic, params={"seed": 2}, metrics={"model": {"auc": 0.7}},
        data_fingerprint="test", gate_passed=False, gate_failures=failures,
        artifact_dir=glass_box, settings=settings,
    )  # fmt: skip
    app = create_app(settings, models=TrackingModelSource(settings))
    state = app.state.patronage
    with state.sessions() as session:
        seed_registry(session, iin_key=state.secrets.iin_hash_key)
    with TestClient(app) as client:
        token = client.post("/v1/token", data={"username": "admin.all", "password": PASSWORD})
        created = client.post(
            "/v1/lists",
            json={"month": "2025-06"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert created.status_code == 201, created.text
        yield Registered(client=client, app=app, failures=failures, verdict=verdict, card=card)
    state.engine.dispose()


def _logistic(like: RiskModel) -> RiskModel:
    """A logistic model on the features of `like`: the count of the first one raises the
    score, the others do not count."""
    names = like.feature_names_
    p = len(names)
    learner = LinearLearner(
        feature_names=names,
        standardiser=Standardiser(
            medians=np.zeros(p, np.float32), indicators=np.zeros(0, np.int64),
            mean=np.zeros(p, np.float32), scale=np.ones(p, np.float32),
        ),
        coef=np.array([0.8] + [0.0] * (p - 1)), intercept=-3.0, c=1.0,
    )  # fmt: skip
    rng = np.random.default_rng(1)
    x = rng.poisson(1.0, (500, p)).astype(np.float32)
    y = (rng.random(500) < 1 / (1 + np.exp(3.0 - 0.8 * np.log1p(x[:, 0])))).astype(int)
    return RiskModel().adopt(
        learner, x_valid=x, y_valid=y, feature_names=names, trained_until=dt.date(2025, 1, 1)
    )


def _sign_in(client: TestClient, username: str) -> None:
    sign_in(client, username)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_models_page_shows_the_registrys_gate_verdict_and_alias_history(
    registered: Registered,
) -> None:
    _sign_in(registered.client, "auditor.all")
    text = _text(registered.client.get("/ui/audit/models?lang=en").text)
    assert "Failed" in text
    for failure in registered.failures:  # version 1: the gate's facts, as sentences
        assert describe(failure) in text
    assert OLDER_SENTENCES[0] in text  # version 2: the sentences its tag holds
    assert "test of the audit pages" in text
    assert "Override of a failed gate" in text
    card = registered.client.get("/ui/audit/models/1?lang=en").text
    assert "Model card of the audit page test" in card
    assert ENGLISH_ONLY not in card


def _card_page(client: TestClient, version: int, lang: Lang) -> tuple[str, str]:
    """The shown card (unescaped) and the rest of the page's text."""
    page = client.get(f"/ui/audit/models/{version}?lang={lang}")
    assert page.status_code == 200
    shown = re.search(r'<pre class="card" lang="(\w+)">(.*?)</pre>', page.text, flags=re.S)
    assert shown is not None
    assert shown.group(1) in LANGS
    rest = page.text[: shown.start()] + page.text[shown.end() :]
    return html.unescape(shown.group(2)), _text(rest)


@pytest.mark.parametrize("lang", LANGS)
def test_model_card_page_shows_the_card_in_the_users_language(
    registered: Registered, lang: Lang
) -> None:
    _sign_in(registered.client, "auditor.all")
    card, rest = _card_page(registered.client, 2, lang)
    assert card == render_model_card(CARD_INFO, lang=lang)
    assert f"## {card_texts(lang).h_intended_use}" in card
    assert "0.7123" in card
    assert i18n.catalog(lang).gettext(ENGLISH_ONLY) not in rest


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_model_card_page_falls_back_to_english_with_a_note(
    registered: Registered, lang: Lang
) -> None:
    _sign_in(registered.client, "auditor.all")
    card, rest = _card_page(registered.client, 1, lang)  # an older run: model_card.md only
    assert card == registered.card
    note = i18n.catalog(lang).gettext(ENGLISH_ONLY)
    assert note != ENGLISH_ONLY
    assert note in rest


def test_registry_lists_the_card_of_each_language(registered: Registered) -> None:
    state = registered.app.state.patronage  # type: ignore[attr-defined]
    versions = {v["version"]: v for v in state.models.describe()["versions"]}
    for version in versions.values():
        uris = version["model_card_uris"]
        assert sorted(uris) == sorted(LANGS)
        assert uris["en"] == version["model_card_uri"]
        assert uris["kk"].endswith("/model_card.kk.md")
        assert uris["ru"].endswith("/model_card.ru.md")


def test_registry_gives_the_gate_as_sentences_and_as_facts(registered: Registered) -> None:
    state = registered.app.state.patronage  # type: ignore[attr-defined]
    versions = {v["version"]: v for v in state.models.describe()["versions"]}
    first, second = versions[1]["gate"], versions[2]["gate"]
    assert first["passed"] is False
    assert first["failures"] == [describe(f) for f in registered.failures]
    assert first["findings"] == [f.to_dict() for f in registered.failures]
    # calibration within groups comes first, and the disparities it explains name it
    assert first["findings"][0]["fairness"]["rule"] == "calibration_gap"
    assert any(f["fairness"].get("cause") == "calibration" for f in first["findings"])
    # a tag of an older run holds sentences: they are given as written
    assert second["failures"] == second["findings"] == OLDER_SENTENCES


def test_fairness_page_shows_the_gate_and_the_counted_disparity(registered: Registered) -> None:
    _sign_in(registered.client, "auditor.all")
    response = registered.client.get("/ui/audit/fairness?lang=en")
    assert response.status_code == 200
    text = _text(response.text)
    assert "No group is outside" not in text
    for failure in registered.failures:
        assert describe(failure) in text  # the verdict from the run's gate.json, word for word
    rows = re.findall(r'<tr class="standing-(\w+)">(.*?)</tr>', response.text, flags=re.S)
    assert rows
    assert rows[0][0] == "counted"
    first = _text(rows[0][1])
    assert "False negative rate" in first or "False omission rate" in first
    assert "reference group a" in first
    assert "95% interval" in first
    assert "Counted by the gate" in first
    assert "A ranking calibrated within each group would show" in first
    counted = [f for f in registered.verdict.failures if f.rule == "disparity"]
    assert counted
    assert sum(kind == "counted" for kind, _ in rows) == len(counted)
    # each counted row shows its finding's p-value after Holm
    shown = [_text(row).split()[-1] for kind, row in rows if kind == "counted"]
    assert sorted(shown) == sorted(f"{f.adjusted_p:.3g}" for f in counted)
    assert {"chance", "not_gate"} <= {kind for kind, _ in rows}
    plots = re.findall(r'src="(/ui/audit/fairness/plots/[^"]+\.png)"', response.text)
    assert plots
    assert registered.client.get(plots[0]).headers["content-type"] == "image/png"
    report = registered.client.get("/ui/audit/fairness/report.html")
    assert "<html" in report.text.lower()
    # Its own policy: inline styles (a self-contained file), still no script, never framed.
    policy = report.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy


def test_fairness_page_is_translated(registered: Registered) -> None:
    _sign_in(registered.client, "auditor.all")
    for lang, counted, metric, calibrated in (
        ("ru", "Учтено контролем", "Доля ложноотрицательных", "откалиброванное внутри"),
        ("kk", "Тексеру ескерді", "Жалған теріс нәтижелер үлесі", "ішінде калибрленген"),
    ):
        text = _text(registered.client.get(f"/ui/audit/fairness?lang={lang}").text)
        assert counted in text
        assert metric in text
        assert calibrated in text
        assert "95% " in text  # the escaped percent sign survives formatting


def test_access_log_actions_are_translated(registered: Registered) -> None:
    _sign_in(registered.client, "council.almaly")
    assert registered.client.get("/ui/districts/Almaly/lists/2025-06").status_code == 200
    _sign_in(registered.client, "auditor.all")
    html = registered.client.get("/ui/audit/access-log?lang=ru").text
    assert "list.read" not in html
    assert "Просмотрен ежемесячный список" in html


def _admin_post(client: TestClient, path: str) -> str:
    _sign_in(client, "admin.all")
    token = client.cookies.get(TOKEN_COOKIE) or ""
    response = client.post(
        path + "?lang=en", data={"csrf_token": csrf_token_for(token, key=TOKEN_KEY)}
    )
    assert response.status_code == 200, response.text
    return _text(response.text)


def _user(registered: Registered, username: str) -> User:
    state = registered.app.state.patronage  # type: ignore[attr-defined]
    with state.sessions() as session:
        user = session.query(User).filter_by(username=username).one()
        session.expunge(user)
        return user  # type: ignore[no-any-return]


def test_admin_pages_disable_and_reset_through_service_admin(registered: Registered) -> None:
    target = _user(registered, "school.almaly")
    text = _admin_post(registered.client, f"/ui/admin/users/{target.id}/reset-password")
    password = re.search(r"New one-time password of school\.almaly: (\S+)", text)
    assert password is not None
    assert verify_password(_user(registered, "school.almaly").password_hash, password.group(1))
    text = _admin_post(registered.client, f"/ui/admin/users/{target.id}/disable")
    assert "User school.almaly disabled." in text
    assert not _user(registered, "school.almaly").active
    admin = _user(registered, "admin.all")
    text = _admin_post(registered.client, f"/ui/admin/users/{admin.id}/disable")
    assert "You cannot disable your own account." in text
    assert _user(registered, "admin.all").active


def test_admin_api_disable_and_reset(registered: Registered) -> None:
    client = registered.client
    client.cookies.clear()
    token = client.post("/v1/token", data={"username": "admin.all", "password": PASSWORD}).json()[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    target = _user(registered, "clinic.almaly")
    reset = client.post(f"/v1/admin/users/{target.id}/reset-password", headers=headers)
    assert reset.status_code == 200
    body = reset.json()
    assert body["user"]["username"] == "clinic.almaly"
    assert json.dumps(body).count(body["one_time_password"]) == 1
    assert (
        client.post(
            "/v1/token", data={"username": "clinic.almaly", "password": body["one_time_password"]}
        ).status_code
        == 200
    )
    disabled = client.post(f"/v1/admin/users/{target.id}/disable", headers=headers)
    assert disabled.status_code == 200
    assert disabled.json()["active"] is False
    assert (
        client.post(
            "/v1/token", data={"username": "clinic.almaly", "password": body["one_time_password"]}
        ).status_code
        == 401
    )
    assert client.post("/v1/admin/users/999999/disable", headers=headers).status_code == 404


def test_a_glass_box_version_shows_its_family_and_what_the_whole_model_does(
    registered: Registered,
) -> None:
    client = registered.client
    _sign_in(client, "auditor.all")
    listing = client.get("/ui/audit/models?lang=en").text
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>(.*?)</tr>", listing, re.S)
    family = {version: _text(rest) for version, rest in rows}
    assert "gradient-boosted trees (LightGBM)" in family["1"]
    assert "logistic regression" in family["3"]
    ru = _text(client.get("/ui/audit/models?lang=ru").text)
    assert "логистическая регрессия" in ru
    page = client.get("/ui/audit/models/3?lang=en").text
    text = _text(page)
    assert "What the whole model does" in text
    # the first feature moves scores, with a positive coefficient: it is listed first and
    # rises from its lowest to its highest value
    cells = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", page)
    assert cells
    lowest, highest = (float(c.split(": ")[1].replace("&#43;", "+")) for c in cells[0][1:3])
    assert highest > lowest
    plot = client.get("/ui/audit/models/3/shapes.png")
    assert plot.status_code == 200
    assert plot.headers["content-type"] == "image/png"
    assert plot.content.startswith(b"\x89PNG")
    assert 'src="/ui/audit/models/3/shapes.png"' in page
    # a booster has no shapes: no section, no plot
    assert "What the whole model does" not in _text(client.get("/ui/audit/models/1?lang=en").text)
    assert client.get("/ui/audit/models/1/shapes.png").status_code == 404
    assert client.get("/ui/audit/models/9/shapes.png").status_code == 404
    token = client.post("/v1/token", data={"username": "auditor.all", "password": PASSWORD})
    api = client.get(
        "/v1/models", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    families = {v["version"]: v["model_family"] for v in api.json()["versions"]}
    assert families == {1: "lightgbm", 2: "lightgbm", 3: "logistic"}
    recalibrated = {v["version"]: v["recalibrated_within"] for v in api.json()["versions"]}
    assert recalibrated == {1: None, 2: None, 3: "income_group"}
    assert "recalibrated within the groups of income group" in family["3"]
    assert "recalibrated within" not in family["1"] + family["2"]


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing")
def test_the_glass_box_model_page_passes_axe_in_three_languages(
    registered: Registered, shared_browser: Any
) -> None:
    """The shapes section (plot, table) of a glass-box version, checked like every page: the
    page as served, loaded into the browser with axe-core, in kk, ru and en."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    from tests.service.ui.test_accessibility import AXE_CONTEXT, AXE_OPTIONS, _serious

    _sign_in(registered.client, "auditor.all")
    page = shared_browser.new_page()
    try:
        for lang in LANGS:
            served = registered.client.get(f"/ui/audit/models/3?lang={lang}").text
            assert "shapes.png" in served
            page.set_content(served)  # no server behind it: its style sheet is added by hand
            page.add_style_tag(content=(STATIC_DIR / "patronage.css").read_text("utf-8"))
            page.add_script_tag(content=Axe().axe_script)
            results = page.evaluate(
                "([context, options]) => axe.run(context, options)", [AXE_CONTEXT, AXE_OPTIONS]
            )
            assert _serious(results) == [], lang
    finally:
        page.close()
