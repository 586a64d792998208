"""Facts about every DEX file of ``../shared/dex-corpus``, read off the files by hand.

Nothing here comes from running :mod:`evadts`: every value was read from the file (``cat -A``,
``sed -n``) with the EVA-DTS 6.2 standard (summarised in docs/dex-format.md) in hand; the comment
beside each entry gives the lines it was read from. The CRC verdicts were computed with the
independent CRC-16/ARC in ``test_corpus_facts.py`` over the lines named in ``crc`` (ST line, G85
line), and that test checks them again every run.

Conventions used in reading:

* serial = ID101 with outer spaces stripped, None when empty.
* currency = ISO alpha code from ID402/ID403 (alphabetic ID403 wins; ``1xxx`` = 1 + ISO numeric;
  a 3-digit ISO numeric ID402 is that code; otherwise a phone country code, 1/001/0001 = USD,
  39/039 = EUR; a 3-digit ISO numeric ID403 behind ID402 ``0`` is that code; ``FFFF`` = unknown).
  decimals = ID401; where the file has no ID4 at all the parser's documented default (2) applies.
* read_at = ID5 date + time, else EA3 elements 2-3; None when neither carries a date.
* prices and values are PA102 / PA202 / PA204 scaled by ID401; an empty or absent element is None.
* a read is truncated when it has ST but no SE (or SE but no ST: it lost its start); a DXS ... DXE
  read with no ST and no SE is complete-but-unverified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

D = Decimal  # short name for the table


@dataclass(frozen=True)
class Sel:
    """One selection's facts: PA101, PA102, PA201, PA202, PA203, PA204."""

    selection: str | None
    price: D | None
    vends_total: int | None
    value_total: D | None
    vends_reset: int | None
    value_reset: D | None
    index: int | None = None  # position in read.selections, used when PA101 is empty


@dataclass(frozen=True)
class ReadFacts:
    serial: str | None
    selections: int  # number of PA1 in the read
    currency: str | None
    decimals: int
    read_at: datetime | None
    crc: tuple[int, int] | None  # (line of ST, line of G85), 1-based, when the read has a G85
    crc_verified: bool | None
    crc_variant: str | None
    truncated: bool
    sels: tuple[Sel, ...] = ()

    @property
    def crc_present(self) -> bool:
        return self.crc is not None

    @property
    def usable(self) -> bool:
        return not self.truncated and self.crc_verified is not False


# Concerto (N&W, BlueRed handheld): wrapper `<000|...|>` glued before DXS on line 1 (stripped),
# trailer `<AAAA|BBBB>` after DXE (ignored). ID4*0: 0 decimals and no currency code.
# PA1*<n>*1*<name>****1 -> price 1 (0 decimals); PA2*<init count>*0*<reset count>*0*...
def _concerto(
    serial: str, read_at: datetime, crc: tuple[int, int], s2: tuple[int, int], s3: tuple[int, int]
) -> tuple[ReadFacts, ...]:
    return (
        ReadFacts(
            serial=serial,
            selections=20,
            currency=None,
            decimals=0,
            read_at=read_at,
            crc=crc,
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("2", D(1), s2[0], D(0), s2[1], D(0)),
                Sel("3", D(1), s3[0], D(0), s3[1], D(0)),
            ),
        ),
    )


