"""The demo plays a council and its agencies on the lists of the latest month.

For each district with demo users, the council (`council.<district>`) reads its list and
decides about part of it (60%, at least four families), top first, on simulated days of the
list's month: plans of one to three measures for most families (a child's psychologist at the
school, the victim's at the clinic, a court extension request through the police, the
guardianship authority, a patronage visit, a correctional programme, ...; the first measure's
agency goes round the four agencies with demo users, so each has referrals), raised priority
for the top two, lowered priority with a written reason for every eighth family from the
fourth, and sends the referrals (a school's or a clinic's measure to the institution of the
district's demo user of that agency: schools and clinics are several per district). The
agencies' demo users (`school.<district>`, `clinic.<district>`, `police.<district>`,
`guardianship.<district>`) acknowledge and deliver most referrals, some late, decline some with
a reason and cannot reach a few families; the council records the steps of the agencies
without a user role (social services, crisis centre, correctional programme). A few cases are
closed with a note.

Everything goes through the service's own functions (`service.decisions.decide`,
`service.cases.plan`, `service.cases.referrals`), so each step is checked and written to the
access log as a real user's would be. The choices are drawn from a generator seeded by the
family and the month, so a re-run makes the same choices and adds nothing: families with a
decision on the month's list are not decided again, and each measure only takes the steps its
status has not reached yet.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from experiments.demo.steps import DemoError, Say
from experiments.demo.users import largest_districts
from features.months import parse_month
from service.auth.roles import Principal, UserRole
from service.cases.plan import change_status, close_case
from service.cases.referrals import agency_update
from service.cases.schemas import (
    AGENCY_ROLE,
    NAMED_INSTITUTION,
    Agency,
    MeasurePlan,
    MeasureStatus,
    Target,
)
from service.decisions.decide import record_decision
from service.decisions.schemas import DecisionCreate, Measure, Priority
from service.errors import ServiceError
from service.lists.views import read_list
from service.storage.tables import Case, CaseMeasure, Decision, MeasureEvent, Person, User

#: Share of each district's list the council decides about in the demo (top first).
DECIDED_SHARE: Final = 0.6
#: At least this many decisions per district (when the list is that long).
MIN_DECIDED: Final = 4
#: The top of the list whose priority the council raises (watched until the case closes).
RAISED_TOP: Final = 2
#: Every LOWERED_EVERY-th rank from LOWERED_FIRST on is lowered (a reason, no measures).
LOWERED_FIRST: Final = 4
LOWERED_EVERY: Final = 8
#: The agency of the first measure of each plan, in turn down the list, so that every agency
#: with a demo user has referrals.
ROTATION: Final = (Agency.clinic, Agency.school, Agency.court_via_police, Agency.guardianship)
#: What an agency does with a referral (the rest: acknowledged, still in progress).
P_ON_TIME: Final = 0.62
P_LATE: Final = 0.14
P_DECLINED: Final = 0.08
P_UNREACHABLE: Final = 0.06
#: Share of the cases whose measures were all delivered that the council closes.
P_CLOSED: Final = 0.35

RAISE_REASON: Final = "Top of this month's list with a recent police record; review monthly."
LOWER_REASONS: Final = (
    "The family already works with the crisis centre and no new signal came since the last review.",
    "The aggressor moved out three months ago; the school and the clinic report no concern.",
    "Recent records are about a neighbour dispute at the same address, not this family.",
)
DECLINE_REASONS: Final = (
    "No free places in the programme this quarter; referred to the next intake.",
    "The family refused the visit and asked for a different service.",
    "Outside our service area: the family moved to another district.",
)
CLOSE_NOTE: Final = "Plan delivered; the family engaged and no new incident was recorded."
KEEP_REASON: Final = "Measures agreed at the monthly meeting."

#: (measure, agency, target, days until due, probability a plan includes it)
CATALOGUE: Final = (
    (Measure.psychologist, Agency.clinic, Target.victim, 30, 0.5),
    (Measure.social_patronage_visit, Agency.social_services, Target.family, 14, 0.45),
    (Measure.psychologist, Agency.school, Target.child, 21, 0.35),
    (Measure.correctional_programme, Agency.correctional_programme, Target.aggressor, 60, 0.25),
    (Measure.court_extension_request, Agency.court_via_police, Target.victim, 10, 0.15),
    (Measure.guardianship_authority, Agency.guardianship, Target.child, 14, 0.12),
    (Measure.crisis_centre, Agency.crisis_centre, Target.victim, 7, 0.1),
)


class CouncilError(DemoError):
    """The demo's council could not play: the message says what is missing."""


@dataclass
class CouncilResult:
    """What the demo's council step did (a re-run: everything zero but `reused`)."""

    decisions: int = 0
    measures: int = 0
    steps: int = 0
    closed: int = 0
    reused: int = 0
    by_district: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Step:
    status: MeasureStatus
    day: dt.date
    note: str | None = None


def _principal(session: Session, role: UserRole, district: str) -> Principal | None:
    """The demo user of `role` in `district` (`experiments.demo.users` names them)."""
    username = f"{role.value}.{district.lower().replace(' ', '-')}"
    user = session.scalar(
        select(User).where(
            User.username == username, User.district == district, User.active.is_(True)
        )
    )
    return Principal.of(user) if user is not None else None


def _members(session: Session, family_id: str) -> dict[Target, str]:
    """A person for each target the family has: the adult woman (victim), the adult man
    (aggressor), the eldest child."""
    out: dict[Target, str] = {}
    rows = session.execute(
        select(Person.person_id, Person.role, Person.sex, Person.birth_year)
        .where(Person.family_id == family_id)
        .order_by(Person.birth_year, Person.person_id)
    ).all()
    for person_id, role, sex, _year in rows:
        if role == "child":
            out.setdefault(Target.child, person_id)
        elif sex.lower().startswith("f"):
            out.setdefault(Target.victim, person_id)
        else:
            out.setdefault(Target.aggressor, person_id)
    return out


def _institutions(agencies: dict[Agency, Principal | None]) -> dict[Agency, str]:
    """The institution each school and clinic measure names: its demo user's."""
    return {
        agency: user.institution_id
        for agency, user in agencies.items()
        if agency in NAMED_INSTITUTION and user is not None and user.institution_id is not None
    }


def _plan(
    rng: random.Random,
    members: dict[Target, str],
    day: dt.date,
    *,
    first: Agency,
    institutions: dict[Agency, str],
) -> list[MeasurePlan]:
    """One to three measures: the catalogue's entry for `first` when the family has its
    target, then others at random. A school's or a clinic's measure names the institution of
    `institutions` (none known: that entry is left out, it could not be sent)."""
    items: list[MeasurePlan] = []
    entries = sorted(CATALOGUE, key=lambda e: e[1] is not first)
    for measure, agency, target, due, p in entries:
        if target is not Target.family and target not in members:
            continue
        if agency in NAMED_INSTITUTION and agency not in institutions:
            continue
        if (agency is first or rng.random() < p) and len(items) < 3:
            items.append(
                MeasurePlan(
                    measure=measure,
                    agency=agency,
                    institution_id=institutions.get(agency),
                    target=target,
                    person_id=members.get(target) if target is not Target.family else None,
                    due_on=day + dt.timedelta(days=due),
                )
            )
    if not items:
        items.append(
            MeasurePlan(
                measure=Measure.social_patronage_visit,
                agency=Agency.social_services,
                target=Target.family,
                due_on=day + dt.timedelta(days=14),
            )
        )
    return items


def _trajectory(rng: random.Random, sent_on: dt.date, due_on: dt.date) -> list[_Step]:
    """The steps an agency takes on a referral sent on `sent_on`, drawn once."""
    u = rng.random()
    ack = sent_on + dt.timedelta(days=rng.randint(1, 4))
    steps = [_Step(MeasureStatus.acknowledged, ack)]
    if u < P_ON_TIME:
        span = max((due_on - ack).days, 1)
        steps.append(_Step(MeasureStatus.delivered, ack + dt.timedelta(days=rng.randint(1, span))))
    elif u < P_ON_TIME + P_LATE:
        steps.append(_Step(MeasureStatus.delivered, due_on + dt.timedelta(days=rng.randint(3, 25))))
    elif u < P_ON_TIME + P_LATE + P_DECLINED:
        if rng.random() < 0.5:
            steps = []  # declined straight away
        day = (steps[0].day if steps else sent_on) + dt.timedelta(days=rng.randint(1, 5))
        steps.append(_Step(MeasureStatus.declined, day, rng.choice(DECLINE_REASONS)))
    elif u < P_ON_TIME + P_LATE + P_DECLINED + P_UNREACHABLE:
        steps.append(_Step(MeasureStatus.unreachable, ack + dt.timedelta(days=rng.randint(7, 20))))
    return steps


def _order(status: str) -> int:
    return [s.value for s in MeasureStatus].index(status)


def _advance(
    session: Session,
    council: Principal,
    agencies: dict[Agency, Principal | None],
    measure: CaseMeasure,
    steps: list[_Step],
) -> int:
    """Take the steps of `steps` the measure has not reached yet; returns how many."""
    done = 0
    for step in steps:
        current = MeasureStatus(measure.status)
        if current in (MeasureStatus.delivered, MeasureStatus.declined, MeasureStatus.unreachable):
            break
        if _order(step.status.value) <= _order(current.value):
            continue
        agency = Agency(measure.agency)
        actor = agencies.get(agency) if agency in AGENCY_ROLE else council
        if actor is None:
            break  # no demo user for this agency: the referral waits
        if actor is council:
            change_status(
                session, council, measure.case_id, measure.id, step.status, step.note,
                today=step.day,
            )  # fmt: skip
        else:
            agency_update(session, actor, measure.id, step.status, step.note, today=step.day)
        session.refresh(measure)
        done += 1
    return done


def _family_rng(family_id: str, month: str, part: str) -> random.Random:
    return random.Random(f"patronage-demo|{month}|{family_id}|{part}")


