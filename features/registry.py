"""The feature registry: every feature's name, source, window, unit and reason texts.

The built frame (`features.pipeline.build_features`) has exactly the columns of `FEATURES`, in
this order. Explanations render from the templates here, in Kazakh, Russian and English.

Template syntax: `{value}` is the formatted value; `[one|few|many]` (Russian) or `[one|other]`
(English) picks the noun form that agrees with the value. Kazakh nouns do not change after a
numeral, so Kazakh templates need no plural marker. Always render through `render_reason`,
never with `str.format` alone.

An explanation is an association: no text here says "because" in any language (tested).

Run `python -m features.registry --markdown > docs/features.md` to regenerate the docs page.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from typing import Final

from features.contracts import Form, PoliceKind

LANGS: Final = ("kk", "ru", "en")
SOURCES: Final = ("school", "clinic", "police", "outcome", "household", "multi_agency")
WINDOWS: Final = ("1m", "3m", "6m", "12m", "all")
#: Window length in calendar months (None: all history known before the as-of date).
WINDOW_MONTHS: Final[dict[str, int | None]] = {"1m": 1, "3m": 3, "6m": 6, "12m": 12, "all": None}
UNITS: Final = ("count", "days", "score", "share", "flag", "children", "years", "agencies")


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of the built frame.

    `template` renders a present value; `absent` renders a missing value (null), and for a
    `flag` the value 0 (flags have no `{value}`: the template is the text for 1).
    """

    name: str
    source: str
    window: str | None
    unit: str
    description: dict[str, str]
    template: dict[str, str]
    absent: dict[str, str] = field(default_factory=dict)


def _t(kk: str, ru: str, en: str) -> dict[str, str]:
    return {"kk": kk, "ru": ru, "en": en}


# ---- Vocabulary ------------------------------------------------------------------------------
# Each noun: Kazakh plural noun phrase (used as "<phrase> саны: N"), Russian forms after a
# numeral "[one|few|many]", Russian genitive singular after "с последнего/последней",
# English "[one|other]", English singular after "the last".


@dataclass(frozen=True)
class _Noun:
    kk: str
    ru: str
    ru_since: str
    en: str
    en_last: str


_POLICE_NOUNS: Final[dict[str, _Noun]] = {
    PoliceKind.domestic_call: _Noun(
        "полицияға тұрмыстық жанжал бойынша шақырулар",
        "[вызов|вызова|вызовов] полиции по семейному конфликту",
        "последнего вызова полиции по семейному конфликту",
        "domestic [call|calls] to the police",
        "domestic call to the police",
    ),
    PoliceKind.administrative_offense: _Noun(
        "әкімшілік құқық бұзушылықтар (ӘҚБтК 73-бабы)",
        "[административное правонарушение|административных правонарушения|"
        "административных правонарушений] (ст. 73 КоАП)",
        "последнего административного правонарушения (ст. 73 КоАП)",
        "administrative [offense|offenses] (Art. 73)",
        "administrative offense (Art. 73)",
    ),
    PoliceKind.criminal_offense: _Noun(
        "отбасындағы қылмыстық құқық бұзушылықтар",
        "[уголовное правонарушение|уголовных правонарушения|уголовных правонарушений] в семье",
        "последнего уголовного правонарушения в семье",
        "criminal [offense|offenses] in the family",
        "criminal offense in the family",
    ),
    PoliceKind.protective_order: _Noun(
        "берілген қорғау нұсқамалары",
        "[выданное защитное предписание|выданных защитных предписания|"
        "выданных защитных предписаний]",
        "последнего защитного предписания",
        "protective [order|orders] issued",
        "protective order",
    ),
    PoliceKind.order_violation: _Noun(
        "қорғау нұсқамасын бұзу фактілері",
        "[нарушение|нарушения|нарушений] защитного предписания",
        "последнего нарушения защитного предписания",
        "protective order [violation|violations]",
        "protective order violation",
    ),
    PoliceKind.court_requirements: _Noun(
        "мінез-құлыққа ерекше талаптар қойылған сот шешімдері",
        "[решение|решения|решений] суда об особых требованиях к поведению",
        "последнего решения суда об особых требованиях к поведению",
        "court [order|orders] of special behaviour requirements",
        "court order of special behaviour requirements",
    ),
    PoliceKind.preventive_registration: _Noun(
        "профилактикалық есепке қою фактілері",
        "[постановка|постановки|постановок] на профилактический учёт",
        "последней постановки на профилактический учёт",
        "preventive [registration|registrations] with the police",
        "preventive registration with the police",
    ),
    PoliceKind.alcohol_incident: _Noun(
        "алкогольге байланысты оқиғалар",
        "[инцидент, связанный|инцидента, связанных|инцидентов, связанных] с алкоголем",
        "последнего инцидента, связанного с алкоголем",
        "alcohol-related [incident|incidents]",
        "alcohol-related incident",
    ),
    PoliceKind.weapon_present: _Noun(
        "қару болған оқиғалар",
        "[случай|случая|случаев] с оружием",
        "последнего случая с оружием",
        "[incident|incidents] with a weapon present",
        "incident with a weapon present",
    ),
}

