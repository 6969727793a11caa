"""The public service as an explicit, pure state machine (RULES.md items 4-9), with its deadlines.

No I/O and no clock: every function takes ``at``/``now`` and the calendar, so the whole workflow is
tested without a database or a sleep. The service layer (``services/applications.py``) loads a row,
asks :func:`decide` for the next state and stores the result, its audit row and its outbox event in one
transaction.

Status graph::

    accepted ──register──► registered ──incomplete──► refused_incomplete                (R-CHK-1)
                              │complete
                              ▼
                        under_examination ──approve──► permit_pending_signature ──sign──► permit_issued
                              │preliminary_refusal (grounds, hearing time)       (R-CHK-2, R-RES-1)
                              ▼
                        hearing_scheduled ──hearing_grant──► permit_pending_signature   (R-HEAR-1)
                              └──────────hearing_refuse──► refusal_pending_signature ──sign──► refused

Deadlines are fixed when a request arrives (registration day per R-REG-3, completeness and the service
term from it) and extended as the request moves (examination from the completeness decision, the hearing
from its notice). Every term counts per :mod:`registry_api.calendar.working_days`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from registry_api.calendar import WorkingCalendar
from registry_api.exceptions import IllegalTransition, InvalidInput


class Status(StrEnum):
    ACCEPTED = "accepted"
    REGISTERED = "registered"
    REFUSED_INCOMPLETE = "refused_incomplete"
    UNDER_EXAMINATION = "under_examination"
    HEARING_SCHEDULED = "hearing_scheduled"
    PERMIT_PENDING_SIGNATURE = "permit_pending_signature"
    REFUSAL_PENDING_SIGNATURE = "refusal_pending_signature"
    PERMIT_ISSUED = "permit_issued"
    REFUSED = "refused"


FINAL_STATUSES = frozenset({Status.REFUSED_INCOMPLETE, Status.PERMIT_ISSUED, Status.REFUSED})


class Action(StrEnum):
    REGISTER = "register"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    APPROVE = "approve"
    PRELIMINARY_REFUSAL = "preliminary_refusal"
    HEARING_GRANT = "hearing_grant"
    HEARING_REFUSE = "hearing_refuse"
    SIGN = "sign"


class Role(StrEnum):
    APPLICANT = "applicant"
    OFFICER = "officer"
    HEAD = "head"
    AUDITOR = "auditor"


class RefusalGround(StrEnum):
    """R-REF-1: the five grounds for refusal (Annex 1 item 10)."""

    UNRELIABLE_DOCUMENTS = "unreliable_documents"
    NON_COMPLIANCE = "non_compliance"
    COURT_PROHIBITION = "court_prohibition"
    COURT_DEPRIVATION_OF_RIGHT = "court_deprivation_of_right"
    NO_PERSONAL_DATA_CONSENT = "no_personal_data_consent"


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    LATE = "late"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.ACCEPTED, Action.REGISTER): Status.REGISTERED,
    (Status.REGISTERED, Action.COMPLETE): Status.UNDER_EXAMINATION,
    (Status.REGISTERED, Action.INCOMPLETE): Status.REFUSED_INCOMPLETE,
    (Status.UNDER_EXAMINATION, Action.APPROVE): Status.PERMIT_PENDING_SIGNATURE,
    (Status.UNDER_EXAMINATION, Action.PRELIMINARY_REFUSAL): Status.HEARING_SCHEDULED,
    (Status.HEARING_SCHEDULED, Action.HEARING_GRANT): Status.PERMIT_PENDING_SIGNATURE,
    (Status.HEARING_SCHEDULED, Action.HEARING_REFUSE): Status.REFUSAL_PENDING_SIGNATURE,
    (Status.PERMIT_PENDING_SIGNATURE, Action.SIGN): Status.PERMIT_ISSUED,
    (Status.REFUSAL_PENDING_SIGNATURE, Action.SIGN): Status.REFUSED,
}

# Who may take each step: the office/department acts, the head (or deputy) signs results (R-RES-1).
ACTION_ROLES: dict[Action, Role] = {
    Action.REGISTER: Role.OFFICER,
    Action.COMPLETE: Role.OFFICER,
    Action.INCOMPLETE: Role.OFFICER,
    Action.APPROVE: Role.OFFICER,
    Action.PRELIMINARY_REFUSAL: Role.OFFICER,
    Action.HEARING_GRANT: Role.OFFICER,
    Action.HEARING_REFUSE: Role.OFFICER,
    Action.SIGN: Role.HEAD,
}


@dataclass(frozen=True, slots=True)
class Schedule:
    """Every deadline of one request (aware datetimes, close of office hours in Astana)."""

    registration_day: dt.date
    registration_due: dt.datetime
    completeness_due: dt.datetime
    service_term_due: dt.datetime
    hearing_notice_due: dt.datetime
    examination_due: dt.datetime | None = None
    hearing_due: dt.datetime | None = None

    def due_for(self, status: Status) -> dt.datetime | None:
        """The deadline the request is working against while in ``status`` (None once final)."""
        match status:
            case Status.ACCEPTED:
                return self.registration_due
            case Status.REGISTERED:
                return self.completeness_due
            case Status.UNDER_EXAMINATION:
                return self.examination_due
            case Status.HEARING_SCHEDULED:
                return self.hearing_due
            case Status.PERMIT_PENDING_SIGNATURE | Status.REFUSAL_PENDING_SIGNATURE:
                return self.service_term_due
            case _:
                return None


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one step: the new status, the updated schedule, whether the notice was late."""

    status: Status
    schedule: Schedule
    notice_late: bool = False


