"""Random secrets people type by hand: readable groups, no look-alike characters (0/O, 1/I/L)."""

from __future__ import annotations

import math
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUP = 5


def readable_secret(groups: int = 3) -> str:
    """`groups` groups of five characters joined by hyphens, e.g. "K7M2Q-9TXAF-H3R8W"."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP)) for _ in range(groups))


def entropy_bits(groups: int) -> float:
    return groups * GROUP * math.log2(len(ALPHABET))


def normalise_typed(code: str) -> str:
    """What a person typed, made comparable: case, spaces and hyphens do not matter; O→0 style slips mapped."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("OIL", "011"))