_POLICE_ANY: Final = _Noun(
    "полицияның барлық сигналдары",
    "[сигнал|сигнала|сигналов] полиции",
    "последнего сигнала полиции",
    "police [signal|signals] of any kind",
    "police signal",
)
_SCHOOL_SURVEY: Final = _Noun(
    "мектептегі әл-ауқат сауалнамалары",
    "[школьный опрос|школьных опроса|школьных опросов] о благополучии дома",
    "последнего школьного опроса о благополучии дома",
    "school well-being [survey|surveys]",
    "school well-being survey",
)
_SCHOOL_CONCERN: Final = _Noun(
    "алаңдатарлық жауабы бар мектеп сауалнамалары",
    "[школьный опрос|школьных опроса|школьных опросов] с тревожным ответом",
    "последнего школьного опроса с тревожным ответом",
    "school [survey|surveys] with a worrying answer",
    "school survey with a worrying answer",
)
_CLINIC_SCREENING: Final = _Noun(
    "емханадағы зорлық-зомбылыққа скринингтер",
    "[скрининг|скрининга|скринингов] на насилие в поликлинике",
    "последнего скрининга на насилие в поликлинике",
    "violence [screening|screenings] at a clinic",
    "violence screening at a clinic",
)
_CLINIC_POSITIVE: Final = _Noun(
    "зорлық-зомбылыққа оң нәтижелі скринингтер",
    "[положительный скрининг|положительных скрининга|положительных скринингов] на насилие",
    "последнего положительного скрининга на насилие",
    "positive violence [screening|screenings]",
    "positive violence screening",
)
_SERIOUS: Final = _Noun(
    "тіркелген ауыр оқиғалар",
    "[зарегистрированный серьёзный инцидент|зарегистрированных серьёзных инцидента|"
    "зарегистрированных серьёзных инцидентов]",
    "последнего зарегистрированного серьёзного инцидента",
    "recorded serious [incident|incidents]",
    "recorded serious incident",
)

_FORM_WORDS: Final[dict[str, tuple[str, str, str]]] = {
    # kk adjective, ru prepositional phrase, en adjective
    Form.physical: ("физикалық", "о физическом насилии", "physical"),
    Form.psychological: ("психологиялық", "о психологическом насилии", "psychological"),
    Form.sexual: ("жыныстық", "о сексуальном насилии", "sexual"),
    Form.economic: ("экономикалық", "об экономическом насилии", "economic"),
    Form.spiritual: ("рухани", "о духовном насилии", "spiritual"),
}

# Window phrases: Kazakh attributive ("of the last 6 months"), Russian and English adverbials.
_WINDOW_WORDS: Final[dict[str, tuple[str, str, str]]] = {
    "1m": ("Соңғы айдағы", "за последний месяц", "in the last month"),
    "3m": ("Соңғы 3 айдағы", "за последние 3 месяца", "in the last 3 months"),
    "6m": ("Соңғы 6 айдағы", "за последние 6 месяцев", "in the last 6 months"),
    "12m": ("Соңғы 12 айдағы", "за последние 12 месяцев", "in the last 12 months"),
    "all": ("Барлық уақыттағы", "за всё время наблюдения", "in all recorded history"),
}


