"""Hand-made DEX text for tests, sealed with a CRC computed here, independently of evadts."""

from __future__ import annotations


def crc16_arc(data: bytes) -> int:
    """Bitwise CRC-16/ARC, straight from its definition (reflected 0xA001, init 0, no xorout)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def seal(
    body: list[str],
    *,
    eol: str = "\r\n",
    lower: bool = False,
    swap: bool = False,
    dxs: str = "DXS*TEST000001*VA*V1/1*1",
) -> bytes:
    """Wrap ``body`` (ST ... last segment before G85) into DXS ... DXE with G85 and a right SE."""
    crc = crc16_arc(("\r\n".join(body) + "\r\n").encode("latin-1"))
    if swap:
        crc = ((crc & 0xFF) << 8) | (crc >> 8)
    g85 = f"{crc:04x}" if lower else f"{crc:04X}"
    lines = [dxs, *body, f"G85*{g85}", f"SE*{len(body) + 2}*0001", "DXE*1*1"]
    return (eol.join(lines) + eol).encode("latin-1")


# A small read whose every value is written out by hand below it.
BODY = [
    "ST*001*0001",
    "ID1*SN12345**V6*Lobby 3*OP1*ASSET-77",
    "ID4*2*1840",
    "ID5*20260310*143015",
    "CB1*CB998*MDB-X*4.2",
    "VA1*12345*250*1500*30",
    "VA2*300*2*0*0",
    "CA2*5000*100*500*10",
    "DA2*7345*150*1000*20",
    "PA1*10*125*P-COLA*12*10**0*4*1",
    "PA2*100*12500*12*1500",
    "PA3*2*250*0*0",
    "PA5*20260309*0815*3",
    "PA1*11*150*P-CHIPS*8",
    "PA2*150*22500*18*2700",
    "PA7*P-CHIPS*DA*1*150*40*6000*5*750",
    "EA1*EGS*20260310*1412*3",
    "EA2*EGS*4*120",
    "EA3*57*20260310*1430**20260303*0905",
    "EA4*20250101*0000",
    "EA7*1*9",
]
