"""Lumen-style law-enforcement request notices, one per referral.

Lumen (lumendatabase.org) publishes takedown notices; its
``LawEnforcementRequest`` type carries who asked whom to act on which URLs
under which rules, and what the recipient did.  Providers that publish to
Lumen, and units that keep the same record, use this shape.
"""

from __future__ import annotations

import json
from typing import Any

from ..referral.documents import Authority

ACTION_TAKEN = {"removed": "Yes", "access_disabled": "Yes", "rejected": "No"}


def notices(items: list[dict[str, Any]], authority: Authority) -> list[dict[str, Any]]:
    by_referral: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        by_referral.setdefault(item["referral"]["id"], []).append(item)
    out = []
    for _ref_id, ref_items in sorted(by_referral.items()):
        ref = ref_items[0]["referral"]
        order = ref["kind"] == "removal-order"
        languages = sorted({i["target"]["language"] for i in ref_items if i["target"]["language"]})
        out.append(
            {
                "type": "LawEnforcementRequest",
                "title": f"{'Removal order' if order else 'Referral'} {ref['reference']} to {ref['provider']}",
                "explanation": ref["reason"]
                or (
                    "Terrorist content (Regulation (EU) 2021/784, Art. 2(7))"
                    if order
                    else "Terrorist content under the terms of service"
                ),
                "date_sent": ref["sent_at"],
                "date_received": ref["acknowledged_at"] or ref["sent_at"],
                "sender_name": authority.name,
                "principal_name": authority.name,
                "recipient_name": ref["provider"],
                "works": [
                    {
                        "subject_of_enforcement_request": i["target"]["key"],
                        "urls_in_request": [{"url": i["target"]["url"]}] if i["target"]["url"] else [],
                    }
                    for i in ref_items
                ],
                "regulations": ["Regulation (EU) 2021/784"] if order else [],
                "request_type": "Removal order" if order else "Voluntary referral",
                "jurisdictions": [authority.member_state],
                "action_taken": ACTION_TAKEN.get(ref["state"], "Unspecified"),
                "language": languages[0] if len(languages) == 1 else ("multiple" if languages else None),
                "case_id_number": ref["reference"],
            }
        )
    return out


def to_json(notices_: list[dict[str, Any]]) -> str:
    return json.dumps({"notices": notices_}, ensure_ascii=False, indent=2)
