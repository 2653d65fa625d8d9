"""Reference codes of public reports: short, unguessable, easy to read aloud and type.

Pure Python (no Django): 10 symbols from 32 that cannot be mistaken for one another (no 0,
O, 1, I), i.e. 50 random bits, shown in two groups of five ("K7M2Q-9XHTR"). Typing is
forgiving: lower case, spaces, dashes and full-width characters are accepted.
"""

import secrets
import unicodedata
from typing import Final

ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH: Final = 10
GROUP: Final = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """The code as people read it: two groups of five."""
    return f"{code[:GROUP]}-{code[GROUP:]}" if len(code) == LENGTH else code


def normalise(text: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be one."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    compact = "".join(c for c in folded if c not in " -_－—\t\r\n")
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact
