"""Financing indicators (wallet checksums) and URL normalisation / classification."""

from __future__ import annotations

import random

import pytest

from openiru.detect.urls import UrlClassifier, domain_of, normalise_url, urls_in_text
from openiru.detect.wallets import eip55_checksum, find_wallets

VALID = {
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa": ("BTC", "p2pkh"),
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy": ("BTC", "p2sh"),
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq": ("BTC", "segwit"),
    "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297": ("BTC", "taproot"),
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": ("ETH", "eip55"),
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": ("TRX", "tron"),
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A": (
        "XMR",
        "standard",
    ),
}
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@pytest.mark.parametrize("address", list(VALID))
def test_valid_addresses_are_found(address: str) -> None:
    found = find_wallets(f"Support us: {address} thank you")
    assert [(w.currency, w.kind) for w in found] == [VALID[address]]
    assert found[0].address.lower() == address.lower()


def _alphabet(address: str) -> str:
    if address.startswith("bc1"):
        return BECH32
    if address.startswith("0x"):
        return "0123456789abcdefABCDEF"
    return BASE58


@pytest.mark.parametrize("address", list(VALID))
def test_every_one_character_mutation_is_rejected(address: str) -> None:
    alphabet = _alphabet(address)
    start = 4 if address.startswith("bc1") else 2 if address.startswith("0x") else 1
    for i in range(start, len(address)):
        for replacement in (
            alphabet[(alphabet.index(address[i]) + 1) % len(alphabet)],
            alphabet[(alphabet.index(address[i]) + 7) % len(alphabet)],
        ):
            mutated = address[:i] + replacement + address[i + 1 :]
            if mutated == address:
                continue
            assert find_wallets(mutated) == [], (i, mutated)


def test_random_strings_of_the_right_shape_are_not_wallets() -> None:
    rng = random.Random(4)
    hexchars = "0123456789abcdefABCDEF"
    candidates = []
    for _ in range(200):
        candidates.append(rng.choice("13T") + "".join(rng.choice(BASE58) for _ in range(33)))
        candidates.append("0x" + "".join(rng.choice(hexchars) for _ in range(40)))
        candidates.append("bc1q" + "".join(rng.choice(BECH32) for _ in range(38)))
        candidates.append("4" + "".join(rng.choice(BASE58) for _ in range(94)))
    found = find_wallets(" ".join(candidates))
    assert found == []


def test_eip55_round_trip() -> None:
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert eip55_checksum(address.lower()) == address
    lower = find_wallets(address.lower())
    assert [w.kind for w in lower] == ["unchecksummed"]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("HTTP://WWW.Example.ORG/path/?utm_source=x&b=2&a=1#frag", "https://example.org/path?a=1&b=2"),
        ("https://example.org:443/a//b/", "https://example.org/a/b"),
        ("https://news.example.net/story?fbclid=abc&gclid=def", "https://news.example.net/story"),
        ("example.org/page", "https://example.org/page"),
        ("http://example.org:8080/", "https://example.org:8080"),
    ],
)
def test_url_normalisation(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


def test_url_classification_and_shortener_expansion() -> None:
    classifier = UrlClassifier(
        {"velmor-herald.example": "Velmor Herald"},
        {"https://bit.ly/abc": "https://www.velmor-herald.example/bulletin?utm_medium=x"},
    )
    assert classifier.classify("https://bit.ly/abc").category == "outlet"
    assert classifier.classify("https://bit.ly/abc").url == "https://velmor-herald.example/bulletin"
    assert classifier.classify("https://bit.ly/other").category == "shortener"
    assert classifier.classify("https://mega.nz/file/x").category == "file-host"
    assert classifier.classify("https://justpaste.it/abc").category == "paste"
    assert classifier.classify("https://paypal.me/someone").category == "donation"
    assert classifier.classify("https://t.me/channel").label == "telegram"
    assert classifier.classify("https://brand-new-site.example/x").category == "unknown"
    assert domain_of("https://www.Example.org/x") == "example.org"
    assert urls_in_text("see https://a.example/x). and http://b.example") == [
        "https://a.example/x",
        "http://b.example",
    ]


def test_shortened_links_are_expanded_from_what_the_data_says() -> None:
    classifier = UrlClassifier({"velmor-herald.example": "Velmor Herald"})
    # a post whose export gives the expanded form of its shortened link teaches the pair
    left = classifier.learn(
        ["https://bit.ly/x1", "https://other.example/a"], ["https://velmor-herald.example/b"]
    )
    assert left == ["https://other.example/a"]
    # a later post with only the short link is then recognised as a link to the outlet
    info = classifier.classify("https://bit.ly/x1")
    assert info.category == "outlet" and info.url == "https://velmor-herald.example/b"
