"""The classifier: per-language cross-validation on generated data, calibrated probabilities, storage."""

from __future__ import annotations

import random

import numpy as np

from openiru.detect.classifier import cross_validate, dumps, loads, train
from openiru.detect.normalise import normalise

# Neutral placeholder vocabularies: "flagged" posts use the fictional organisation's
# bulletin phrasing, "benign" posts everyday topics, in three languages.
FLAGGED = {
    "en": [
        "the order of the ashen meridian calls",
        "bulletin of the velmor herald",
        "join the meridian ranks",
        "share the statement of the order",
        "the assembly of the ashen order",
    ],
    "fr": [
        "l'ordre du méridien cendré appelle",
        "bulletin du héraut de velmor",
        "rejoignez les rangs du méridien",
        "partagez la déclaration de l'ordre",
        "l'assemblée de l'ordre cendré",
    ],
    "ar": [
        "نداء تنظيم الخط الرمادي",
        "نشرة بشير فيلمور",
        "انضموا إلى صفوف الخط",
        "انشروا بيان التنظيم",
        "اجتماع التنظيم الرمادي",
    ],
}
BENIGN = {
    "en": [
        "the weather is nice in the park",
        "our team won the match",
        "new bakery opened downtown",
        "the concert starts at eight",
        "tomatoes grow well this summer",
    ],
    "fr": [
        "il fait beau dans le parc",
        "notre équipe a gagné le match",
        "une nouvelle boulangerie a ouvert",
        "le concert commence à huit heures",
        "les tomates poussent bien cet été",
    ],
    "ar": [
        "الطقس جميل في الحديقة",
        "فاز فريقنا في المباراة",
        "افتتح مخبز جديد في المدينة",
        "يبدأ الحفل في الثامنة",
        "الطماطم تنمو جيدا هذا الصيف",
    ],
}


def _data(seed: int = 1, per_class: int = 30) -> tuple[list[str], list[int], list[str]]:
    rng = random.Random(seed)
    texts, labels, languages = [], [], []
    for language in FLAGGED:
        for label, pool in ((1, FLAGGED[language]), (0, BENIGN[language])):
            for _ in range(per_class):
                words = rng.sample(pool, 2) + rng.sample(BENIGN[language], 1)
                rng.shuffle(words)
                texts.append(" ; ".join(words))
                labels.append(label)
                languages.append(language)
    return texts, labels, languages


def test_cross_validation_per_language() -> None:
    texts, labels, languages = _data()
    evaluation = cross_validate(texts, labels, languages, folds=5)
    assert evaluation.folds == 5
    assert set(evaluation.per_language) == {"en", "fr", "ar"}
    for language, scores in evaluation.per_language.items():
        assert scores["n"] == 60 and scores["positives"] == 30
        assert scores["f1"] >= 0.85, (language, scores)
    assert evaluation.overall["f1"] >= 0.85


def test_probabilities_are_calibrated_and_the_model_round_trips() -> None:
    texts, labels, _ = _data(seed=2)
    model = train(texts, labels)
    probabilities = model.predict_proba(
        [
            normalise("bulletin of the velmor herald ; join the meridian ranks"),
            normalise("the weather is nice in the park ; our team won the match"),
        ]
    )[:, 1]
    assert probabilities[0] > 0.7 and probabilities[1] < 0.3
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    again = loads(dumps(model))
    assert np.allclose(again.predict_proba(texts[:5]), model.predict_proba(texts[:5]))


def test_too_little_data_is_refused() -> None:
    try:
        cross_validate(["a", "b", "c"], [1, 0, 1], ["en"] * 3)
    except ValueError as exc:
        assert "at least" in str(exc)
    else:
        raise AssertionError("expected a ValueError")
