"""Every sentence and heading of the model card, one table per language (kk, ru, en).

Placeholders are `str.format` fields; figures, metric names, feature names and fingerprints are
filled in unchanged by `model.model_card`. None of the texts may use causal wording
(`model.reasons.CAUSAL_WORDS`): an explanation is an association, not a cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from model.reasons import Lang


@dataclass(frozen=True)
class CardTexts:
    """The texts of the card in one language; `h_*` fields are section headings."""

    title: str  # {name}
    h_intended_use: str
    intended_use: str  # {horizon}
    h_not_for: str
    not_for: tuple[str, ...]
    h_label: str
    label: str  # {horizon}
    h_data: str
    trained_until: str  # {date}
    train_dates: str  # {dates} {n}
    valid_dates: str  # {dates} {n}
    label_windows: str  # {date}
    inner_buffer: str
    no_inner_buffer: str
    fingerprint: str  # {fingerprint}
    features_by_source: str  # {counts}
    protected: str
    calibration: str  # {method} {cuts}
    date_range: str  # {first} {last} {n}
    no_dates: str
    h_metrics: str
    metrics_note: str
    ranker: str
    per_district: str  # {metric}
    oracle_note: str
    h_rests_on: str
    rests_on: str  # {shares}
    h_fairness: str
    fairness_missing: str
    h_gate: str
    gate_passed: str
    gate_failed: str
    #: Said before sentences the pipeline wrote in English (gate failures, fairness warnings).
    quoted_in_english: str
    h_limitations: str
    limitations: tuple[str, ...]
    h_parameters: str
    #: Data source names as shown; a source not listed is shown by its own name.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The fairness summary's verdict lines (`experiments.training`) as shown.
    verdicts: Mapping[str, str] = field(default_factory=dict)

    @property
    def headings(self) -> tuple[str, ...]:
        """Every section heading, in the card's order."""
        return (
            self.h_intended_use,
            self.h_not_for,
            self.h_label,
            self.h_data,
            self.h_metrics,
            self.h_rests_on,
            self.h_fairness,
            self.h_gate,
            self.h_limitations,
            self.h_parameters,
        )

    def all_texts(self) -> tuple[str, ...]:
        """Every fixed text of this language (for the checks on wording)."""
        out: list[str] = []
        for value in vars(self).values():
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(value)
            else:
                out.extend(value.values())
        return tuple(out)


EN: Final = CardTexts(
    title="Model card: {name}",
    h_intended_use="Intended use",
    intended_use=(
        "Decision support for district interdepartmental prevention councils: a monthly list of "
        "families ranked by the calibrated probability of a *recorded* serious incident in the "
        "next {horizon} months, with reasons, to prioritise offers of assistance "
        "(psychologist, social patronage, crisis centre, follow-up of protective orders). A "
        "person reviews every case and records the decision."
    ),
    h_not_for="Not for",
    not_for=(
        "any sanction, benefit cut, custody decision or police action taken on the score;",
        "closing a case that has open signals (open orders and recent violations are always "
        "shown, whatever the score);",
        "populations or periods other than those it was validated on without re-validation "
        "(calibration does not travel between populations).",
    ),
    h_label="What the label measures and what it misses",
    label=(
        "Label = a criminal domestic-violence offense, a protective-order violation, a "
        "hospital-treated injury or a child taken into care, *recorded* within "
        "{horizon} months after the as-of date. Recorded is not the same as "
        "happened: most violence is never recorded, and recording differs by district and "
        "group. The model predicts what agencies will record, not violence itself; a low score "
        "is not evidence of safety."
    ),
    h_data="Data and time ranges",
    trained_until="trained until (records known before): {date}",
    train_dates="training as-of dates: {dates} ({n} family-months)",
    valid_dates=(
        "held-out as-of dates (early stopping, calibration, metrics below): "
        "{dates} ({n} family-months)"
    ),
    label_windows="no label window of any as-of date reaches past {date}",
    inner_buffer="; training label windows end before the held-out period starts",
    no_inner_buffer=(
        "; training as-of dates end before the held-out period (their label windows may overlap it)"
    ),
    fingerprint="data fingerprint: `{fingerprint}`",
    features_by_source="features by source: {counts}",
    protected="protected attributes and region/district are never features",
    calibration="calibration: {method}; bands cut at {cuts}",
    date_range="{first} .. {last} ({n} dates)",
    no_dates="none",
    h_metrics="Metrics on the held-out period",
    metrics_note=(
        "Ranking figures use the raw score; Brier and ECE use out-of-fold calibrated "
        "probabilities. Precision@k is tie-aware (worst ordering)."
    ),
    ranker="ranker",
    per_district="{metric} per district",
    oracle_note="Oracle figures (simulated truth) are reported but never gate promotion.",
    h_rests_on="What the scores rest on",
    rests_on=(
        "Share of the absolute contributions per data source (an association, not a "
        "cause): {shares}"
    ),
    h_fairness="Fairness summary",
    fairness_missing="not available for this run",
    h_gate="Gate",
    gate_passed="passed",
    gate_failed="failed:",
    quoted_in_english="",  # the card is in English already
    h_limitations="Known limitations",
    limitations=(
        "Trained and validated on a synthetic population; real data needs local "
        "re-validation and re-calibration before any use.",
        "Recording bias: families more visible to police or clinics get more signals; the "
        "fairness audit measures, but cannot remove, this bias.",
        "The held-out period is also used for early stopping and calibration; the figures "
        "at a later date (`patronage evaluate`) are the honest ones.",
        "Explanations are TreeSHAP contributions in log-odds: associations within the model, "
        "not causes.",
    ),
    h_parameters="Parameters",
)

