"""One clock for the whole application: the :data:`Clock` type, the system clock and the
commands' clock.

A service that reads the time takes ``now: Clock = system_now`` and calls it; the pure cores
(:mod:`openiru.referral.workflow`, deadlines, reports) never read the clock and take the moment
itself.  Tests and rehearsals inject another clock: :func:`fixed`, or ``OPENIRU_NOW`` for the
CLI (:func:`from_env`, what :func:`openiru.commands.common.clock` returns).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from .model import parse_time

#: A clock: called with no argument, returns the current moment (timezone-aware).
Clock = Callable[[], datetime]

#: The environment variable that fixes the commands' clock (ISO 8601).
NOW_VARIABLE = "OPENIRU_NOW"


def system_now() -> datetime:
    """The system clock, in UTC."""
    return datetime.now(UTC)


def fixed(at: datetime) -> Clock:
    """A clock stopped at ``at``."""
    return lambda: at


def from_env(environ: Mapping[str, str] = os.environ) -> Clock:
    """The system clock, or the moment ``OPENIRU_NOW`` names (rehearsals and tests)."""
    value = environ.get(NOW_VARIABLE)
    if value:
        return fixed(parse_time(value))
    return system_now