def _count_spec(name: str, source: str, window: str, noun: _Noun) -> FeatureSpec:
    kk_w, ru_w, en_w = _WINDOW_WORDS[window]
    template = _t(
        f"{kk_w} {noun.kk} саны: {{value}}",
        f"{{value}} {noun.ru} {ru_w}",
        f"{{value}} {noun.en} {en_w}",
    )
    description = _t(
        f"{kk_w} {noun.kk} саны (есептеу күніне дейін белгілі болғандары).",
        f"Число: {_strip_plural(noun.ru, 2)} {ru_w} (известные до даты расчёта).",
        f"Number of {_strip_plural(noun.en, 1)} {en_w} (known before the as-of date).",
    )
    return FeatureSpec(name, source, window, "count", description, template)


def _days_spec(name: str, source: str, noun: _Noun) -> FeatureSpec:
    kk_noun = noun.kk[0].upper() + noun.kk[1:]
    return FeatureSpec(
        name,
        source,
        None,
        "days",
        _t(
            f"{kk_noun}: соңғы жазбадан бері өткен күндер саны; жазба болмаса, бос.",
            f"Дней с {noun.ru_since}; пусто, если записей нет.",
            f"Days since the last {noun.en_last}; empty when there is none on record.",
        ),
        _t(
            f"{kk_noun}: соңғы жазбадан бері {{value}} күн",
            f"{{value}} [день|дня|дней] с {noun.ru_since}",
            f"{{value}} [day|days] since the last {noun.en_last}",
        ),
        _t(
            f"{kk_noun}: жазба жоқ",
            f"Записей нет: {_strip_plural(noun.ru, 2)}",
            f"No {_strip_plural(noun.en, 1)} on record",
        ),
    )


_PLURAL = re.compile(r"\[([^\]]*)\]")


def _strip_plural(text: str, index: int) -> str:
    """Pick form `index` of every plural marker (clamped to the forms given)."""

    def pick(match: re.Match[str]) -> str:
        forms = match.group(1).split("|")
        return forms[min(index, len(forms) - 1)]

    return _PLURAL.sub(pick, text)


def _build() -> dict[str, FeatureSpec]:
    specs: list[FeatureSpec] = []
    add = specs.append

    # -- counts per source and kind over windows --------------------------------------------
    for kind, noun in _POLICE_NOUNS.items():
        for w in WINDOWS:
            add(_count_spec(f"police_{kind}_{w}", "police", w, noun))
    for name, source, noun in (
        ("police_signals", "police", _POLICE_ANY),
        ("school_surveys", "school", _SCHOOL_SURVEY),
        ("school_concerns", "school", _SCHOOL_CONCERN),
        ("clinic_screenings", "clinic", _CLINIC_SCREENING),
        ("clinic_positive", "clinic", _CLINIC_POSITIVE),
        ("serious_incidents", "outcome", _SERIOUS),
    ):
        for w in WINDOWS:
            add(_count_spec(f"{name}_{w}", source, w, noun))

    # -- counts by form of violence (police signals and clinic disclosures together) ---------
    for form, (kk_f, ru_f, en_f) in _FORM_WORDS.items():
        noun = _Noun(
            f"{kk_f} зорлық-зомбылық аталған жазбалар",
            f"[запись|записи|записей] {ru_f}",
            f"последней записи {ru_f}",
            f"[record|records] naming {en_f} violence",
            f"record naming {en_f} violence",
        )
        for w in ("12m", "all"):
            add(_count_spec(f"form_{form}_{w}", "multi_agency", w, noun))

    # -- recency ---------------------------------------------------------------------------
    for kind, noun in _POLICE_NOUNS.items():
        add(_days_spec(f"days_since_police_{kind}", "police", noun))
    add(_days_spec("days_since_police_signal", "police", _POLICE_ANY))
    add(_days_spec("days_since_school_survey", "school", _SCHOOL_SURVEY))
    add(_days_spec("days_since_school_concern", "school", _SCHOOL_CONCERN))
    add(_days_spec("days_since_clinic_screening", "clinic", _CLINIC_SCREENING))
    add(_days_spec("days_since_clinic_positive", "clinic", _CLINIC_POSITIVE))
    add(_days_spec("days_since_serious_incident", "outcome", _SERIOUS))

    # -- instrument scores -------------------------------------------------------------------
    specs.extend(_instrument_specs())
    # -- multi-agency convergence, protection, household -------------------------------------
    specs.extend(_convergence_specs())
    specs.extend(_protection_specs())
    specs.extend(_household_specs())
    return {s.name: s for s in specs}


# Instruments: (column stem, source, Kazakh, Russian and English names with the scale)
_INSTRUMENTS: Final = (
    (
        "hits",
        "clinic",
        "HITS жиынтық балы (4–20)",
        "суммарный балл HITS (4–20)",
        "HITS total score (4–20)",
    ),
    (
        "wast",
        "clinic",
        "WAST қысқа нұсқасының балы (0–4)",
        "балл WAST, краткая форма (0–4)",
        "WAST short-form score (0–4)",
    ),
    (
        "phq2",
        "clinic",
        "PHQ-2 депрессия балы (0–6)",
        "балл депрессии PHQ-2 (0–6)",
        "PHQ-2 depression score (0–6)",
    ),
    (
        "school_concern_items",
        "school",
        "мектеп сауалнамасындағы алаңдатарлық белгілер саны (0–7)",
        "число тревожных признаков в школьном опросе (0–7)",
        "worrying items in a school survey (0–7)",
    ),
    (
        "school_feels_safe",
        "school",
        "баланың үйде қауіпсіз сезінуі (1–5, 1 = ешқашан)",
        "ощущение безопасности ребёнка дома (1–5, 1 = никогда)",
        "child feels safe at home (1–5, 1 = never)",
    ),
)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _instrument_specs() -> list[FeatureSpec]:
    specs: list[FeatureSpec] = []
    never = {
        "clinic": _t(
            "Емханада скрининг өткізілмеген",
            "Скрининг в поликлинике не проводился",
            "Never screened at a clinic",
        ),
        "school": _t(
            "Мектеп сауалнамасы жүргізілмеген",
            "Школьный опрос не проводился",
            "Never surveyed at school",
        ),
    }
    for stem, source, kk_name, ru_name, en_name in _INSTRUMENTS:
        # The worst value is the lowest for "feels safe" and the highest for every other score.
        worst = "min" if stem == "school_feels_safe" else "max"
        kk, ru, en = _cap(kk_name), _cap(ru_name), _cap(en_name)
        add = specs.append
        add(
            FeatureSpec(
                f"{stem}_latest",
                source,
                "all",
                "score",
                _t(
                    f"{kk}: соңғы тексеру күніндегі мән (бір күнде бірнешеу болса, ең нашары).",
                    f"{ru}: значение на последнем обследовании (худшее за тот день).",
                    f"{en}: value at the latest assessment (the worst of that day).",
                ),
                _t(
                    f"{kk}: соңғы тексерудегі мән {{value}}",
                    f"{ru}: на последнем обследовании {{value}}",
                    f"{en}: {{value}} at the latest assessment",
                ),
                never[source],
            )
        )
        add(
            FeatureSpec(
                f"{stem}_{worst}",
                source,
                "all",
                "score",
                _t(
                    f"{kk}: барлық тексерулердегі ең нашар мән.",
                    f"{ru}: худшее значение за всё время наблюдения.",
                    f"{en}: worst value in all recorded history.",
                ),
                _t(
                    f"{kk}: ең нашар мән {{value}}",
                    f"{ru}: худшее значение {{value}}",
                    f"{en}: worst value ever recorded {{value}}",
                ),
                never[source],
            )
        )
        add(
            FeatureSpec(
                f"{stem}_trend",
                source,
                "all",
                "score",
                _t(
                    f"{kk}: соңғы және алдыңғы тексеру күндеріндегі мәндердің айырмасы.",
                    f"{ru}: разница между последним и предыдущим обследованием.",
                    f"{en}: latest minus the previous assessment date (needs two dates).",
                ),
                _t(
                    f"{kk}: алдыңғы тексеруден бергі өзгеріс {{value}}",
                    f"{ru}: изменение с предыдущего обследования {{value}}",
                    f"{en}: change since the previous assessment {{value}}",
                ),
                _t(
                    f"{kk}: салыстыруға екі тексеру жоқ",
                    f"{ru}: нет двух обследований для сравнения",
                    f"{en}: fewer than two assessments to compare",
                ),
            )
        )
    specs.append(
        FeatureSpec(
            "clinic_positive_share",
            "clinic",
            "all",
            "share",
            _t(
                "Оң нәтижелі скринингтердің үлесі (HITS > 10, WAST жоғары, түсініксіз жарақат "
                "немесе зорлық-зомбылық түрі аталған).",
                "Доля положительных скринингов (HITS > 10, высокий WAST, травма, не согласующаяся "
                "с анамнезом, или названная форма насилия).",
                "Share of positive screenings (HITS > 10, WAST high, injury inconsistent with the "
                "history, or a form of violence disclosed).",
            ),
            _t(
                "Зорлық-зомбылыққа оң нәтижелі скринингтердің үлесі: {value}",
                "Доля положительных скринингов на насилие: {value}",
                "{value} of violence screenings were positive",
            ),
            never["clinic"],
        )
    )
    specs.append(
        FeatureSpec(
            "school_concern_share",
            "school",
            "all",
            "share",
            _t(
                "Алаңдатарлық жауабы бар мектеп сауалнамаларының үлесі.",
                "Доля школьных опросов с тревожным ответом.",
                "Share of school surveys with a worrying answer.",
            ),
            _t(
                "Алаңдатарлық жауабы бар мектеп сауалнамаларының үлесі: {value}",
                "Доля школьных опросов с тревожным ответом: {value}",
                "{value} of school surveys had a worrying answer",
            ),
            never["school"],
        )
    )
    return specs