RU: Final = CardTexts(
    title="Карточка модели: {name}",
    h_intended_use="Назначение",
    intended_use=(
        "Поддержка решений районных межведомственных советов по профилактике: ежемесячный "
        "список семей, упорядоченный по откалиброванной вероятности *регистрации* серьёзного "
        "инцидента в ближайшие {horizon} мес., с факторами, — чтобы определить очерёдность "
        "предложений помощи (психолог, социальный патронаж, кризисный центр, контроль "
        "исполнения защитных предписаний). Каждый случай рассматривает человек и записывает "
        "решение."
    ),
    h_not_for="Не предназначена для",
    not_for=(
        "любых санкций, лишения пособий, решений об опеке или действий полиции на основании "
        "оценки;",
        "закрытия случая с открытыми сигналами (действующие предписания и недавние нарушения "
        "показываются всегда, какой бы ни была оценка);",
        "применения к другим популяциям или периодам, чем те, на которых она проверена, без "
        "повторной проверки (калибровка не переносится с одной популяции на другую).",
    ),
    h_label="Что измеряет метка и что она упускает",
    label=(
        "Метка = уголовное правонарушение в сфере семейно-бытового насилия, нарушение "
        "защитного предписания, травма, потребовавшая лечения в больнице, или передача "
        "ребёнка под опеку, *зарегистрированные* в течение {horizon} мес. после даты расчёта. "
        "Зарегистрированный инцидент — не то же самое, что произошедший: большая часть насилия "
        "никогда не регистрируется, а регистрация различается по районам и группам. Модель "
        "предсказывает то, что зарегистрируют ведомства, а не само насилие; низкая оценка не "
        "доказывает, что семья в безопасности."
    ),
    h_data="Данные и периоды",
    trained_until="обучена по дату (по записям, известным до неё): {date}",
    train_dates="даты расчёта для обучения: {dates} (наблюдений «семья — месяц»: {n})",
    valid_dates=(
        "даты расчёта отложенного периода (ранняя остановка, калибровка, показатели ниже): "
        "{dates} (наблюдений «семья — месяц»: {n})"
    ),
    label_windows="ни для одной даты расчёта период наблюдения исхода не выходит за {date}",
    inner_buffer=(
        "; периоды наблюдения исхода обучающих дат заканчиваются до начала отложенного периода"
    ),
    no_inner_buffer=(
        "; обучающие даты расчёта заканчиваются до отложенного периода (их периоды наблюдения "
        "исхода могут с ним пересекаться)"
    ),
    fingerprint="отпечаток данных (fingerprint): `{fingerprint}`",
    features_by_source="признаки по источникам: {counts}",
    protected="защищённые атрибуты, а также регион и район никогда не используются как признаки",
    calibration="калибровка: {method}; границы уровней: {cuts}",
    date_range="{first} .. {last} (дат: {n})",
    no_dates="нет",
    h_metrics="Показатели на отложенном периоде",
    metrics_note=(
        "Показатели ранжирования рассчитаны по исходной оценке; Brier и ECE — по "
        "откалиброванным вероятностям вне обучающих блоков (out-of-fold). Precision@k "
        "учитывает равные оценки (худший порядок)."
    ),
    ranker="способ ранжирования",
    per_district="{metric} по районам",
    oracle_note=(
        "Показатели оракула (смоделированная истина) приводятся для сведения и никогда не "
        "влияют на контроль перед назначением."
    ),
    h_rests_on="На чём основаны оценки",
    rests_on=("Доля абсолютных вкладов по источникам данных (это связь, а не причина): {shares}"),
    h_fairness="Сводка по справедливости",
    fairness_missing="для этого запуска обучения нет",
    h_gate="Решение контроля",
    gate_passed="пройден",
    gate_failed="не пройден:",
    quoted_in_english=(
        "Формулировки контроля и аудита приведены так, как их записал процесс обучения "
        "(на английском языке)."
    ),
    h_limitations="Известные ограничения",
    limitations=(
        "Обучена и проверена на синтетической популяции; для реальных данных до любого "
        "использования нужны локальная повторная проверка и повторная калибровка.",
        "Смещение регистрации: о семьях, более заметных для полиции или поликлиник, поступает "
        "больше сигналов; аудит справедливости измеряет это смещение, но не может его "
        "устранить.",
        "Отложенный период используется и для ранней остановки, и для калибровки; объективные "
        "показатели — на более позднюю дату (`patronage evaluate`).",
        "Объяснения — вклады TreeSHAP в логарифме шансов: связи внутри модели, а не причины.",
    ),
    h_parameters="Параметры",
    sources={
        "police": "полиция",
        "school": "школа",
        "clinic": "поликлиника",
        "household": "домохозяйство",
        "multi_agency": "межведомственные",
        "outcome": "исходы",
        "other": "прочие",
    },
    verdicts={"gate passed": "контроль пройден", "gate failed": "контроль не пройден"},
)

