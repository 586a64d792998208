"""CRC-16/ARC as G85 uses it, and the variants real devices produce.

CRC-16/ARC: reflected polynomial 0xA001 (0x8005), initial value 0, no final xor; ``"123456789"``
gives ``0xBB3D``. ``binascii.crc_hqx`` is CRC-16/XMODEM, a different CRC, and is wrong here.
"""

from __future__ import annotations

import anycrc

_ARC = anycrc.Model("CRC16-ARC")


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC of ``data`` (anycrc's word-at-a-time C implementation)."""
    return _ARC.calc(data)


# The known ways a device computes or writes G85, in the order they are tried.
VARIANT_STANDARD = "standard"
VARIANT_BYTE_SWAPPED = "byte_swapped"  # pre-6.0 devices write the two bytes the other way round
VARIANT_NO_FINAL_CRLF = "no_final_crlf"  # one KIKKO make leaves the last CR LF out
VARIANT_NO_FINAL_CRLF_SWAPPED = "no_final_crlf_byte_swapped"


def format_crc(value: int) -> str:
    """Four upper-case hex digits, most significant first, as G85 is written."""
    return f"{value:04X}"


def swap_bytes(value: int) -> int:
    """The 16-bit value with its two bytes exchanged."""
    return ((value & 0xFF) << 8) | (value >> 8)


def match_variant(covered: bytes, expected: int) -> tuple[int, str | None]:
    """Check ``expected`` against the CRC of ``covered`` (ST up to and including the CR LF before
    G85). Returns the standard CRC and the name of the variant that matched, or None."""
    crc = crc16_arc(covered)
    if crc == expected:
        return crc, VARIANT_STANDARD
    if swap_bytes(crc) == expected:
        return crc, VARIANT_BYTE_SWAPPED
    if covered.endswith(b"\r\n"):
        short = crc16_arc(covered[:-2])
        if short == expected:
            return crc, VARIANT_NO_FINAL_CRLF
        if swap_bytes(short) == expected:
            return crc, VARIANT_NO_FINAL_CRLF_SWAPPED
    return crc, None