def _convergence_specs() -> list[FeatureSpec]:
    specs = []
    for w in ("3m", "12m"):
        kk_w, ru_w, en_w = _WINDOW_WORDS[w]
        specs.append(
            FeatureSpec(
                f"agencies_signalled_{w}",
                "multi_agency",
                w,
                "agencies",
                _t(
                    f"{kk_w} белгі берген әртүрлі ведомстволар саны (полиция, оң скрининг, "
                    "алаңдатарлық мектеп сауалнамасы), 0–3.",
                    f"Число разных ведомств, подавших сигнал {ru_w} (полиция, положительный "
                    "скрининг, тревожный школьный опрос), 0–3.",
                    f"Distinct agencies that signalled {en_w} (police record, positive clinic "
                    "screening, worrying school survey), 0–3.",
                ),
                _t(
                    f"{kk_w} белгі берген ведомстволар саны: {{value}}",
                    f"{{value}} [ведомство подало|ведомства подали|ведомств подали] сигнал {ru_w}",
                    f"{{value}} [agency|agencies] signalled {en_w}",
                ),
            )
        )
    return specs


def _protection_specs() -> list[FeatureSpec]:
    return [
        FeatureSpec(
            "protection_active",
            "police",
            None,
            "flag",
            _t(
                "Есептеу күні қорғау нұсқамасы немесе соттың ерекше талаптары күшінде (1/0).",
                "На дату расчёта действует защитное предписание или особые требования суда (1/0).",
                "A protective order or court behaviour requirement is in force at the as-of "
                "date (1/0).",
            ),
            _t(
                "Қорғау нұсқамасы немесе соттың ерекше талаптары күшінде",
                "Действует защитное предписание или особые требования суда",
                "A protective order or court behaviour requirement is in force",
            ),
            _t(
                "Күшіндегі қорғау нұсқамасы жоқ",
                "Действующих защитных мер нет",
                "No protective order or court requirement in force",
            ),
        ),
        FeatureSpec(
            "protection_days_to_expiry",
            "police",
            None,
            "days",
            _t(
                "Күшіндегі қорғау шарасының аяқталуына дейінгі күндер (ең кеш аяқталатыны); "
                "күшіндегі шара болмаса, бос.",
                "Дней до окончания действующей защитной меры (самой поздней); пусто, если "
                "действующих мер нет.",
                "Days until the protection in force expires (the latest one); empty when none "
                "is in force.",
            ),
            _t(
                "Қорғау шарасының аяқталуына {value} күн қалды",
                "До окончания защитной меры [остался {value} день|осталось {value} дня|"
                "осталось {value} дней]",
                "{value} [day|days] until the protection in force expires",
            ),
            _t(
                "Күшіндегі қорғау шарасы жоқ",
                "Действующих защитных мер нет",
                "No protection in force",
            ),
        ),
        FeatureSpec(
            "protection_violations_while_active",
            "police",
            "all",
            "count",
            _t(
                "Қорғау нұсқамасы немесе сот талаптары күшінде болған кезде тіркелген бұзушылықтар "
                "саны.",
                "Число нарушений, зафиксированных в период действия защитного предписания или "
                "особых требований суда.",
                "Violations recorded while a protective order or court requirement was in force.",
            ),
            _t(
                "Қорғау шарасы күшінде болғанда тіркелген бұзушылықтар саны: {value}",
                "{value} [нарушение|нарушения|нарушений] в период действия защитной меры",
                "{value} [violation|violations] while a protection was in force",
            ),
        ),
        FeatureSpec(
            "protection_expired_unextended",
            "police",
            "all",
            "count",
            _t(
                "Ұзартылмай аяқталған (14 күн ішінде жаңасы берілмеген), бірақ кейінгі 90 күнде "
                "жаңа белгілер түскен қорғау шаралары саны.",
                "Число защитных мер, истёкших без продления (новая не выдана в течение 14 дней), "
                "после которых в течение 90 дней поступали новые сигналы.",
                "Protections that expired without extension (no new one within 14 days) while "
                "signals continued in the 90 days after expiry.",
            ),
            _t(
                "Ұзартылмай аяқталып, кейін белгілер түскен қорғау шаралары саны: {value}",
                "{value} [защитная мера истекла|защитные меры истекли|защитных мер истекли] без "
                "продления при продолжающихся сигналах",
                "{value} [protection|protections] expired without extension while signals "
                "continued",
            ),
        ),
    ]