KK: Final = CardTexts(
    title="Модель картасы: {name}",
    h_intended_use="Қолдану мақсаты",
    intended_use=(
        "Аудандық ведомствоаралық профилактика кеңестерінің шешім қабылдауына жәрдемдесу: "
        "алдағы {horizon} айда ауыр оқиғаның *тіркелу* калибрленген ықтималдығы бойынша "
        "реттелген отбасылардың ай сайынғы тізімі, факторларымен бірге; ол көмек "
        "ұсыныстарының (психолог, әлеуметтік патронаж, дағдарыс орталығы, қорғау "
        "нұсқамаларының орындалуын қадағалау) кезектілігін анықтауға арналған. Әр жағдайды "
        "адам қарайды және шешімді жазады."
    ),
    h_not_for="Неге арналмаған",
    not_for=(
        "бағаға сүйеніп кез келген санкция қолдануға, жәрдемақыны тоқтатуға, қорғаншылық "
        "туралы шешім шығаруға немесе полиция әрекетіне;",
        "ашық сигналдары бар істі жабуға (күшіндегі нұсқамалар мен жақындағы бұзушылықтар "
        "бағаға қарамастан әрқашан көрсетіледі);",
        "қайта тексерусіз модель тексерілген популяциялар мен кезеңдерден басқаларына "
        "қолдануға (калибрлеу бір популяциядан екіншісіне ауыспайды).",
    ),
    h_label="Нәтиже нені өлшейді және нені қамтымайды",
    label=(
        "Нәтиже = отбасылық-тұрмыстық зорлық-зомбылық бойынша қылмыстық құқық бұзушылық, "
        "қорғау нұсқамасын бұзу, ауруханада емделген жарақат немесе баланың қамқоршылыққа "
        "алынуы; есептеу күнінен кейінгі {horizon} ай ішінде *тіркелген*. Тіркелген оқиға "
        "болған оқиғамен бірдей емес: зорлық-зомбылықтың көбі ешқашан тіркелмейді, ал тіркеу "
        "аудандар мен топтар бойынша әртүрлі. Модель зорлық-зомбылықтың өзін емес, "
        "ведомстволар нені тіркейтінін болжайды; төмен баға отбасының қауіпсіз екенін "
        "дәлелдемейді."
    ),
    h_data="Деректер және кезеңдер",
    trained_until="оқытылған күнге дейін (осы күнге дейін белгілі болған жазбалар): {date}",
    train_dates="оқытуға арналған есептеу күндері: {dates} («отбасы — ай» бақылаулары: {n})",
    valid_dates=(
        "кейінге қалдырылған кезеңнің есептеу күндері (ерте тоқтату, калибрлеу, төмендегі "
        "көрсеткіштер): {dates} («отбасы — ай» бақылаулары: {n})"
    ),
    label_windows="ешбір есептеу күнінің нәтиже кезеңі {date} күнінен асып кетпейді",
    inner_buffer=(
        "; оқыту күндерінің нәтиже кезеңдері кейінге қалдырылған кезең басталғанға дейін аяқталады"
    ),
    no_inner_buffer=(
        "; оқытуға арналған есептеу күндері кейінге қалдырылған кезеңге дейін аяқталады "
        "(олардың нәтиже кезеңдері онымен қиылысуы мүмкін)"
    ),
    fingerprint="деректер ізі (fingerprint): `{fingerprint}`",
    features_by_source="дереккөздер бойынша белгілер: {counts}",
    protected=(
        "қорғалатын сипаттамалар, сондай-ақ өңір мен аудан ешқашан белгі ретінде пайдаланылмайды"
    ),
    calibration="калибрлеу: {method}; деңгейлер шекаралары: {cuts}",
    date_range="{first} .. {last} ({n} күн)",
    no_dates="жоқ",
    h_metrics="Кейінге қалдырылған кезеңдегі көрсеткіштер",
    metrics_note=(
        "Саралау көрсеткіштері бастапқы балл бойынша есептеледі; Brier мен ECE — оқыту "
        "блоктарынан тыс (out-of-fold) калибрленген ықтималдықтар бойынша. Precision@k тең "
        "балдарды ескереді (ең нашар реттілік)."
    ),
    ranker="саралау әдісі",
    per_district="{metric} аудандар бойынша",
    oracle_note=(
        "Оракул көрсеткіштері (модельденген шындық) мәлімет үшін беріледі және тағайындау "
        "алдындағы тексеруге ешқашан әсер етпейді."
    ),
    h_rests_on="Бағалар неге сүйенеді",
    rests_on=(
        "Абсолют үлестердің дереккөздер бойынша бөлінуі (бұл байланыс, себеп емес): {shares}"
    ),
    h_fairness="Әділдік қорытындысы",
    fairness_missing="бұл оқыту бойынша қолжетімсіз",
    h_gate="Тексеру қорытындысы",
    gate_passed="өтті",
    gate_failed="өтпеді:",
    quoted_in_english=(
        "Тексеру мен аудит тұжырымдары оқыту процесі жазғандай берілген (ағылшын тілінде)."
    ),
    h_limitations="Белгілі шектеулер",
    limitations=(
        "Синтетикалық популяцияда оқытылып, тексерілген; нақты деректерде кез келген "
        "қолданыс алдында жергілікті қайта тексеру және қайта калибрлеу қажет.",
        "Тіркеу ауытқуы: полицияға немесе емханаларға көбірек көрінетін отбасылар туралы "
        "сигналдар көбірек түседі; әділдік аудиті бұл ауытқуды өлшейді, бірақ оны жоя алмайды.",
        "Кейінге қалдырылған кезең ерте тоқтату мен калибрлеуге де пайдаланылады; объективті "
        "көрсеткіштер — кейінірек күнге есептелгендері (`patronage evaluate`).",
        "Түсіндірмелер — лог-мүмкіндіктегі TreeSHAP үлестері: модель ішіндегі байланыстар, "
        "себептер емес.",
    ),
    h_parameters="Параметрлер",
    sources={
        "police": "полиция",
        "school": "мектеп",
        "clinic": "емхана",
        "household": "үй шаруашылығы",
        "multi_agency": "ведомствоаралық",
        "outcome": "нәтижелер",
        "other": "басқа",
    },
    verdicts={"gate passed": "тексеруден өтті", "gate failed": "тексеруден өтпеді"},
)

TEXTS: Final[Mapping[Lang, CardTexts]] = {"kk": KK, "ru": RU, "en": EN}
