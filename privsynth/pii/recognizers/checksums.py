"""Checksums of identifier formats: a match that fails its checksum is not that identifier."""

from __future__ import annotations

import re


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_ok(number: str) -> bool:
    """Luhn mod-10, used by payment cards and Canadian SINs."""
    ds = digits(number)
    if len(ds) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(ds)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    """ISO 13616 mod-97: move the first four characters to the end, letters to 10..35."""
    s = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def bsn_ok(value: str) -> bool:
    """Dutch citizen service number: the weighted '11-test' (weights 9..2, then -1)."""
    ds = digits(value)
    if len(ds) != 9 or ds == "0" * 9:
        return False
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(d) * w for d, w in zip(ds, weights, strict=True)) % 11 == 0


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_ok(value: str) -> bool:
    """Spanish DNI/NIE: the letter is the number mod 23 (NIE prefix X/Y/Z counts as 0/1/2)."""
    s = re.sub(r"[\s-]", "", value).upper()
    m = re.fullmatch(r"([XYZ]?)(\d{7,8})([A-Z])", s)
    if not m:
        return False
    prefix = str("XYZ".index(m.group(1))) if m.group(1) else ""
    return _DNI_LETTERS[int(prefix + m.group(2)) % 23] == m.group(3)


def ssn_plausible(value: str) -> bool:
    """US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    ds = digits(value)
    if len(ds) != 9:
        return False
    area, group, serial = ds[:3], ds[3:5], ds[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
