"""What detection matches against: banks, their items, lexicon terms and the classifier.

A :class:`Ruleset` is what the banks and lexicons hold (loaded by the detect
services, or built in memory by tests and benchmarks); each matcher compiles the
part it needs (see :mod:`openiru.detect.matchers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the lexicon (and its normalisation tables) is imported by who matches terms
    from .lexicon import Term
from .pdq import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY
from .pdq_index import PDQIndex

BANK_KINDS = ("pdq", "md5", "sha256", "url", "text", "video", "vpdq")
EXACT_KINDS = ("md5", "sha256", "url", "video")


@dataclass(frozen=True, slots=True)
class BankSpec:
    name: str
    kind: str
    purpose: str = "match"  # match | suppression
    pdq_max_distance: int = DEFAULT_MAX_DISTANCE
    pdq_min_quality: int = DEFAULT_MIN_QUALITY
    text_min_similarity: float = 0.8


@dataclass(frozen=True, slots=True)
class BankItem:
    id: int
    bank: str
    kind: str
    value: str
    item: str | None = None
    label: str | None = None
    status: str = "active"  # active | quarantined


@dataclass
class PackedPDQ:
    """PDQ bank items as arrays (a million-hash bank without a million Python objects):
    position in ``index`` -> bank item id, that bank's distance threshold and minimum quality."""

    index: PDQIndex
    item_ids: np.ndarray
    max_distance: np.ndarray
    min_quality: np.ndarray


@dataclass
class Ruleset:
    banks: dict[str, BankSpec] = field(default_factory=dict)
    items: list[BankItem] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    url_expansions: dict[str, str] = field(default_factory=dict)
    #: ``normalised texts -> probabilities`` of the active classifier, if one is trained
    classifier: Callable[[list[str]], np.ndarray] | None = None
    classifier_version: int | None = None
    classifier_min_probability: float = 0.5
    #: PDQ items packed as arrays, used instead of PDQ entries in ``items`` when given
    packed_pdq: PackedPDQ | None = None
    #: item id -> BankItem for packed PDQ matches (only matched items are looked up)
    lookup_items: Callable[[list[int]], dict[int, BankItem]] | None = None
    #: ids of quarantined items not listed in ``items``
    quarantined: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        packed = self.packed_pdq is not None and len(self.packed_pdq.index) > 0
        return not self.items and not self.terms and self.classifier is None and not packed
