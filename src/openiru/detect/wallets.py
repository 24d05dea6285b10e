"""Cryptocurrency addresses in text, kept only when their checksum is valid.

Bitcoin legacy (P2PKH ``1...``, P2SH ``3...``: Base58Check), SegWit v0 (``bc1q``:
bech32, BIP-173) and Taproot (``bc1p``: bech32m, BIP-350); Ethereum (``0x`` + 40
hex digits, EIP-55 mixed-case checksum with Keccak-256); Monero (95 characters in
Monero's block Base58, Keccak-256 checksum); TRON (``T...``: Base58Check with
version byte 0x41, the network USDT-TRC20 runs on).  A random string of the right
shape fails its checksum, so it is not reported.

base58 (Base58Check), bech32 (BIP-173's reference code) and pycryptodome
(Keccak-256) do the cryptography; Monero's block Base58 is a short algorithm no
installed library provides, written out here from its specification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import base58
import bech32
from Crypto.Hash import keccak

_CANDIDATES = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"(?P<eth>0x[0-9a-fA-F]{40})"
    r"|(?P<bech>(?:bc|BC)1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87})"
    r"|(?P<b58>[13T][1-9A-HJ-NP-Za-km-z]{25,34})"
    r"|(?P<xmr>[48][1-9A-HJ-NP-Za-km-z]{94})"
    r")(?![0-9A-Za-z])"
)


@dataclass(frozen=True, slots=True)
class Wallet:
    address: str
    currency: str  # BTC, ETH, XMR, TRX
    kind: str  # p2pkh, p2sh, segwit, taproot, eip55, unchecksummed, standard, tron
    start: int
    end: int


def _keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


# --- Bitcoin bech32 (BIP-173) / bech32m (BIP-350): the bech32 package is BIP-173's
# reference code; it predates bech32m, whose only difference is the final constant.
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3


def _bech32_kind(address: str) -> str | None:
    if address.lower() != address and address.upper() != address:
        return None
    address = address.lower()
    hrp, _, data_part = address.rpartition("1")
    if hrp != "bc" or len(data_part) < 7:
        return None
    data = [bech32.CHARSET.find(c) for c in data_part]
    if -1 in data:
        return None
    const = bech32.bech32_polymod(bech32.bech32_hrp_expand(hrp) + data)
    version = data[0]
    program = bech32.convertbits(data[1:-6], 5, 8, False)
    if program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and const == _BECH32_CONST:
        return "segwit" if len(program) in (20, 32) else None
    if 1 <= version <= 16 and const == _BECH32M_CONST:
        return "taproot" if version == 1 and len(program) == 32 else "segwit"
    return None


# --- Ethereum EIP-55
def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of an Ethereum address."""
    hexpart = address[2:].lower()
    digest = _keccak256(hexpart.encode()).hex()
    return "0x" + "".join(c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(hexpart))


def _eth_kind(address: str) -> str | None:
    hexpart = address[2:]
    if hexpart.lower() == hexpart or hexpart.upper() == hexpart:
        # no checksum to test; all-zero and repeated patterns are placeholders, not wallets
        return None if len(set(hexpart.lower())) < 4 else "unchecksummed"
    return "eip55" if eip55_checksum(address) == address else None


# --- Monero block Base58
_MONERO_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MONERO_BLOCK_SIZES = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}


def _monero_decode(text: str) -> bytes | None:
    out = bytearray()
    for start in range(0, len(text), 11):
        block = text[start : start + 11]
        size = _MONERO_BLOCK_SIZES.get(len(block))
        if size is None:
            return None
        number = 0
        for c in block:
            digit = _MONERO_ALPHABET.find(c)
            if digit < 0:
                return None
            number = number * 58 + digit
        if number >= 1 << (8 * size):
            return None
        out += number.to_bytes(size, "big")
    return bytes(out)


def _monero_kind(address: str) -> str | None:
    raw = _monero_decode(address)
    if raw is None or len(raw) != 69:
        return None
    if _keccak256(raw[:-4])[:4] != raw[-4:]:
        return None
    return {18: "standard", 42: "subaddress"}.get(raw[0])


def _base58_kind(address: str) -> tuple[str, str] | None:
    try:
        raw = base58.b58decode_check(address)
    except ValueError:
        return None
    if len(raw) != 21:
        return None
    if address[0] == "T" and raw[0] == 0x41:
        return "TRX", "tron"
    if address[0] == "1" and raw[0] == 0x00:
        return "BTC", "p2pkh"
    if address[0] == "3" and raw[0] == 0x05:
        return "BTC", "p2sh"
    return None


def find_wallets(text: str) -> list[Wallet]:
    """Every checksum-valid cryptocurrency address in ``text``."""
    found: list[Wallet] = []
    for m in _CANDIDATES.finditer(text):
        address = m.group(0)
        if m.group("eth"):
            kind = _eth_kind(address)
            if kind:
                found.append(Wallet(address, "ETH", kind, m.start(), m.end()))
        elif m.group("bech"):
            kind = _bech32_kind(address)
            if kind:
                found.append(Wallet(address.lower(), "BTC", kind, m.start(), m.end()))
        elif m.group("b58"):
            b58 = _base58_kind(address)
            if b58:
                found.append(Wallet(address, b58[0], b58[1], m.start(), m.end()))
        elif m.group("xmr"):
            kind = _monero_kind(address)
            if kind:
                found.append(Wallet(address, "XMR", kind, m.start(), m.end()))
    return found


def wallet_key(wallet: Wallet) -> str:
    """The form wallets are linked by across posts (Ethereum addresses are case-insensitive)."""
    return wallet.address.lower() if wallet.currency == "ETH" else wallet.address
