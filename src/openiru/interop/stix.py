"""STIX 2.1 bundles of referred content, built with the OASIS ``stix2`` library.

Mapping: the unit and each provider are ``identity`` objects; a referred
account is a ``user-account``; web addresses are ``url``; media files are
``file`` with SHA-256/MD5 hashes, each also an ``indicator`` with a
``[file:hashes.'SHA-256' = '...']`` pattern for upload filters; each referral
is an ``observed-data`` over its observables and a ``report`` tying them
together.  STIX has no post object: a post is a ``social-media-post``
observable defined by an ``extension-definition`` (``extension_types:
["new-sco"]``, fixed id, published by a fixed OpenIRU identity) with its
platform, id, text, language, time, author (``author_ref``) and address
(``url_ref``).  The output passes ``stix2-validator`` in strict mode (see
tests/test_interop_exports.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import stix2
from stix2.properties import ReferenceProperty, StringProperty, TimestampProperty

#: Who defines the post extension: the same ids in every export, so consumers can recognise it.
PROJECT_IDENTITY = stix2.Identity(
    id="identity--5b0d6c2e-3f4a-4c1e-9a57-2f7d1c8e4b10",
    name="OpenIRU project",
    identity_class="organization",
    created="2026-01-01T00:00:00.000Z",
    modified="2026-01-01T00:00:00.000Z",
)
POST_EXTENSION = stix2.v21.ExtensionDefinition(
    id="extension-definition--8c3f6a1e-7d2b-4e9f-a0c4-1b5e9d7f3a62",
    created_by_ref=PROJECT_IDENTITY.id,
    created="2026-01-01T00:00:00.000Z",
    modified="2026-01-01T00:00:00.000Z",
    name="social-media-post",
    description="A post or message on a social media or messaging platform.",
    schema="https://github.com/openiru/openiru/blob/main/docs/referrals.md#exports",
    version="1.0.0",
    extension_types=["new-sco"],
)


@stix2.v21.CustomObservable(
    "social-media-post",
    [
        ("platform", StringProperty(required=True)),
        ("post_id", StringProperty(required=True)),
        ("text", StringProperty()),
        ("language", StringProperty()),
        ("posted", TimestampProperty()),
        ("author_ref", ReferenceProperty(valid_types="user-account", spec_version="2.1")),
        ("url_ref", ReferenceProperty(valid_types="url", spec_version="2.1")),
    ],
    extension_name=POST_EXTENSION.id,
)
class SocialMediaPost:
    """The post SCO (ids are UUIDv4, as stix2-validator requires for a new SCO type)."""


#: Platforms whose names are in the STIX account-type vocabulary.
ACCOUNT_TYPES = {"x": "twitter", "twitter": "twitter", "facebook": "facebook"}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _observables(item: dict[str, Any]) -> list[Any]:
    target = item["target"]
    objects: list[Any] = []
    account = target["author"] or (target["key"] if target["kind"] == "account" else None)
    account_obj = url_obj = None
    if account:
        platform, _, ident = account.partition(":@")
        props: dict[str, Any] = {"user_id": ident, "display_name": f"{platform}:@{ident}"}
        if target.get("author_handle"):
            props["account_login"] = target["author_handle"]
        if platform in ACCOUNT_TYPES:
            props["account_type"] = ACCOUNT_TYPES[platform]
        account_obj = stix2.UserAccount(**props)
        objects.append(account_obj)
    if target["url"]:
        url_obj = stix2.URL(value=target["url"])
        objects.append(url_obj)
    if target["kind"] == "post":
        post: dict[str, Any] = {"platform": target["platform"], "post_id": target["ident"]}
        if target["text"]:
            post["text"] = target["text"]
        if target["language"]:
            post["language"] = target["language"]
        if target["posted_at"]:
            post["posted"] = _time(target["posted_at"])
        if account_obj is not None:
            post["author_ref"] = account_obj.id
        if url_obj is not None:
            post["url_ref"] = url_obj.id
        objects.append(SocialMediaPost(id=f"social-media-post--{uuid.uuid4()}", **post))  # type: ignore[call-arg]
    for m in target["media"]:
        hashes = {}
        if m.get("sha256"):
            hashes["SHA-256"] = m["sha256"]
        if m.get("md5"):
            hashes["MD5"] = m["md5"]
        if hashes:
            props = {"hashes": hashes}
            if m.get("mime"):
                props["mime_type"] = m["mime"]
            objects.append(stix2.File(**props))
    return objects


def bundle(items: list[dict[str, Any]], unit_name: str, now: datetime) -> stix2.Bundle:
    unit = stix2.Identity(
        name=unit_name, identity_class="organization", sectors=["government-public-services"]
    )
    objects: dict[str, Any] = {
        PROJECT_IDENTITY.id: PROJECT_IDENTITY,
        POST_EXTENSION.id: POST_EXTENSION,
        unit.id: unit,
    }
    providers: dict[str, Any] = {}
    by_referral: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        by_referral.setdefault(item["referral"]["id"], []).append(item)
    for _ref_id, ref_items in sorted(by_referral.items()):
        ref = ref_items[0]["referral"]
        refs: list[str] = []
        observables: list[Any] = []
        for item in ref_items:
            for obs in _observables(item):
                objects.setdefault(obs.id, obs)
                observables.append(obs)
        if ref["provider"] and ref["provider"] not in providers:
            providers[ref["provider"]] = stix2.Identity(
                name=ref["provider"], identity_class="organization", created_by_ref=unit.id
            )
            objects[providers[ref["provider"]].id] = providers[ref["provider"]]
        if observables:
            seen_at = [_time(i["target"]["posted_at"] or ref["created_at"]) for i in ref_items]
            observed = stix2.ObservedData(
                created_by_ref=unit.id,
                first_observed=min(seen_at),
                last_observed=max(seen_at + [_time(ref["created_at"])]),
                number_observed=len(ref_items),
                object_refs=sorted({o.id for o in observables}),
            )
            objects[observed.id] = observed
            refs.append(observed.id)
        for obs in observables:
            if isinstance(obs, stix2.File):
                for algo in ("SHA-256", "MD5"):
                    if algo in obs.hashes:
                        indicator = stix2.Indicator(
                            created_by_ref=unit.id,
                            name=f"Referred media {algo} ({ref['reference']})",
                            description="Media of content referred as terrorist content; for upload filters.",
                            pattern=f"[file:hashes.'{algo}' = '{obs.hashes[algo]}']",
                            pattern_type="stix",
                            valid_from=_time(ref["created_at"]),
                            indicator_types=["malicious-activity"],
                        )
                        objects[indicator.id] = indicator
                        refs.append(indicator.id)
        refs += sorted({o.id for o in observables})
        if ref["provider"]:
            refs.append(providers[ref["provider"]].id)
        report = stix2.Report(
            created_by_ref=unit.id,
            name=f"Referral {ref['reference']} ({ref['kind']}, {ref['state']})",
            description=ref["reason"] or "",
            published=_time(ref["sent_at"] or ref["created_at"]),
            report_types=["threat-report"],
            object_refs=list(dict.fromkeys(refs)) or [unit.id],
            labels=[ref["kind"], ref["state"]],
        )
        objects[report.id] = report
    return stix2.Bundle(objects=list(objects.values()), allow_custom=True)
