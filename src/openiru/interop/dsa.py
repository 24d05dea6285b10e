"""DSA Transparency Database statements of reasons (schema as of July 2025).

Providers that report to the database can submit one statement per item they
acted on after a referral.  A TCO removal order is an illegal-content ground
(Regulation (EU) 2021/784); a voluntary referral is judged against the
provider's terms (incompatible content).  The source is an authority notice
outside DSA Art. 9: ``SOURCE_TYPE_OTHER_NOTIFICATION``.  :func:`validate`
checks the required fields and enumerations of the database's
``StatementStoreRequest`` so that a batch is not refused on submission.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

DECISION_GROUNDS = ("DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT")
CONTENT_TYPES = tuple(
    f"CONTENT_TYPE_{x}"
    for x in ("APP", "AUDIO", "IMAGE", "PRODUCT", "SYNTHETIC_MEDIA", "TEXT", "VIDEO", "OTHER")
)
SOURCE_TYPES = (
    "SOURCE_ARTICLE_16",
    "SOURCE_TRUSTED_FLAGGER",
    "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY",
)
AUTOMATED_DECISIONS = (
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
)
VISIBILITY = tuple(
    f"DECISION_VISIBILITY_CONTENT_{x}"
    for x in ("REMOVED", "DISABLED", "DEMOTED", "AGE_RESTRICTED", "INTERACTION_RESTRICTED", "LABELLED")
) + ("DECISION_VISIBILITY_OTHER",)
ACCOUNT_DECISIONS = ("DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED")
CATEGORY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
CATEGORY_SPECIFICATION = "KEYWORD_TERRORIST_CONTENT"
#: A removal order applies in every Member State (TCO Art. 3(3)).
EU_MEMBER_STATES = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
)
REQUIRED = (
    "decision_ground",
    "content_type",
    "category",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "puid",
)
PUID = re.compile(r"^[a-zA-Z0-9-_]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _content_types(target: dict[str, Any]) -> list[str]:
    types = []
    if target["text"]:
        types.append("CONTENT_TYPE_TEXT")
    for m in target["media"]:
        mime = (m.get("mime") or "").split("/")[0]
        kind = {
            "image": "CONTENT_TYPE_IMAGE",
            "video": "CONTENT_TYPE_VIDEO",
            "audio": "CONTENT_TYPE_AUDIO",
        }.get(mime, "CONTENT_TYPE_OTHER")
        if kind not in types:
            types.append(kind)
    return types or ["CONTENT_TYPE_OTHER"]


def _date(text: str | None) -> str | None:
    return datetime.fromisoformat(text).date().isoformat() if text else None


def statement(item: dict[str, Any], index: int) -> dict[str, Any]:
    ref, target = item["referral"], item["target"]
    removal_order = ref["kind"] == "removal-order"
    s: dict[str, Any] = {
        "decision_ground": DECISION_GROUNDS[0] if removal_order else DECISION_GROUNDS[1],
        "category": CATEGORY,
        "category_specification": [CATEGORY_SPECIFICATION],
        "content_type": _content_types(target),
        "content_date": _date(target["posted_at"]) or _date(ref["created_at"]),
        "application_date": _date(ref["resolved_at"]) or _date(ref["sent_at"]) or _date(ref["created_at"]),
        "decision_facts": (
            f"Content referred by a law-enforcement Internet Referral Unit "
            f"(reference {ref['reference']}). {ref['reason'] or ''}"
        ).strip()[:5000],
        "source_type": "SOURCE_TYPE_OTHER_NOTIFICATION",
        "source_identity": "Internet Referral Unit",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": re.sub(r"[^a-zA-Z0-9-_]", "-", f"{ref['reference']}-{index}")[:500],
    }
    if target["kind"] == "account":
        s["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
    else:
        s["decision_visibility"] = [
            "DECISION_VISIBILITY_CONTENT_REMOVED"
            if ref["state"] == "removed"
            else "DECISION_VISIBILITY_CONTENT_DISABLED"
        ]
    if removal_order:
        s["territorial_scope"] = list(EU_MEMBER_STATES)
        s["illegal_content_legal_ground"] = "Regulation (EU) 2021/784, Article 3 (removal order)"
        s["illegal_content_explanation"] = (
            "Terrorist content within Article 2(7) of Regulation (EU) 2021/784, subject of a removal order."
        )[:2000]
    else:
        s["incompatible_content_ground"] = "Terms of service: violent extremist and terrorist content"
        s["incompatible_content_explanation"] = "Assessed against the terms of service after a referral."
        s["incompatible_content_illegal"] = "Yes"
    if target["language"]:
        s["content_language"] = target["language"].split("-")[0].upper()
    return s


def statements(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [statement(item, n) for n, item in enumerate(items, 1)]


def validate(s: dict[str, Any]) -> list[str]:
    """Problems the Transparency Database would refuse the statement for (empty list: valid)."""
    errors = [f"{f} is required" for f in REQUIRED if s.get(f) in (None, "", [])]
    if s.get("decision_ground") not in DECISION_GROUNDS:
        errors.append(f"decision_ground {s.get('decision_ground')!r} not in {DECISION_GROUNDS}")
    if not isinstance(s.get("content_type"), list) or any(c not in CONTENT_TYPES for c in s["content_type"]):
        errors.append("content_type must be an array of CONTENT_TYPE_* values")
    if s.get("source_type") not in SOURCE_TYPES:
        errors.append(f"source_type {s.get('source_type')!r} invalid")
    if s.get("automated_detection") not in ("Yes", "No"):
        errors.append("automated_detection must be Yes or No")
    if s.get("automated_decision") not in AUTOMATED_DECISIONS:
        errors.append("automated_decision invalid")
    if not PUID.match(str(s.get("puid", ""))) or len(str(s.get("puid", ""))) > 500:
        errors.append("puid must match ^[a-zA-Z0-9-_]+$ and be at most 500 characters")
    for f in ("content_date", "application_date"):
        if s.get(f) and not DATE.match(str(s[f])):
            errors.append(f"{f} must be Y-m-d")
    if len(str(s.get("decision_facts", ""))) > 5000:
        errors.append("decision_facts longer than 5000 characters")
    if not any(
        s.get(f)
        for f in ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
    ):
        errors.append(
            "one of decision_visibility, decision_monetary, decision_provision, decision_account is required"
        )
    if s.get("decision_visibility") and any(v not in VISIBILITY for v in s["decision_visibility"]):
        errors.append("decision_visibility has an unknown value")
    if s.get("decision_account") and s["decision_account"] not in ACCOUNT_DECISIONS:
        errors.append("decision_account has an unknown value")
    if s.get("decision_ground") == DECISION_GROUNDS[0]:
        for f, limit in (("illegal_content_legal_ground", 500), ("illegal_content_explanation", 2000)):
            if not s.get(f):
                errors.append(f"{f} is required for illegal content")
            elif len(s[f]) > limit:
                errors.append(f"{f} longer than {limit} characters")
    if s.get("decision_ground") == DECISION_GROUNDS[1]:
        for f in ("incompatible_content_ground", "incompatible_content_explanation"):
            if not s.get(f):
                errors.append(f"{f} is required for incompatible content")
    if s.get("territorial_scope") and any(
        c not in EU_MEMBER_STATES + ("IS", "LI", "NO") for c in s["territorial_scope"]
    ):
        errors.append("territorial_scope has a code outside the EEA")
    if s.get("category") != CATEGORY:
        errors.append(f"category must be {CATEGORY} for terrorist content")
    return errors


def to_json(statements_: list[dict[str, Any]]) -> str:
    return json.dumps({"statements": statements_}, ensure_ascii=False, indent=2)
