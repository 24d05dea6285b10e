"""The pure referral core: every legal and illegal transition, four-eyes, deadlines with pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openiru.errors import ConfigError, PermissionDenied, TransitionError
from openiru.referral import deadlines
from openiru.referral.deadlines import Pause
from openiru.referral.providers import ProviderInfo, resolve
from openiru.referral.targets import normalise_url, parse_target
from openiru.referral.workflow import TRANSITIONS, Action, State, allowed_actions, transition

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

EXPECTED = {
    (State.DRAFT, Action.APPROVE): State.APPROVED,
    (State.DRAFT, Action.WITHDRAW): State.WITHDRAWN,
    (State.DRAFT, Action.HOLD): State.ON_HOLD,
    (State.APPROVED, Action.SEND): State.SENT,
    (State.APPROVED, Action.WITHDRAW): State.WITHDRAWN,
    (State.APPROVED, Action.HOLD): State.ON_HOLD,
    (State.SENT, Action.ACKNOWLEDGE): State.ACKNOWLEDGED,
    (State.SENT, Action.REMOVE): State.REMOVED,
    (State.SENT, Action.DISABLE): State.ACCESS_DISABLED,
    (State.SENT, Action.REJECT): State.REJECTED,
    (State.SENT, Action.EXPIRE): State.NO_RESPONSE,
    (State.SENT, Action.WITHDRAW): State.WITHDRAWN,
    (State.ACKNOWLEDGED, Action.REMOVE): State.REMOVED,
    (State.ACKNOWLEDGED, Action.DISABLE): State.ACCESS_DISABLED,
    (State.ACKNOWLEDGED, Action.REJECT): State.REJECTED,
    (State.ACKNOWLEDGED, Action.EXPIRE): State.NO_RESPONSE,
    (State.ACKNOWLEDGED, Action.WITHDRAW): State.WITHDRAWN,
    (State.NO_RESPONSE, Action.ACKNOWLEDGE): State.ACKNOWLEDGED,
    (State.NO_RESPONSE, Action.REMOVE): State.REMOVED,
    (State.NO_RESPONSE, Action.DISABLE): State.ACCESS_DISABLED,
    (State.NO_RESPONSE, Action.REJECT): State.REJECTED,
    (State.NO_RESPONSE, Action.SEND): State.SENT,
    (State.NO_RESPONSE, Action.WITHDRAW): State.WITHDRAWN,
    (State.REMOVED, Action.REOPEN): State.SENT,
    (State.ACCESS_DISABLED, Action.REOPEN): State.SENT,
    (State.ON_HOLD, Action.WITHDRAW): State.WITHDRAWN,
}


def test_transition_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == EXPECTED


ALL_PAIRS = [(s, a) for s in State for a in Action if a != Action.RELEASE]


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s.value}-{a.value}" for s, a in ALL_PAIRS])
def test_every_state_action_pair(state: State, action: Action) -> None:
    kwargs = {"actor": "bob", "at": T0, "created_by": "ana"}
    if (state, action) in EXPECTED:
        step = transition(state, action, **kwargs)
        assert step.to_state == EXPECTED[(state, action)]
        assert (step.from_state, step.actor, step.at) == (state, "bob", T0)
    else:
        with pytest.raises(TransitionError, match=f"cannot {action.value} a referral in state {state.value}"):
            transition(state, action, **kwargs)


@pytest.mark.parametrize("state", list(State))
def test_release_only_from_hold_and_back_where_it_was(state: State) -> None:
    if state == State.ON_HOLD:
        assert (
            transition(state, Action.RELEASE, actor="x", at=T0, hold_from="approved").to_state
            == State.APPROVED
        )
        assert transition(state, Action.RELEASE, actor="x", at=T0).to_state == State.DRAFT
    else:
        with pytest.raises(TransitionError):
            transition(state, Action.RELEASE, actor="x", at=T0)


def test_four_eyes_nobody_approves_their_own() -> None:
    with pytest.raises(PermissionDenied, match="four-eyes"):
        transition(State.DRAFT, Action.APPROVE, actor="ana", at=T0, created_by="ana")
    with pytest.raises(TransitionError):
        transition(State.DRAFT, Action.APPROVE, actor="ana", at=T0)
    assert (
        transition(State.DRAFT, Action.APPROVE, actor="bob", at=T0, created_by="ana").to_state
        == State.APPROVED
    )


def test_unknown_action_and_allowed_actions() -> None:
    with pytest.raises(TransitionError, match="unknown action"):
        transition(State.DRAFT, "explode", actor="a", at=T0)
    assert set(allowed_actions("rejected")) == set()
    assert Action.RELEASE in allowed_actions("on_hold")


def test_removal_order_deadline_one_hour_from_receipt() -> None:
    sent = T0 + timedelta(minutes=30)
    due = deadlines.deadline("removal-order", T0, sent, [], now=sent)
    assert due == sent + timedelta(hours=1)
    assert deadlines.deadline("referral", T0, None, [], now=T0) == T0 + timedelta(hours=2)


def test_pauses_stop_and_restart_the_clock() -> None:
    sent = T0
    # force majeure from 12:20 to 12:50 adds 30 minutes
    closed = [Pause(T0 + timedelta(minutes=20), T0 + timedelta(minutes=50), "force_majeure")]
    assert deadlines.deadline(
        "removal-order", T0, sent, closed, now=T0 + timedelta(hours=3)
    ) == T0 + timedelta(minutes=90)
    # an open clarification request: the deadline moves with the clock, never overdue while paused
    open_pause = [Pause(T0 + timedelta(minutes=40), None, "clarification")]
    later = T0 + timedelta(hours=5)
    due = deadlines.deadline("removal-order", T0, sent, open_pause, now=later)
    assert due == later + timedelta(minutes=20)
    assert not deadlines.is_overdue("sent", due, later, open_pause)
    # once the clarification arrives the remaining 20 minutes run again
    ended = [Pause(T0 + timedelta(minutes=40), later, "clarification")]
    due = deadlines.deadline("removal-order", T0, sent, ended, now=later + timedelta(minutes=21))
    assert due == later + timedelta(minutes=20)
    assert deadlines.is_overdue("sent", due, later + timedelta(minutes=21), ended)
    assert deadlines.is_soon_due("sent", due, later + timedelta(minutes=5), ended)
    assert not deadlines.is_overdue("removed", due, later + timedelta(hours=9), ended)


def test_elapsed_time_leaves_out_stopped_time() -> None:
    pauses = [Pause(T0 + timedelta(minutes=10), T0 + timedelta(minutes=40), "clarification")]
    assert deadlines.elapsed_excluding_pauses(T0, T0 + timedelta(minutes=60), pauses) == timedelta(minutes=30)
    assert deadlines.elapsed_excluding_pauses(None, T0, pauses) is None


def test_targets_parse_and_normalise() -> None:
    assert parse_target("telegram:-100123/45").key == "telegram:-100123/45"
    acc = parse_target("X:@12345")
    assert (acc.kind, acc.key, acc.platform, acc.ident) == ("account", "x:@12345", "x", "12345")
    url = parse_target("https://WWW.Example.org:443/a/b/#frag")
    assert (url.kind, url.key) == ("url", "https://example.org/a/b")
    assert normalise_url("http://example.org:8080/") == "http://example.org:8080"
    for bad in ("nocolon", "x:", "x:@", "https:///path"):
        with pytest.raises(ConfigError):
            parse_target(bad)


def test_provider_resolution_longest_domain_then_platform() -> None:
    google = ProviderInfo("Google", domains=["google.com"])
    drive = ProviderInfo("Drive", domains=["drive.google.com"])
    tg = ProviderInfo("Telegram", platforms=["telegram"], domains=["t.me"])
    reg = [google, drive, tg]
    assert resolve(reg, "https://drive.google.com/file/1") is drive
    assert resolve(reg, "https://mail.google.com/x") is google
    assert resolve(reg, "https://notgoogle.com/x") is None
    assert resolve(reg, None, "telegram") is tg
    assert resolve(reg, "https://t.me/chan/5") is tg