def _household_specs() -> list[FeatureSpec]:
    no_children = _t(
        "Отбасында балалар тіркелмеген", "Детей в семье не записано", "No children on record"
    )
    return [
        FeatureSpec(
            "n_children",
            "household",
            None,
            "children",
            _t(
                "Отбасындағы балалар саны.",
                "Число детей в семье.",
                "Number of children in the family.",
            ),
            _t(
                "Отбасындағы балалар саны: {value}",
                "В семье {value} [ребёнок|ребёнка|детей]",
                "{value} [child|children] in the family",
            ),
        ),
        FeatureSpec(
            "youngest_child_age",
            "household",
            None,
            "years",
            _t(
                "Ең кіші баланың жасы (есептеу жылы мен туған жыл айырмасы).",
                "Возраст младшего ребёнка (год расчёта минус год рождения).",
                "Age of the youngest child (as-of year minus birth year).",
            ),
            _t(
                "Ең кіші баланың жасы: {value}",
                "Младшему ребёнку {value} [год|года|лет]",
                "Youngest child is {value} [year|years] old",
            ),
            no_children,
        ),
        FeatureSpec(
            "oldest_child_age",
            "household",
            None,
            "years",
            _t(
                "Ең үлкен баланың жасы (есептеу жылы мен туған жыл айырмасы).",
                "Возраст старшего ребёнка (год расчёта минус год рождения).",
                "Age of the oldest child (as-of year minus birth year).",
            ),
            _t(
                "Ең үлкен баланың жасы: {value}",
                "Старшему ребёнку {value} [год|года|лет]",
                "Oldest child is {value} [year|years] old",
            ),
            no_children,
        ),
        FeatureSpec(
            "school_children_surveyed_share_12m",
            "school",
            "12m",
            "share",
            _t(
                "Соңғы 12 айда мектепте сауалнамадан өткен балалардың үлесі; балалар болмаса, бос.",
                "Доля детей семьи, прошедших школьный опрос за последние 12 месяцев; пусто, если "
                "детей нет.",
                "Share of the family's children surveyed at school in the last 12 months; empty "
                "when there are no children.",
            ),
            _t(
                "Соңғы 12 айда мектепте сауалнамадан өткен балалардың үлесі: {value}",
                "Доля детей, прошедших школьный опрос за последние 12 месяцев: {value}",
                "{value} of the children were surveyed at school in the last 12 months",
            ),
            no_children,
        ),
        FeatureSpec(
            "school_never_surveyed",
            "school",
            "all",
            "flag",
            _t(
                "Отбасының бірде-бір баласы мектепте сауалнамадан өтпеген (1/0): бұл «белгі жоқ» "
                "дегенді білдірмейді.",
                "Ни один ребёнок семьи не проходил школьный опрос (1/0): это не то же, что "
                "«тревожных ответов нет».",
                "No child of the family was ever surveyed at school (1/0): not the same as "
                "surveyed without concern.",
            ),
            _t(
                "Мектеп сауалнамасы ешқашан жүргізілмеген",
                "Школьный опрос ни разу не проводился",
                "Never surveyed at school",
            ),
            _t("Мектеп сауалнамасы жүргізілген", "Школьный опрос проводился", "Surveyed at school"),
        ),
        FeatureSpec(
            "clinic_never_screened",
            "clinic",
            "all",
            "flag",
            _t(
                "Отбасы мүшелері емханада ешқашан скринингтен өтпеген (1/0): бұл «теріс нәтиже» "
                "дегенді білдірмейді.",
                "Члены семьи ни разу не проходили скрининг в поликлинике (1/0): это не то же, "
                "что отрицательный скрининг.",
                "No family member was ever screened at a clinic (1/0): not the same as screened "
                "negative.",
            ),
            _t(
                "Емханада скрининг ешқашан өткізілмеген",
                "Скрининг в поликлинике ни разу не проводился",
                "Never screened at a clinic",
            ),
            _t(
                "Емханада скрининг өткізілген",
                "Скрининг в поликлинике проводился",
                "Screened at a clinic",
            ),
        ),
    ]


