"""Unified social credit codes (统一社会信用代码, GB 32100-2015): validation and the check character."""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


class CreditCodeError(ValueError):
    """A code is not valid: `kind` is length, alphabet or check; `params` fill the message."""

    def __init__(self, kind: str, message: str, **params):
        super().__init__(message)
        self.kind = kind
        self.params = params


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 (which must use the code alphabet)."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Strip blanks and upper-case: people paste codes with spaces and lower case."""
    return "".join((code or "").split()).upper()


def validate(code: str) -> str:
    """Return the normalized code, or raise CreditCodeError saying what is wrong."""
    code = normalize(code)
    if len(code) != LENGTH:
        raise CreditCodeError("length", f"must be {LENGTH} characters, got {len(code)}", length=len(code))
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise CreditCodeError("alphabet", f"contains characters not allowed in a credit code: {''.join(bad)}",
                              chars="".join(bad))
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError("check", f"check character is {code[17]}, expected {expected}",
                              found=code[17], expected=expected)
    return code


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except CreditCodeError:
        return False
    return True


def complete(first17: str) -> str:
    """Append the check character to a 17-character prefix (used by demo data and tests)."""
    first17 = normalize(first17)
    if len(first17) != LENGTH - 1 or any(ch not in ALPHABET for ch in first17):
        raise CreditCodeError("prefix", "prefix must be 17 characters from the code alphabet")
    return first17 + check_character(first17)