def initial_schedule(submitted_at: dt.datetime, *, calendar: WorkingCalendar) -> Schedule:
    """R-REG-3, R-CHK-1, R-TIME-2, R-HEAR-1: the deadlines known the moment a request is accepted."""
    terms = calendar.profile.deadlines
    registration_day = calendar.registration_day(submitted_at)
    term_end_day = calendar.add_working_days(registration_day, terms.service_term)
    latest_notice_day = calendar.subtract_working_days(term_end_day, terms.hearing_notice_before_term_end)
    return Schedule(
        registration_day=registration_day,
        registration_due=calendar.end_of_day(registration_day),
        completeness_due=calendar.deadline_end(registration_day, terms.completeness_check),
        service_term_due=calendar.end_of_day(term_end_day),
        hearing_notice_due=calendar.end_of_day(latest_notice_day),
    )


def required_role(action: Action) -> Role:
    return ACTION_ROLES[action]


def decide(
    status: Status,
    action: Action,
    *,
    at: dt.datetime,
    schedule: Schedule,
    calendar: WorkingCalendar,
    grounds: tuple[RefusalGround, ...] = (),
    hearing_at: dt.datetime | None = None,
) -> Decision:
    """Apply ``action`` to a request in ``status`` at moment ``at``; illegal steps raise 409.

    A preliminary refusal needs at least one ground of R-REF-1 and a hearing time no later than
    ``hearing_within_after_notice`` working days from the notice (R-HEAR-1). A notice sent later than
    ``hearing_notice_before_term_end`` days before the term ends is allowed (the applicant keeps the
    right to be heard) but flagged as late.
    """
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise IllegalTransition(f"cannot {action.value} a request that is {status.value}")
    terms = calendar.profile.deadlines
    local_day = calendar.local(at).date()
    new_schedule = schedule
    notice_late = False
    if action is Action.REGISTER and local_day < schedule.registration_day:
        # R-REG-3: a request that arrived after hours or on a day off is received the next working day.
        raise IllegalTransition(
            f"this request is received on {schedule.registration_day.isoformat()} (R-REG-3)",
            code="registration_not_open",
        )
    if action is Action.COMPLETE:
        new_schedule = replace(schedule, examination_due=calendar.deadline_end(local_day, terms.examination))
    elif action is Action.PRELIMINARY_REFUSAL:
        if not grounds:
            raise InvalidInput(
                "a preliminary refusal names at least one ground of R-REF-1", code="grounds_missing"
            )
        hearing_due = calendar.deadline_end(local_day, terms.hearing_within_after_notice)
        if hearing_at is None or not at <= hearing_at <= hearing_due:
            raise InvalidInput(
                f"the hearing must be held between the notice and {hearing_due.isoformat()} (R-HEAR-1)",
                code="hearing_time_invalid",
            )
        new_schedule = replace(schedule, hearing_due=hearing_due)
        notice_late = at > schedule.hearing_notice_due
    return Decision(status=target, schedule=new_schedule, notice_late=notice_late)


def timeliness(
    status: Status, schedule: Schedule, *, now: dt.datetime, calendar: WorkingCalendar, at_risk_days: int
) -> Timeliness:
    """Late once past the current stage's deadline; at risk when it falls within ``at_risk_days``."""
    due = schedule.due_for(status)
    if due is None:
        return Timeliness.ON_TIME
    if now > due:
        return Timeliness.LATE
    today = calendar.local(now).date()
    if calendar.working_days_between(today, calendar.local(due).date()) <= at_risk_days:
        return Timeliness.AT_RISK
    return Timeliness.ON_TIME
