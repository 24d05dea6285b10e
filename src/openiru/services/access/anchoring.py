"""Anchoring the audit log: the signed head exported to another system.

Split from :mod:`.audit` because a restart of the chain is an administrator's act (checked by
:mod:`.users`, which itself writes audit entries): this module sits above both.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import ConfigError, OpenIRUError
from ...referral.audit_anchor import Checkpoint, append
from ...store.tables_referral import audit_log
from .audit import UNVERIFIABLE, VerifyResult, anchor_config, database_identity, record, verify
from .users import require_actor


def anchor_head(
    engine: sa.Engine, restart: bool = False, actor: str | None = None, now: Clock = system_now
) -> dict[str, Any]:
    """The current head, signed, for export to another system; also appended to the anchor file.

    The chain must verify first.  ``restart`` (administrators only) accepts the chain as it is
    after a legitimate restore from backup, so that older checkpoints no longer count; the
    restart is itself an audit entry, covered by the restart checkpoint.
    """
    config = anchor_config()
    db = database_identity(engine.url)
    if db is None:
        raise ConfigError("an in-memory database has no audit anchor")
    result = verify(engine, config)
    if restart:
        user = require_actor(engine, actor, ("admin",))
        if not result.ok and not _only_anchor_problem(result):
            raise OpenIRUError(f"audit log does not verify: {result.problem}")
        with engine.begin() as conn:
            record(
                conn,
                user.name,
                "audit.anchor_restart",
                "audit",
                result.entries,
                {"head": result.head, "anchor_problem": result.problem},
                now=now,
            )
        result = verify(engine, config)
        if not result.ok and not _only_anchor_problem(result):
            raise OpenIRUError(f"audit log does not verify: {result.problem}")
    elif not result.ok and not (result.entries == 0 and result.status == UNVERIFIABLE):
        # (an empty log with nothing anchored has nothing to anchor either: answered below)
        raise OpenIRUError(f"audit log does not verify: {result.problem}")
    with engine.connect() as conn:
        chain = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.seq == 1)).scalar()
    out: dict[str, Any] = {
        "db": db,
        "chain": chain,
        "seq": result.entries,
        "hash": result.head,
        "at": now().astimezone(UTC).isoformat(),
        "mac": None,
        "restart": restart,
        "file": str(config.path) if config.path else None,
        "written": False,
    }
    if not result.entries or chain is None or result.head is None:
        return out
    checkpoint = Checkpoint(db, chain, result.entries, result.head, out["at"], restart).signed(config.key)
    out.update(checkpoint.as_dict())
    if config.path is not None:
        append(config.path, checkpoint)
        out["written"] = True
    return out


def _only_anchor_problem(result: VerifyResult) -> bool:
    """The chain itself verifies; only the comparison with the anchor failed."""
    return result.head is not None or result.entries == 0
