"""Strings shaped like personal data: emails, phone numbers, national ids, IBANs, payment cards.

Each detector is a regular expression that finds candidates inside a text value and, where the
format carries one, a check that a candidate is real: IBANs pass their mod-97 checksum,
payment-card numbers the Luhn check with a card-network prefix, US social security numbers
the Social Security Administration's rules (no area 000, 666 or 9xx, no group 00, no serial
0000). Phone numbers are international (``+`` and a country code) or national, with
separators (``(202) 555-0143``, ``020 7946 0958``) or as a trunk-prefixed run of 10-11 digits
(``07700900123``); a bare run of digits without a leading 0 is not taken for a phone number,
since codes and amounts look like that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_valid(number: str) -> bool:
    """Whether a digit string passes the Luhn checksum that payment-card numbers carry."""
    total = 0
    for position, digit in enumerate(int(character) for character in reversed(number)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """Whether a string (spaces allowed) is an IBAN whose mod-97 checksum holds."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(character, 36)) for character in rearranged)) % 97 == 1


def _card_number(candidate: str) -> bool:
    digits = _digits(candidate)
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


def _social_security_number(candidate: str) -> bool:
    digits = _digits(candidate)
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _phone_number(candidate: str) -> bool:
    return 8 <= len(_digits(candidate)) <= 15


@dataclass(frozen=True)
class PiiDetector:
    """What a finding is called, where candidates are, and the check a candidate must pass."""

    label: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] = lambda candidate: True

    def matches(self, text: str) -> bool:
        return any(self.check(found.group(0)) for found in self.pattern.finditer(text))


PII_DETECTORS: tuple[PiiDetector, ...] = (
    PiiDetector(
        "an email address", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
    ),
    PiiDetector(
        "a payment-card number", re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])"), _card_number
    ),
    PiiDetector("an IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"), iban_valid),
    PiiDetector(
        "a US social security number",
        re.compile(r"(?<![\w-])(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})(?![\w-])"),
        _social_security_number,
    ),
    PiiDetector(
        "a UK national insurance number", re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
    ),
    PiiDetector(
        "a phone number",
        re.compile(
            r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d[\d .-]{5,13}\d(?![\w-])"
            r"|(?<![\w-])(?:\(\d{2,5}\)[ .-]?|\d{2,5}[ .-])\d{3,4}[ .-]?\d{3,4}(?![\w-])"
            r"|(?<![\w-])0\d{9,10}(?![\w-])"
        ),
        _phone_number,
    ),
)
"""Every detector, most specific first: a value is reported under the first one it matches."""


def pii_label(text: str, detectors: tuple[PiiDetector, ...] = PII_DETECTORS) -> str | None:
    """The label of the first detector that finds personal data in ``text``, else ``None``."""
    return next((detector.label for detector in detectors if detector.matches(text)), None)
