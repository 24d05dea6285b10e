"""The classifier service: train from analysts' decisions, evaluate, store and load versions.

Training data is the latest decision on each post (confirmed = positive,
rejected = negative) with the post's text and language (lingua when the source
gave none).  Each trained model is stored in ``detect_models`` with its version,
algorithm, parameters, per-language cross-validation metrics and sample count;
the newest one is active and is applied by the next scan.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...detect import classifier as core
from ...detect.language import detect_languages
from ...errors import ConfigError
from ...store import schema
from ...store import tables_detect as td
from ..access import audit
from ..access.users import SYSTEM


def training_data(conn: sa.Connection) -> tuple[list[str], list[int], list[str | None]]:
    """``(texts, labels, languages)`` from the latest decision per post."""
    d, p = td.detect_decisions, schema.posts
    latest = (
        sa.select(d.c.platform, d.c.post_id, sa.func.max(d.c.id).label("last"))
        .group_by(d.c.platform, d.c.post_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(d.c.decision, p.c.text, p.c.language)
        .join(latest, latest.c.last == d.c.id)
        .join(p, sa.and_(p.c.platform == d.c.platform, p.c.post_id == d.c.post_id))
        .order_by(d.c.id)
    ).all()
    rows = [r for r in rows if (r.text or "").strip()]
    texts = [r.text for r in rows]
    labels = [1 if r.decision == "confirm" else 0 for r in rows]
    languages: list[str | None] = [r.language for r in rows]
    missing = [i for i, lang in enumerate(languages) if not lang]
    if missing:
        for i, lang in zip(missing, detect_languages([texts[i] for i in missing]), strict=True):
            languages[i] = lang
    return texts, labels, languages


def evaluate(engine: sa.Engine, folds: int = 5) -> dict[str, Any]:
    """Cross-validated precision, recall and F1, overall and per language."""
    with engine.connect() as conn:
        texts, labels, languages = training_data(conn)
    try:
        return core.cross_validate(texts, labels, languages, folds).as_dict()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def train(engine: sa.Engine, actor: str | None = None, folds: int = 5) -> dict[str, Any]:
    """Train on every decision, store the model as the new active version; its metadata."""
    with engine.connect() as conn:
        texts, labels, languages = training_data(conn)
    try:
        evaluation = core.cross_validate(texts, labels, languages, folds)
        model = core.train(texts, labels)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    langs = sorted({lang or "und" for lang in languages})
    m = td.detect_models
    with engine.begin() as conn:
        conn.execute(sa.update(m).values(active=False))
        key = conn.execute(
            sa.insert(m).values(
                algorithm=core.ALGORITHM,
                params={"ngram_range": [2, 5], "C": 4.0, "calibration": "sigmoid"},
                metrics=evaluation.as_dict(),
                n_samples=len(texts),
                languages=langs,
                blob=core.dumps(model),
                active=True,
                created_by=actor,
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key
        if key is None:  # pragma: no cover - an INSERT without a key is a driver fault
            raise RuntimeError("the database gave the new classifier model no version")
        version = key[0]
        audit.record(
            conn,
            actor or SYSTEM,
            "classifier.train",
            "classifier",
            version,
            {"algorithm": core.ALGORITHM, "n_samples": len(texts), "languages": langs},
        )
    return {
        "version": version,
        "algorithm": core.ALGORITHM,
        "n_samples": len(texts),
        "languages": langs,
        "metrics": evaluation.as_dict(),
    }


def active_model(conn: sa.Connection) -> core.TrainedModel | None:
    m = td.detect_models
    row = conn.execute(
        sa.select(m.c.version, m.c.blob).where(m.c.active.is_(True)).order_by(m.c.version.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return core.TrainedModel(row.version, core.loads(row.blob))


def list_models(engine: sa.Engine) -> list[dict[str, Any]]:
    m = td.detect_models
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                m.c.version,
                m.c.algorithm,
                m.c.n_samples,
                m.c.languages,
                m.c.metrics,
                m.c.active,
                m.c.created_by,
                m.c.created_at,
            ).order_by(m.c.version)
        ).all()
    return [dict(r._mapping) for r in rows]