# KIKKO IFE (N&W, BlueRed handheld): no ID4, no ID5; fields shifted as sent: `PA1**1*5` has an
# empty PA101, PA102 = 1, PA103 = 5 (kept where they are: "keep what is there", docs/dex-format.md,
# "Dialect quirks"), so selections are found by position (PA102 looks like the selection number
# and PA103 like the price, shifted by one, but the standard positions are what the file says);
# PA2***129*0 carries only the since-reset counters.
# G85 verifies only without the final CR LF (the KIKKO variant).
def _kikko(read_at: datetime, g85_line: int) -> tuple[ReadFacts, ...]:
    return (
        ReadFacts(
            serial="NEC01190360",  # l.3
            selections=16,  # l.16-47
            currency=None,  # no ID4
            decimals=2,
            read_at=read_at,
            crc=(2, g85_line),
            crc_verified=True,
            crc_variant="no_final_crlf",
            truncated=False,
            sels=(
                Sel(None, D("0.01"), None, None, 129, D("0.00"), index=0),  # l.16-17
                Sel(None, D("0.02"), None, None, 118, D("0.00"), index=1),  # l.18-19
                Sel(None, D("0.08"), None, None, 0, D("0.00"), index=7),  # l.30-31 PA1**8*100
            ),
        ),
    )


