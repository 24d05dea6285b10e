"""The referral workflow as an explicit state machine.

``draft -> approved -> sent -> acknowledged -> removed | access_disabled |
rejected | no_response``, plus ``withdrawn`` and ``on_hold`` (deconfliction).
Each action names the state it leads to; :func:`transition` refuses anything
the table below does not allow, and enforces four-eyes on approval.  Time is
passed in (the caller's injected clock): this module never reads the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ..errors import PermissionDenied, TransitionError


class State(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REMOVED = "removed"
    ACCESS_DISABLED = "access_disabled"
    REJECTED = "rejected"
    NO_RESPONSE = "no_response"
    WITHDRAWN = "withdrawn"
    ON_HOLD = "on_hold"


class Kind(enum.StrEnum):
    REFERRAL = "referral"
    REMOVAL_ORDER = "removal-order"


class Action(enum.StrEnum):
    APPROVE = "approve"
    SEND = "send"
    ACKNOWLEDGE = "acknowledge"
    REMOVE = "removed"
    DISABLE = "access_disabled"
    REJECT = "rejected"
    EXPIRE = "no_response"
    WITHDRAW = "withdraw"
    HOLD = "hold"
    RELEASE = "release"
    REOPEN = "reopen"


#: States in which the provider still has to act (the deadline runs or will run).
OPEN_STATES = frozenset({State.DRAFT, State.APPROVED, State.SENT, State.ACKNOWLEDGED})
#: States where the content is down (removal verification applies).
DOWN_STATES = frozenset({State.REMOVED, State.ACCESS_DISABLED})
FINAL_STATES = frozenset({State.REMOVED, State.ACCESS_DISABLED, State.REJECTED, State.WITHDRAWN})

_OUTCOMES = {
    State.REMOVED: Action.REMOVE,
    State.ACCESS_DISABLED: Action.DISABLE,
    State.REJECTED: Action.REJECT,
}

#: (from state, action) -> to state.  Anything else is illegal.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.DRAFT, Action.APPROVE): State.APPROVED,
    (State.DRAFT, Action.WITHDRAW): State.WITHDRAWN,
    (State.DRAFT, Action.HOLD): State.ON_HOLD,
    (State.APPROVED, Action.SEND): State.SENT,
    (State.APPROVED, Action.WITHDRAW): State.WITHDRAWN,
    (State.APPROVED, Action.HOLD): State.ON_HOLD,
    (State.SENT, Action.ACKNOWLEDGE): State.ACKNOWLEDGED,
    (State.SENT, Action.EXPIRE): State.NO_RESPONSE,
    (State.SENT, Action.WITHDRAW): State.WITHDRAWN,
    (State.ACKNOWLEDGED, Action.EXPIRE): State.NO_RESPONSE,
    (State.ACKNOWLEDGED, Action.WITHDRAW): State.WITHDRAWN,
    (State.NO_RESPONSE, Action.ACKNOWLEDGE): State.ACKNOWLEDGED,
    (State.NO_RESPONSE, Action.SEND): State.SENT,
    (State.NO_RESPONSE, Action.WITHDRAW): State.WITHDRAWN,
    (State.REMOVED, Action.REOPEN): State.SENT,
    (State.ACCESS_DISABLED, Action.REOPEN): State.SENT,
    (State.ON_HOLD, Action.WITHDRAW): State.WITHDRAWN,
}
# The provider's answer may come with or without a separate acknowledgement,
# and may come late (after no_response was recorded).
for _src in (State.SENT, State.ACKNOWLEDGED, State.NO_RESPONSE):
    for _outcome, _action in _OUTCOMES.items():
        TRANSITIONS[(_src, _action)] = _outcome


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded step: who moved the referral from which state to which, when, why."""

    action: Action
    from_state: State
    to_state: State
    actor: str
    at: datetime
    reason: str | None = None


def allowed_actions(state: State | str) -> list[Action]:
    state = State(state)
    actions = [a for (s, a) in TRANSITIONS if s == state]
    if state == State.ON_HOLD:
        actions.append(Action.RELEASE)
    return actions


def transition(
    state: State | str,
    action: Action | str,
    *,
    actor: str,
    at: datetime,
    reason: str | None = None,
    created_by: str | None = None,
    hold_from: State | str | None = None,
) -> Transition:
    """The transition ``action`` makes from ``state``, or :class:`TransitionError`.

    ``created_by`` is needed for approval (four-eyes: nobody approves their
    own referral); ``hold_from`` is the state a held referral returns to on
    release.
    """
    state = State(state)
    try:
        action = Action(action)
    except ValueError:
        raise TransitionError(f"unknown action {action!r}") from None
    if action == Action.RELEASE:
        if state != State.ON_HOLD:
            raise TransitionError(f"cannot release a referral in state {state}: it is not on hold")
        target = State(hold_from) if hold_from else State.DRAFT
        return Transition(action, state, target, actor, at, reason)
    target_state = TRANSITIONS.get((state, action))
    if target_state is None:
        legal = ", ".join(a.value for a in allowed_actions(state)) or "none"
        raise TransitionError(
            f"cannot {action.value} a referral in state {state.value} (allowed here: {legal})"
        )
    if action == Action.APPROVE:
        if created_by is None:
            raise TransitionError("approval needs the referral's creator (four-eyes check)")
        if created_by == actor:
            raise PermissionDenied(
                f"four-eyes: {actor!r} created this referral and cannot approve it; "
                "a second person must approve"
            )
    return Transition(action, state, target_state, actor, at, reason)
