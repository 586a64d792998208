"""ID4 currency codes as devices send them: ISO alpha, ISO numeric, or phone country code."""

from __future__ import annotations

from evadts.model import CurrencyStyle

# ISO 4217 numeric to alpha, for the currencies vending operators report in.
ISO_NUMERIC: dict[str, str] = {
    "036": "AUD",
    "124": "CAD",
    "156": "CNY",
    "203": "CZK",
    "208": "DKK",
    "344": "HKD",
    "348": "HUF",
    "356": "INR",
    "376": "ILS",
    "392": "JPY",
    "410": "KRW",
    "458": "MYR",
    "484": "MXN",
    "554": "NZD",
    "578": "NOK",
    "643": "RUB",
    "682": "SAR",
    "702": "SGD",
    "710": "ZAR",
    "752": "SEK",
    "756": "CHF",
    "764": "THB",
    "784": "AED",
    "826": "GBP",
    "840": "USD",
    "949": "TRY",
    "978": "EUR",
    "985": "PLN",
    "986": "BRL",
    "941": "RSD",
    "946": "RON",
    "975": "BGN",
    "980": "UAH",
    "360": "IDR",
    "608": "PHP",
    "704": "VND",
}

# Old devices send the telephone country code of the currency's country (``0001`` = USA).
PHONE_CODE: dict[int, str] = {
    1: "USD",
    7: "RUB",
    27: "ZAR",
    30: "EUR",
    31: "EUR",
    32: "EUR",
    33: "EUR",
    34: "EUR",
    36: "HUF",
    39: "EUR",
    40: "RON",
    41: "CHF",
    43: "EUR",
    44: "GBP",
    45: "DKK",
    46: "SEK",
    47: "NOK",
    48: "PLN",
    49: "EUR",
    52: "MXN",
    55: "BRL",
    60: "MYR",
    61: "AUD",
    62: "IDR",
    63: "PHP",
    64: "NZD",
    65: "SGD",
    66: "THB",
    81: "JPY",
    82: "KRW",
    84: "VND",
    86: "CNY",
    90: "TRY",
    91: "INR",
    351: "EUR",
    353: "EUR",
    358: "EUR",
    420: "CZK",
    852: "HKD",
    966: "SAR",
    971: "AED",
    972: "ILS",
}


def resolve(numeric: str | None, alpha: str | None) -> tuple[str | None, CurrencyStyle | None]:
    """The ISO alpha code and the style it was read from, or (None, None) if unknown.

    ID403 alphabetic wins; a 4-digit ID402 starting with 1 is ``1`` + ISO numeric (``1840``);
    three digits are ISO numeric when such a code exists; anything else numeric is a phone code.
    """
    if alpha and len(alpha) == 3 and alpha.isalpha():
        return alpha.upper(), "alpha"
    if alpha and alpha.isdecimal() and alpha.zfill(3) in ISO_NUMERIC:
        return ISO_NUMERIC[alpha.zfill(3)], "iso_numeric"  # ID403 sent as ISO numeric
    if not numeric or not numeric.isdecimal():
        return None, None
    if len(numeric) == 4 and numeric[0] == "1" and numeric[1:] in ISO_NUMERIC:
        return ISO_NUMERIC[numeric[1:]], "iso_numeric"
    if len(numeric) == 3 and numeric in ISO_NUMERIC:
        return ISO_NUMERIC[numeric], "iso_numeric"
    code = PHONE_CODE.get(int(numeric))
    return (code, "phone") if code else (None, None)