FEATURES: Final[dict[str, FeatureSpec]] = _build()


# ---- Rendering -------------------------------------------------------------------------------


def _ru_form(value: float) -> int:
    """Index of the Russian noun form (one, few, many) that agrees with `value`."""
    if value != math.floor(value):
        return 1  # fractions take the genitive singular: "2,5 дня"
    n = abs(int(value))
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def _format_value(value: float, unit: str, *, lang: str, signed: bool) -> str:
    decimal = "." if lang == "en" else ","
    if unit == "share":
        return f"{round(value * 100):d}%"
    text = f"{value:.0f}" if value == math.floor(value) else f"{value:.1f}".replace(".", decimal)
    if signed and value > 0:
        text = "+" + text
    return text.replace("-", "−") if signed else text


def render_reason(name: str, value: float | None, *, lang: str) -> str:
    """The reason text of feature `name` with `value`, in `lang` (one of `LANGS`).

    Integers render without decimals, scores with one decimal where needed, shares as percents,
    trends with a sign. A missing value (None or NaN) renders the feature's "no record" text.
    """
    if lang not in LANGS:
        raise ValueError(f"lang: expected one of {', '.join(LANGS)}, got {lang!r}")
    try:
        spec = FEATURES[name]
    except KeyError:
        raise ValueError(f"name: expected a feature of the registry, got {name!r}") from None
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if spec.unit == "flag":
        return spec.template[lang] if not missing and value else _absent(spec, lang)
    if missing:
        return _absent(spec, lang)
    assert value is not None
    number = float(value)
    text = _format_value(number, spec.unit, lang=lang, signed=name.endswith("_trend"))
    index = _ru_form(number) if lang == "ru" else (0 if abs(number) == 1 else 1)
    return _strip_plural(spec.template[lang], index).replace("{value}", text)


def _absent(spec: FeatureSpec, lang: str) -> str:
    if spec.absent:
        return spec.absent[lang]
    return {"kk": "Жазба жоқ", "ru": "Записей нет", "en": "No record"}[lang]


def markdown() -> str:
    """The docs page listing every feature (docs/features.md is this text, tested)."""
    lines = [
        "# Features",
        "",
        "Generated by `python -m features.registry --markdown > docs/features.md`; do not edit "
        "by hand (a test compares this page with the registry). The design, the leakage rules "
        "and the benchmark figures are in `docs/features_pipeline.md`.",
        "",
        f"{len(FEATURES)} features, in the column order of `build_features`. Windows end the day "
        "before the as-of date and start N calendar months before it; only records with "
        "`knowledge_date < as_of` count.",
        "",
        "| # | name | source | window | unit | meaning | example reason (en) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, spec in enumerate(FEATURES.values(), start=1):
        example = render_reason(spec.name, 1.0 if spec.unit == "share" else 3.0, lang="en")
        lines.append(
            f"| {i} | `{spec.name}` | {spec.source} | {spec.window or '—'} | {spec.unit} | "
            f"{spec.description['en']} | {example} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    if sys.argv[1:] != ["--markdown"]:
        sys.stderr.write("usage: python -m features.registry --markdown > docs/features.md\n")
        raise SystemExit(2)
    sys.stdout.write(markdown())