FACTS: dict[str, tuple[ReadFacts, ...]] = {
    # l.1 DXS, l.2 ST, l.3 ID1*000000, no ID4, l.4 ID5*180201*1156, l.18-137 60 PA1, PA2 interval
    # only (PA2***88*34800), l.138 G85*91CA, l.139 SE.
    "TMDroid__dex-parse__dex3.dex": (
        ReadFacts(
            serial="000000",
            selections=60,
            currency=None,
            decimals=2,
            read_at=datetime(2018, 2, 1, 11, 56),
            crc=(2, 138),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("111", D("3.00"), None, None, 88, D("348.00")),  # l.18-19
                Sel("121", D("4.00"), None, None, 124, D("493.50")),  # l.20-21
            ),
        ),
    ),
    # Synthetic (generated by to-dex.js): l.3 ID1*000000, l.4-63 60 × PA1 with empty PA101 and no
    # PA2, l.64 G85*8b3f does not verify under any variant.
    "TMDroid__dex-parse__somefilename.txt": (
        ReadFacts(
            serial="000000",
            selections=60,
            currency=None,
            decimals=2,
            read_at=None,
            crc=(2, 64),
            crc_verified=False,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel(None, D("3.00"), None, None, None, None, index=0),  # l.4 PA1**300
                Sel(None, D("2.50"), None, None, None, None, index=59),  # l.63 PA1**250
            ),
        ),
    ),
    # CRLF. l.3 ID1*100077238, l.4 ID4*2*1840*USD, l.5 ID5*20231210*2310, 38 PA1, l.403 G85*ea62.
    "WillyPestana__nayax-vendsys-dex-console__dex-machine-a.txt": (
        ReadFacts(
            serial="100077238",
            selections=38,
            currency="USD",
            decimals=2,
            read_at=datetime(2023, 12, 10, 23, 10),
            crc=(2, 403),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("101", D("3.25"), 4, D("13.00"), 0, D("0.00")),  # l.42-43
                Sel("305", D("1.25"), 11, D("13.75"), 1, D("1.25")),  # l.132-133
            ),
        ),
    ),
    # CRLF. l.3 ID1*302029479, l.4 ID4*2*840*USD, l.5 ID5*20231210*2311, 35 PA1, l.475 G85*4b7d.
    "WillyPestana__nayax-vendsys-dex-console__dex-machine-b.txt": (
        ReadFacts(
            serial="302029479",
            selections=35,
            currency="USD",
            decimals=2,
            read_at=datetime(2023, 12, 10, 23, 11),
            crc=(2, 475),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("101", D("3.25"), 75, D("239.25"), 75, D("239.25")),  # l.31-32
                Sel("103", D("2.25"), 93, D("194.25"), 93, D("194.25")),  # l.40-41
            ),
        ),
    ),
    # Reconstructed from a PHP string (not byte-exact): l.108 G85*13AB does not verify.
    # l.3 ID1*IDS0110000146, l.4 ID4*2*036*AUD, no ID5, l.107 EA3**160716*144701, 39 PA1.
    "abhiFSD__SJM2__Lambda2.php.embedded.dex": (
        ReadFacts(
            serial="IDS0110000146",
            selections=39,
            currency="AUD",
            decimals=2,
            read_at=datetime(2016, 7, 16, 14, 47, 1),
            crc=(2, 108),
            crc_verified=False,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel("10", D("10.00"), 128, D("1280.00"), 0, D("0.00")),  # l.18-19
                Sel("14", D("5.00"), 48, D("240.00"), 1, D("5.00")),  # l.26-27
            ),
        ),
    ),
    # DXS (l.1) ... DXE (l.162) with no ST, SE or G85: complete but unverified. l.2 ID1*FAG11743,
    # l.5 ID4*2*0*978 (ISO numeric in ID403 -> EUR), l.34 EA3*17*201217*0914, 10 PA1 (l.37-56).
    # l.164 `XX1*...` after DXE is a trailer.
    "corryws__EVADTS-Reader__audit_1.txt": (
        ReadFacts(
            serial="FAG11743",
            selections=10,
            currency="EUR",
            decimals=2,
            read_at=datetime(2020, 12, 17, 9, 14),
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel("02", D("0.50"), 0, D("0.00"), 84, D("42.00")),  # l.39-40
                Sel("03", D("0.60"), 0, D("0.00"), 78, D("46.80")),  # l.41-42
            ),
        ),
    ),
    # LF, no final LF. l.3 ID1*TW20185083, l.4 ID4*2*0001*5 (phone 1 -> USD), l.5 ID5*250709*2000,
    # 43 PA1, l.212 G85*7418.
    "jeremybrice__cvd__AMS_39_VCF.txt": (
        ReadFacts(
            serial="TW20185083",
            selections=43,
            currency="USD",
            decimals=2,
            read_at=datetime(2025, 7, 9, 20, 0),
            crc=(2, 212),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("10", D("1.25"), 1634, D("1732.60"), 0, D("0.00")),  # l.26-27
                Sel("14", D("1.25"), 1372, D("1459.75"), 2, D("2.50")),  # l.34-35
            ),
        ),
    ),
    # Same as AMS_39_VCF.txt plus a final LF.
    "jeremybrice__cvd__AMS_39_VCF_.txt": (
        ReadFacts(
            serial="TW20185083",
            selections=43,
            currency="USD",
            decimals=2,
            read_at=datetime(2025, 7, 9, 20, 0),
            crc=(2, 212),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("10", D("1.25"), 1634, D("1732.60"), 0, D("0.00")),  # l.26-27
                Sel("14", D("1.25"), 1372, D("1459.75"), 2, D("2.50")),  # l.34-35
            ),
        ),
    ),
    # l.3 ID1*TX09200905, l.4 ID4*2*0001*5 -> USD, l.5 ID5*250709*1831, 39 PA1, l.198 G85*9590.
    "jeremybrice__cvd__AMS_Sensit_III.txt": (
        ReadFacts(
            serial="TX09200905",
            selections=39,
            currency="USD",
            decimals=2,
            read_at=datetime(2025, 7, 9, 18, 31),
            crc=(2, 198),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("10", D("4.00"), 942, D("3465.20"), 0, D("0.00")),  # l.28-29
                Sel("12", D("4.25"), 471, D("1554.25"), 0, D("0.00")),  # l.32-33
            ),
        ),
    ),
    # l.3 ID1*301021333, l.4 ID4*2*840*USD, l.5 ID5*20250709*1508, 48 PA1, l.543 G85*460a.
    "jeremybrice__cvd__Crane_National_187.txt": (
        ReadFacts(
            serial="301021333",
            selections=48,
            currency="USD",
            decimals=2,
            read_at=datetime(2025, 7, 9, 15, 8),
            crc=(2, 543),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("101", D("1.25"), 1049, D("1206.55"), 1049, D("1206.55")),  # l.34-35
                Sel("103", D("1.25"), 1090, D("1242.35"), 1090, D("1242.35")),  # l.43-44
            ),
        ),
    ),
    # l.3 ID1***9985 (empty serial), l.4 ID4*2*1 -> USD, no ID5, l.5 EA3**370710*0543 (clock in
    # 2037), 9 PA1 (l.13-39), l.94 G85*5263.
    "jeremybrice__cvd__Dixie_Narco_501E.txt": (
        ReadFacts(
            serial=None,
            selections=9,
            currency="USD",
            decimals=2,
            read_at=datetime(2037, 7, 10, 5, 43),
            crc=(2, 94),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("1", D("1.50"), 23154, D("12161.10"), 23154, D("12161.10")),  # l.13-14
                Sel("5", D("1.75"), 9252, D("4800.65"), 9252, D("4800.65")),  # l.25-26
            ),
        ),
    ),
    # l.3 ID1*DIX, l.4 ID4*2*0001*5 -> USD, l.5 ID5*070607*1013, 45 PA1, l.249 G85*75B2.
    "jeremybrice__cvd__Dixie_Narco_5800.txt": (
        ReadFacts(
            serial="DIX",
            selections=45,
            currency="USD",
            decimals=2,
            read_at=datetime(2007, 6, 7, 10, 13),
            crc=(2, 249),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("A1", D("1.75"), 1131, D("1797.25"), 0, D("0.00")),  # l.23-24
                Sel("A2", D("1.75"), 567, D("899.00"), 0, D("0.00")),  # l.25-26
            ),
        ),
    ),
    # l.3 ID1*0799139808, l.4 ID4*2*1*5 -> USD, no ID5, l.41 EA3*32902 (no date), 9 PA1 (l.20-37),
    # l.74 G85*FD74.
    "jeremybrice__cvd__Royal_660.txt": (
        ReadFacts(
            serial="0799139808",
            selections=9,
            currency="USD",
            decimals=2,
            read_at=None,
            crc=(2, 74),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("1", D("1.00"), 28770, D("23700.30"), 28768, D("23699.80")),  # l.20-21
                Sel("12", D("2.00"), 8915, D("13307.50"), 8913, D("13307.00")),  # l.36-37
            ),
        ),
    ),
    # l.3 ID1*D0451879, l.4 ID4*2*001*5 -> USD, no ID5, l.37 EA3*11314 (no date), 8 PA1 (l.18-33),
    # l.62 G85*7D23.
    "jeremybrice__cvd__Vendo_721.txt": (
        ReadFacts(
            serial="D0451879",
            selections=8,
            currency="USD",
            decimals=2,
            read_at=None,
            crc=(2, 62),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("1", D("1.50"), 5851, D("6571.00"), 8, D("12.00")),  # l.18-19
                Sel("7", D("2.00"), 1989, D("4115.50"), 3, D("6.00")),  # l.30-31
            ),
        ),
    ),
    # Five reads concatenated (each starts at a DXS):
    #  1. l.1-81 = Test-8.dex: complete, G85 l.79 verifies.
    #  2. l.82-91: DXS, ST, ID1..CA2*0*0* then the next DXS: ST without SE -> truncated, no PA1.
    #  3. l.92-112 = Test-6.dex: l.100 `CA1*MAPA2*0*...` is CA1 glued to a PA2 whose PA1 was lost
    #     (the orphan PA2 makes no selection); PA1 036/037/038 (l.103/107/111); l.112 `PA2*1*100*`
    #     cut off; no SE -> truncated.
    #  4. l.113-280 = Test-5.dex: ID4*2*FFFF*1 (unknown currency), 29 PA1, G85 l.278 fails.
    #  5. l.281-361 = Test-3.dex: complete, G85 l.359 verifies.
    "lanmark7__dex-utility__Combined.dex": (
        ReadFacts(
            serial="WTN11120310057",  # l.3
            selections=3,
            currency="USD",  # l.4 ID4*2*001*1
            decimals=2,
            read_at=datetime(2024, 10, 22, 22, 30),  # l.37 EA3*0*241022*2230
            crc=(2, 79),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("010", D("0.75"), 0, D("0.00"), 0, D("0.00")),  # l.20-21
                Sel("012", D("0.75"), 3, D("2.25"), 3, D("2.25")),  # l.26-27
            ),
        ),
        ReadFacts(
            serial="WTN11240080108",  # l.84
            selections=0,
            currency="USD",  # l.85 ID4*2*001*5
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
        ReadFacts(
            serial="WTN12230750001",  # l.94
            selections=3,
            currency="USD",  # l.95 ID4*2*001*1
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
            sels=(
                Sel("036", D("1.00"), 0, D("0.00"), 0, D("0.00")),  # l.103-104
                Sel("038", D("1.00"), 1, D("1.00"), None, None),  # l.111-112 (cut off)
            ),
        ),
        ReadFacts(
            serial="WTN12230750001",  # l.115
            selections=29,  # l.138-251
            currency=None,  # l.116 ID4*2*FFFF*1
            decimals=2,
            read_at=datetime(2004, 7, 13, 14, 26),  # l.257 EA3*0*040713*1426
            crc=(114, 278),
            crc_verified=False,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel("010", D("1.00"), 0, D("0.00"), 0, D("0.00")),  # l.138-139
                Sel("023", D("1.00"), 1, D("1.00"), 1, D("1.00")),  # l.170-171
                Sel("040", D("1.00"), 1, D("1.00"), 1, D("1.00")),  # l.218-219
            ),
        ),
        ReadFacts(
            serial="WTN11120310057",  # l.283
            selections=3,
            currency="USD",  # l.284 ID4*2*001*1
            decimals=2,
            read_at=datetime(2024, 10, 22, 3, 48),  # l.317 EA3*0*241022*0348
            crc=(282, 359),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("010", D("0.75"), 0, D("0.00"), 0, D("0.00")),  # l.300-301
                Sel("012", D("0.75"), 3, D("2.25"), 3, D("2.25")),  # l.306-307
            ),
        ),
    ),
    # = Combined.dex l.281-361.
    "lanmark7__dex-utility__Test-3.dex": (
        ReadFacts(
            serial="WTN11120310057",  # l.3
            selections=3,
            currency="USD",  # l.4 ID4*2*001*1
            decimals=2,
            read_at=datetime(2024, 10, 22, 3, 48),  # l.37
            crc=(2, 79),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("010", D("0.75"), 0, D("0.00"), 0, D("0.00")),  # l.20-21
                Sel("012", D("0.75"), 3, D("2.25"), 3, D("2.25")),  # l.26-27
            ),
        ),
    ),
    # = Combined.dex l.113-280: ID4*2*FFFF*1, 29 PA1, G85*B4C5 (l.166) does not verify.
    "lanmark7__dex-utility__Test-5.dex": (
        ReadFacts(
            serial="WTN12230750001",  # l.3
            selections=29,  # l.26-139
            currency=None,  # l.4 FFFF
            decimals=2,
            read_at=datetime(2004, 7, 13, 14, 26),  # l.145
            crc=(2, 166),
            crc_verified=False,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel("010", D("1.00"), 0, D("0.00"), 0, D("0.00")),  # l.26-27
                Sel("023", D("1.00"), 1, D("1.00"), 1, D("1.00")),  # l.58-59
                Sel("038", D("1.00"), 1, D("1.00"), 1, D("1.00")),  # l.102-103
            ),
        ),
    ),
    # = Combined.dex l.92-112: glued l.9 `CA1*MAPA2*...` (orphan PA2, no selection), PA1 at
    # l.12/16/20, cut off at l.21 `PA2*1*100*` (no final LF), no SE -> truncated.
    "lanmark7__dex-utility__Test-6.dex": (
        ReadFacts(
            serial="WTN12230750001",  # l.3
            selections=3,
            currency="USD",  # l.4 ID4*2*001*1
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
            sels=(
                Sel("036", D("1.00"), 0, D("0.00"), 0, D("0.00")),  # l.12-13
                Sel("037", D("1.00"), 0, D("0.00"), 0, D("0.00")),  # l.16-17
                Sel("038", D("1.00"), 1, D("1.00"), None, None),  # l.20-21
            ),
        ),
    ),
    # = Combined.dex l.82-91: cut off at l.10 `CA2*0*0*`, no PA1, no SE -> truncated.
    "lanmark7__dex-utility__Test-7.dex": (
        ReadFacts(
            serial="WTN11240080108",  # l.3
            selections=0,
            currency="USD",  # l.4 ID4*2*001*5
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
    ),
    # = Combined.dex l.1-81 without the final LF.
    "lanmark7__dex-utility__Test-8.dex": (
        ReadFacts(
            serial="WTN11120310057",  # l.3
            selections=3,
            currency="USD",  # l.4
            decimals=2,
            read_at=datetime(2024, 10, 22, 22, 30),  # l.37
            crc=(2, 79),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("010", D("0.75"), 0, D("0.00"), 0, D("0.00")),  # l.20-21
                Sel("012", D("0.75"), 3, D("2.25"), 3, D("2.25")),  # l.26-27
                Sel("020", D("0.75"), 0, D("0.00"), 0, D("0.00")),  # l.31-32
            ),
        ),
    ),
    # LF copy of mdisibio test.dex (no final LF): l.3 ID1****** (no serial), l.4 ID4*0*039*050
    # (0 decimals; ID402 039 = phone code of Italy -> EUR), l.45 EA3*23******* (no date),
    # 10 PA1 (l.23-41), l.58 G85*E8BC verifies once lines are re-joined by CR LF.
    "lanmark7__dex-utility__Test1.dex": (
        ReadFacts(
            serial=None,
            selections=10,
            currency="EUR",
            decimals=0,
            read_at=None,
            crc=(2, 58),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("1", D(500), 0, D(0), 0, D(0)),  # l.23-24
                Sel("10", D(500), 0, D(0), 0, D(0)),  # l.41-42
            ),
        ),
    ),
    # LF copy of mdisibio test2.dex: l.1-10 slot list before DXS (l.12), ST l.13, SE l.90, no G85.
    # l.14 ID1*WTN11082110074, l.15 ID4*2*001*5 -> USD, no ID5/EA3, 10 PA1 (l.35-85).
    "lanmark7__dex-utility__Test2.dex": (
        ReadFacts(
            serial="WTN11082110074",
            selections=10,
            currency="USD",
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel("010", D("0.50"), 6, D("3.50"), 6, D("3.50")),  # l.35-36
                Sel("011", D("0.50"), 40, D("20.50"), 40, D("20.50")),  # l.41-42
                Sel("019", D("0.50"), 67, D("34.00"), 67, D("34.00")),  # l.85-86
            ),
        ),
    ),
    # CRLF; same facts as Test1.dex.
    "mdisibio__dex-parse__test.dex": (
        ReadFacts(
            serial=None,
            selections=10,
            currency="EUR",
            decimals=0,
            read_at=None,
            crc=(2, 58),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("1", D(500), 0, D(0), 0, D(0)),  # l.23-24
                Sel("10", D(500), 0, D(0), 0, D(0)),  # l.41-42
            ),
        ),
    ),
    # CRLF; same facts as Test2.dex.
    "mdisibio__dex-parse__test2.dex": (
        ReadFacts(
            serial="WTN11082110074",
            selections=10,
            currency="USD",
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=False,
            sels=(
                Sel("010", D("0.50"), 6, D("3.50"), 6, D("3.50")),  # l.35-36
                Sel("011", D("0.50"), 40, D("20.50"), 40, D("20.50")),  # l.41-42
                Sel("019", D("0.50"), 67, D("34.00"), 67, D("34.00")),  # l.85-86
            ),
        ),
    ),
    # l.4 ID1*ANIKraftver, l.5 ID4*2*1978*EUR, l.6 ID5*20100119*230111, 24 PA1, PA2 has 3 elements
    # (no PA204), l.117 G85*B9AE.
    "mkrasselt1__php-evadts-parser__animo.eva_dts": (
        ReadFacts(
            serial="ANIKraftver",
            selections=24,
            currency="EUR",
            decimals=2,
            read_at=datetime(2010, 1, 19, 23, 1, 11),
            crc=(2, 117),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("0", D("1.00"), 412, D("412.00"), 2655, None),  # l.10-11
                Sel("1", D("1.00"), 81, D("81.00"), 282, None),  # l.14-15
            ),
        ),
    ),
    # Ends after l.115 PA2*0*0*0: ST without SE or G85 -> truncated. l.4 ID1*ANIIMM 2WG3,
    # l.5 ID4*2*1978*EUR, l.6 ID5*20240205*113305, 27 PA1.
    "mkrasselt1__php-evadts-parser__animo2.eva_dts": (
        ReadFacts(
            serial="ANIIMM 2WG3",
            selections=27,
            currency="EUR",
            decimals=2,
            read_at=datetime(2024, 2, 5, 11, 33, 5),
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
            sels=(
                Sel("1", D("0.20"), 98, D("6.40"), 98, None),  # l.10-11
                Sel("2", D("0.40"), 12, D("0.80"), 12, None),  # l.14-15
            ),
        ),
    ),
    # l.3 ID1*RHV0000000000, l.4 ID4*2 (no currency code), l.5 ID5*231127*1011, 18 PA1,
    # l.369 G85*F4D0.
    "mkrasselt1__php-evadts-parser__rhevendors.eva_dts": (
        ReadFacts(
            serial="RHV0000000000",
            selections=18,
            currency=None,
            decimals=2,
            read_at=datetime(2023, 11, 27, 10, 11),
            crc=(2, 369),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("1", D("0.50"), 602, D("297.90"), 600, D("297.90")),  # l.56-57
                Sel("2", D("0.60"), 1176, D("704.40"), 1175, D("704.40")),  # l.69-70
            ),
        ),
    ),
    # l.1 MC5 line before DXS (l.2), ST l.3, file ends at l.55 (MA5, no final LF) with no SE ->
    # truncated. l.4 ID1*SIE90517939, l.9 ID4*2*1978*EUR, l.11 ID5*20230821*175347, no PA1.
    "mkrasselt1__php-evadts-parser__sielaff.eva_dts": (
        ReadFacts(
            serial="SIE90517939",
            selections=0,
            currency="EUR",
            decimals=2,
            read_at=datetime(2023, 8, 21, 17, 53, 47),
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
    ),
    # Synthetic malformed. Read 1: DXS l.1, ST l.2 ... l.6 `EADXS*...` is `EA` glued to a DXS,
    # which starts read 2; read 1 has ST and no SE -> truncated. Read 2: DXS (l.6) then SE (l.7)
    # with no ST and no DXE: a fragment that lost its start (ST..SE is the transaction set), so
    # truncated too (not the DXS ... DXE-without-ST/SE case). No G85, no ID1/ID4/PA1.
    "mkrasselt1__php-evadts-parser__temp_test.eva": (
        ReadFacts(
            serial=None,
            selections=0,
            currency=None,
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
        ReadFacts(
            serial=None,
            selections=0,
            currency=None,
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
    ),
    # Synthetic malformed, same shape as temp_test.eva: read 1 = l.1-11 (ID1*SIE9999999 on l.3,
    # no ID4; l.5 `VA1*978*EUR*2` is not an ID4), truncated; read 2 = glued DXS on l.11 + SE l.12,
    # no ST, no DXE: truncated (see temp_test.eva).
    "mkrasselt1__php-evadts-parser__test_unknown_blocks.eva": (
        ReadFacts(
            serial="SIE9999999",
            selections=0,
            currency=None,
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
        ReadFacts(
            serial=None,
            selections=0,
            currency=None,
            decimals=2,
            read_at=None,
            crc=None,
            crc_verified=None,
            crc_variant=None,
            truncated=True,
        ),
    ),
    # l.3 ID1*JOF, l.5 ID4*2*1978 -> EUR, l.6 ID5*20240415*150421, 36 PA1, l.144 G85*F66D.
    "reneaaron__eva-dts-parser__sample.txt": (
        ReadFacts(
            serial="JOF",
            selections=36,
            currency="EUR",
            decimals=2,
            read_at=datetime(2024, 4, 15, 15, 4, 21),
            crc=(2, 144),
            crc_verified=True,
            crc_variant="standard",
            truncated=False,
            sels=(
                Sel("10", D("7.50"), 4, D("30.00"), 4, D("30.00")),  # l.36-37
                Sel("11", D("7.50"), 4, D("30.00"), 3, D("22.50")),  # l.41-42
                Sel("12", D("3.80"), 23, D("87.40"), 23, D("87.40")),  # l.45-46
            ),
        ),
    ),
    # l.3 ID1*NEC01190392, l.5 ID5*191206*093715, PA1 2/3 at l.83/87, G85*e03b l.243.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc54601_20191206094813.daa": _concerto(
        "NEC01190392", datetime(2019, 12, 6, 9, 37, 15), (2, 243), (70, 9), (46, 5)
    ),
    # l.3 ID1*NEC01190369, l.5 ID5*191228*213342, PA1 2/3 at l.65/69, G85*93e6 l.225.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc54601_20191230140739(1).daa": _concerto(
        "NEC01190369", datetime(2019, 12, 28, 21, 33, 42), (2, 225), (329, 34), (545, 68)
    ),
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc54601_20191230140739.daa": _concerto(
        "NEC01190369", datetime(2019, 12, 28, 21, 33, 42), (2, 225), (329, 34), (545, 68)
    ),
    # KIKKO: l.48 EA3*70*191230*144906 (no ID5), G85*90b8 l.49.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc54601_20191230144918.daa": _kikko(
        datetime(2019, 12, 30, 14, 49, 6), 49
    ),
    # KIKKO: l.48 EA3*71*191230*145009, G85*1e1b l.49.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc54601_20191230145020.daa": _kikko(
        datetime(2019, 12, 30, 14, 50, 9), 49
    ),
    # l.3 ID1*NEC01190468, l.5 ID5*191128*043436, PA1 2/3 at l.53/57, G85*ebd7 l.213.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc5461c_20191203114505.daa": _concerto(
        "NEC01190468", datetime(2019, 11, 28, 4, 34, 36), (2, 213), (404, 13), (693, 6)
    ),
    # l.3 ID1*NEC01190469, l.5 ID5*191203*121410, PA1 2/3 at l.83/87, G85*0fb0 l.243.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc5461c_20191203122036.daa": _concerto(
        "NEC01190469", datetime(2019, 12, 3, 12, 14, 10), (2, 243), (1093, 7), (824, 19)
    ),
    # l.3 ID1*NEC01190470, l.5 ID5*191203*093349, PA1 2/3 at l.83/87, G85*325b l.243.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc5461c_20191203124334.daa": _concerto(
        "NEC01190470", datetime(2019, 12, 3, 9, 33, 49), (2, 243), (526, 11), (432, 3)
    ),
    # l.3 ID1*NEC01190475, l.5 ID5*191203*155223, PA1 2/3 at l.61/65, G85*5796 l.221.
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc5461c_20191203155644(1).daa": _concerto(
        "NEC01190475", datetime(2019, 12, 3, 15, 52, 23), (2, 221), (368, 3), (549, 13)
    ),
    "thiopcb__evadts-csv-export___N_W_BlueRed_Pc5461c_20191203155644.daa": _concerto(
        "NEC01190475", datetime(2019, 12, 3, 15, 52, 23), (2, 221), (368, 3), (549, 13)
    ),
}