def play_district(session: Session, district: str, month: str, *, result: CouncilResult) -> None:
    """The council of `district` decides about the top of its list of `month`; the agencies
    take their steps on the referrals."""
    council = _principal(session, UserRole.council, district)
    if council is None:
        raise CouncilError(f"no demo council user for {district}: create the demo users first")
    agencies: dict[Agency, Principal | None] = {
        agency: _principal(session, role, district) for agency, role in AGENCY_ROLE.items()
    }
    listed = read_list(session, council, district, month, lang="en").entries
    first_day = parse_month(month)
    chosen = listed[: max(MIN_DECIDED, round(len(listed) * DECIDED_SHARE))]
    for entry in chosen:
        family_id = entry.family_id
        rng = _family_rng(family_id, month, "decision")
        decided = session.scalar(
            select(Decision.id).where(Decision.family_id == family_id, Decision.list_month == month)
        )
        day = first_day + dt.timedelta(days=2 + entry.rank % 8)
        if decided is None:
            _decide(
                session, council, entry.rank, family_id, month, day, rng,
                institutions=_institutions(agencies),
            )  # fmt: skip
            result.decisions += 1
            result.by_district[district] = result.by_district.get(district, 0) + 1
        else:
            result.reused += 1
        _follow_up(session, council, agencies, family_id, month, result)


def _decide(
    session: Session,
    council: Principal,
    rank: int,
    family_id: str,
    month: str,
    day: dt.date,
    rng: random.Random,
    *,
    institutions: dict[Agency, str],
) -> None:
    if rank >= LOWERED_FIRST and (rank - LOWERED_FIRST) % LOWERED_EVERY == 0:
        body = DecisionCreate(
            measures=[Measure.no_action], priority=Priority.lower_,
            reason=rng.choice(LOWER_REASONS), list_month=month, hold_months=3,
        )  # fmt: skip
    else:
        members = _members(session, family_id)
        plan = _plan(
            rng, members, day, first=ROTATION[(rank - 1) % len(ROTATION)],
            institutions=institutions,
        )  # fmt: skip
        raised = rank <= RAISED_TOP
        body = DecisionCreate(
            measures=list(dict.fromkeys(p.measure for p in plan)),
            priority=Priority.raise_ if raised else Priority.keep,
            reason=RAISE_REASON if raised else KEEP_REASON,
            list_month=month, plan=plan,
        )  # fmt: skip
    record_decision(session, family_id, body, user=council, today=day)


def _follow_up(
    session: Session,
    council: Principal,
    agencies: dict[Agency, Principal | None],
    family_id: str,
    month: str,
    result: CouncilResult,
) -> None:
    """Send the referrals of the family's case from this month's decision, let the agencies
    act, and close some cases whose measures were all delivered."""
    rows = session.execute(
        select(CaseMeasure, Decision.created_at)
        .join(Decision, Decision.id == CaseMeasure.decision_id)
        .where(Decision.family_id == family_id, Decision.list_month == month)
        .order_by(CaseMeasure.id)
    ).all()
    if not rows:
        return
    for position, (measure, _at) in enumerate(rows):
        created = measure.created_on
        if measure.status == MeasureStatus.proposed.value:
            change_status(
                session, council, measure.case_id, measure.id, MeasureStatus.sent,
                today=created,
            )  # fmt: skip
            session.refresh(measure)
            result.steps += 1
            result.measures += 1
        rng = _family_rng(family_id, month, f"measure-{position}")
        steps = _trajectory(rng, created, measure.due_on)
        result.steps += _advance(session, council, agencies, measure, steps)
    case = session.get(Case, rows[0][0].case_id)
    measures = [m for m, _ in rows]
    if (
        case is not None
        and case.status == "open"
        and all(m.status == MeasureStatus.delivered.value for m in measures)
        and _family_rng(family_id, month, "close").random() < P_CLOSED
    ):
        last = max(_delivered_on(session, m) for m in measures)
        close_case(session, council, case.id, CLOSE_NOTE, today=last + dt.timedelta(days=7))
        result.closed += 1


def _delivered_on(session: Session, measure: CaseMeasure) -> dt.date:
    day = session.scalar(
        select(MeasureEvent.on).where(
            MeasureEvent.measure_id == measure.id,
            MeasureEvent.status_to == MeasureStatus.delivered.value,
        )
    )
    return day or measure.due_on


def ensure_council(session: Session, month: str, *, say: Say) -> CouncilResult:
    """The council and agencies of the demo's districts act on the lists of `month`."""
    result = CouncilResult()
    for district in largest_districts(session):
        try:
            play_district(session, district, month, result=result)
        except ServiceError as exc:
            raise CouncilError(f"council of {district}: {exc}; re-run `make demo`") from None
    if result.decisions:
        say(
            f"council: {result.decisions} decisions, {result.measures} referrals sent, "
            f"{result.steps} steps recorded, {result.closed} cases closed "
            f"({', '.join(f'{d}: {n}' for d, n in result.by_district.items())})"
        )
    else:
        say(f"council: reusing the {result.reused} decisions on the lists of {month}")
    return result
