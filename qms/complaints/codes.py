"""Tracking codes: 12 random Crockford Base32 symbols plus Crockford's mod-37 check symbol.

60 random bits (``secrets``) cannot be guessed; the check symbol catches a mistyped
symbol or two swapped neighbours before any lookup. Shown as ``XXXX-XXXX-XXXX-X``;
read case-insensitively with hyphens and spaces ignored, ``O`` as ``0`` and ``I``/``L``
as ``1`` (Crockford's decoding rules).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Check symbols: the 32 above, then the five extra ones for values 32–36.
CHECK_ALPHABET = ALPHABET + "*~$=U"
LENGTH = 12
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})


def check_symbol(body: str) -> str:
    value = 0
    for char in body:
        value = value * 32 + ALPHABET.index(char)
    return CHECK_ALPHABET[value % 37]


def new_code() -> str:
    """13 symbols, no separators (how the database stores it)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return body + check_symbol(body)


def display(code: str) -> str:
    return f"{code[0:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}"


def parse(text: str | None) -> str | None:
    """The stored form of a typed code, or None if it cannot be one (wrong length, a
    symbol outside the alphabet, or a check symbol that does not match)."""
    cleaned = "".join((text or "").split()).replace("-", "").upper().translate(_FOLD)
    if len(cleaned) != LENGTH + 1:
        return None
    body, check = cleaned[:LENGTH], cleaned[LENGTH]
    if any(c not in ALPHABET for c in body) or check not in CHECK_ALPHABET:
        return None
    return cleaned if check_symbol(body) == check else None
