"""Numbers and scalars written as JavaScript writes them, so that messages read the same from both validators."""

from __future__ import annotations

import json


def json_text(value: object) -> str:
    """A scalar as JavaScript's JSON.stringify writes it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return js_number(value)  # type: ignore[arg-type]
    return json.dumps(value, ensure_ascii=False)


def js_number(value: float) -> str:
    """A number as JavaScript's String(number) writes it (ECMAScript Number::toString), from Python's shortest repr."""
    if value == 0:
        return "0"
    if isinstance(value, int) and abs(value) < 10 ** 21:
        return str(value)
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(float(value))).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") or "0"
    # The position of the decimal point relative to the first significant digit (ECMAScript's n).
    point = len(whole.lstrip("0")) if whole.lstrip("0") else -(len(fraction) - len(fraction.lstrip("0")))
    point += int(exponent or 0)
    count = len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    shown = digits[0] + ("." + digits[1:] if count > 1 else "")
    power = point - 1
    return f"{sign}{shown}e{'+' if power > 0 else '-'}{abs(power)}"
