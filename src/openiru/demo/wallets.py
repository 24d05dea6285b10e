"""Cryptocurrency donation addresses that pass checksum validation.

Addresses are built from random payloads drawn from the demo's seeded RNG, so
they belong to no one: Bitcoin legacy (base58check, version byte 0x00, via the
``base58`` package), Bitcoin SegWit v0 (bech32, via the BIP-173 reference
implementation ``bech32``) and Ethereum (EIP-55 mixed-case checksum over
Keccak-256 from pycryptodome).  The validators are here too so the tests can
check every planted address.
"""

from __future__ import annotations

import random

import base58
import bech32
from Crypto.Hash import keccak


def bitcoin_legacy(rng: random.Random, version: int = 0x00) -> str:
    """A P2PKH address (``1...``) over a random 20-byte hash."""
    payload = bytes([version]) + rng.randbytes(20)
    return base58.b58encode_check(payload).decode("ascii")


def bitcoin_segwit(rng: random.Random) -> str:
    """A P2WPKH bech32 address (``bc1q...``) over a random 20-byte program."""
    address = bech32.encode("bc", 0, list(rng.randbytes(20)))
    if address is None:  # pragma: no cover - the reference encoder only fails on bad input
        raise ValueError("bech32 encoding failed")
    return address


def _keccak_hex(text: str) -> str:
    return keccak.new(digest_bits=256, data=text.encode("ascii")).hexdigest()


def eip55(address_hex: str) -> str:
    """The EIP-55 checksummed form of a 40-hex-digit address."""
    lower = address_hex.lower().removeprefix("0x")
    digest = _keccak_hex(lower)
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(lower)
    )


def ethereum(rng: random.Random) -> str:
    """An Ethereum address with its EIP-55 checksum."""
    return eip55(rng.randbytes(20).hex())


def is_valid_bitcoin_legacy(address: str) -> bool:
    try:
        payload = base58.b58decode_check(address)
    except ValueError:
        return False
    return len(payload) == 21 and payload[0] in (0x00, 0x05)


def is_valid_bitcoin_segwit(address: str) -> bool:
    version, program = bech32.decode("bc", address)
    return version is not None and program is not None


def is_valid_ethereum(address: str) -> bool:
    body = address.removeprefix("0x")
    if len(body) != 40 or not all(c in "0123456789abcdefABCDEF" for c in body):
        return False
    return eip55(body) == address


def is_valid(address: str, currency: str) -> bool:
    if currency == "BTC":
        return (
            is_valid_bitcoin_segwit(address)
            if address.startswith("bc1")
            else is_valid_bitcoin_legacy(address)
        )
    if currency == "ETH":
        return is_valid_ethereum(address)
    return False


def make_wallets(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` (address, currency) pairs cycling legacy, SegWit and Ethereum."""
    makers = ((bitcoin_legacy, "BTC"), (bitcoin_segwit, "BTC"), (ethereum, "ETH"))
    return [(makers[i % 3][0](rng), makers[i % 3][1]) for i in range(count)]
