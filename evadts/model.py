"""The data model of a parsed DEX/EVA-DTS file: plain dataclasses, no behaviour beyond views.

Money is :class:`~decimal.Decimal` already scaled by ID401; counts are ``int``; a field the file
does not carry is ``None`` (never 0). Times are naive ``datetime``s on the machine's own clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
CurrencyStyle = Literal["alpha", "iso_numeric", "phone", "unknown"]  # how ID4 named the currency


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong or odd in the input. ``line`` is 1-based in the file; ``element`` 1-based."""

    severity: Severity
    code: str
    line: int | None
    segment: str | None
    element: int | None
    message: str


# Problems of one code kept per list (a file's, or a read's); garbage that repeats one fault on
# every line then costs memory by the code, not by the line.
MAX_PROBLEMS_PER_CODE = 50
NOT_LISTED = "problems_not_listed"  # the code of the summary of the problems left out


class ProblemList(list[Problem]):
    """A list of problems that keeps the first :data:`MAX_PROBLEMS_PER_CODE` of each code and
    counts the rest (``not_listed``); :meth:`summarised` adds one problem per code left out."""

    __slots__ = ("_listed", "not_listed")

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        super().__init__()
        self._listed: dict[str, int] = {}
        # counts left out of a ProblemList given here stay counted
        self.not_listed: dict[str, int] = dict(getattr(problems, "not_listed", {}))
        self.extend(problems)

    def append(self, problem: Problem) -> None:
        """Keep ``problem`` unless its code is listed :data:`MAX_PROBLEMS_PER_CODE` times."""
        listed = self._listed.get(problem.code, 0)
        if listed < MAX_PROBLEMS_PER_CODE:
            self._listed[problem.code] = listed + 1
            super().append(problem)
        else:
            self.not_listed[problem.code] = self.not_listed.get(problem.code, 0) + 1

    def extend(self, problems: Iterable[Problem]) -> None:
        """Append each of ``problems``."""
        for problem in problems:
            self.append(problem)

    def summarised(self) -> ProblemList:
        """This list with one ``problems_not_listed`` problem per code that was left out, of
        the severity of the problems it stands for (so an error is never hidden); once."""
        if NOT_LISTED not in self._listed:
            self._listed[NOT_LISTED] = 0
            severity = {p.code: p.severity for p in self}
            kept = MAX_PROBLEMS_PER_CODE
            for code, count in sorted(self.not_listed.items()):
                message = f"{count} more {code} problems not listed (the first {kept} are)"
                super().append(Problem(severity[code], NOT_LISTED, None, None, None, message))
        return self


@dataclass(frozen=True, slots=True)
class Segment:
    """One raw segment exactly as received (after glue repair), with its 1-based line number."""

    line: int
    id: str
    elements: tuple[str, ...]

    def element(self, index: int) -> str | None:
        """The 1-based element ``index``, or None when the segment is shorter."""
        return self.elements[index - 1] if 0 < index <= len(self.elements) else None


@dataclass(slots=True)
class Machine:
    """Who sent the read: ID1 (vending machine) and CB1 (control board)."""

    serial: str | None = None
    model: str | None = None
    build_standard: str | None = None
    location: str | None = None
    user: str | None = None
    asset_number: str | None = None
    control_board_serial: str | None = None
    control_board_model: str | None = None
    control_board_software: str | None = None
    communication_id: str | None = None  # DXS01: the sender's communication id


@dataclass(slots=True)
class Currency:
    """ID4: decimal places for money, and the currency in whichever style the device used."""

    decimals: int = 2
    code: str | None = None  # ISO 4217 alpha code when it can be known
    numeric: str | None = None  # ID402 as sent
    style: CurrencyStyle | None = None


@dataclass(slots=True)
class CounterSet:
    """Value and count pairs since initialisation and since last reset (VA1, CA2, DA2, PA3, ...)."""

    value_init: Decimal | None = None
    count_init: int | None = None
    value_reset: Decimal | None = None
    count_reset: int | None = None


@dataclass(slots=True)
class Totals:
    """Machine-level sales totals."""

    paid: CounterSet = field(default_factory=CounterSet)  # VA1
    test: CounterSet = field(default_factory=CounterSet)  # VA2
    free: CounterSet = field(default_factory=CounterSet)  # VA3
    cash: CounterSet = field(default_factory=CounterSet)  # CA2
    cashless1: CounterSet = field(default_factory=CounterSet)  # DA2
    cashless2: CounterSet = field(default_factory=CounterSet)  # DB2
    discounts_init: Decimal | None = None  # VA105
    discounts_reset: Decimal | None = None  # VA107
    surcharges_init: Decimal | None = None  # VA109
    surcharges_reset: Decimal | None = None  # VA111


@dataclass(slots=True)
class CoinTube:
    """CA17: one coin tube."""

    tube: str | None = None
    coin_value: Decimal | None = None
    coins: int | None = None
    manually_filled: int | None = None
    manually_dispensed: int | None = None
    full: bool | None = None


@dataclass(slots=True)
class Cash:
    """Cash accountability detail (CA3, CA4, CA10, CA15, CA17), present only where sent."""

    cash_in_reset: Decimal | None = None  # CA301
    to_cashbox_reset: Decimal | None = None  # CA302
    to_tubes_reset: Decimal | None = None  # CA303
    bills_in_reset: Decimal | None = None  # CA304
    cash_in_init: Decimal | None = None  # CA305
    to_cashbox_init: Decimal | None = None  # CA306
    to_tubes_init: Decimal | None = None  # CA307
    bills_in_init: Decimal | None = None  # CA308
    dispensed_reset: Decimal | None = None  # CA401
    manually_dispensed_reset: Decimal | None = None  # CA402
    dispensed_init: Decimal | None = None  # CA403
    manually_dispensed_init: Decimal | None = None  # CA404
    filled_reset: Decimal | None = None  # CA1001
    filled_init: Decimal | None = None  # CA1002
    tube_contents: Decimal | None = None  # CA1501
    tubes: list[CoinTube] = field(default_factory=list)  # CA17


@dataclass(slots=True)
class PriceListSales:
    """PA7: sales of one selection through one payment device and price list."""

    product: str | None = None
    device: str | None = None
    price_list: str | None = None
    price: Decimal | None = None
    count_init: int | None = None
    value_init: Decimal | None = None
    count_reset: int | None = None
    value_reset: Decimal | None = None


@dataclass(slots=True)
class Selection:
    """One PA1 with the PA2-PA8 that follow it."""

    selection: str | None = None  # PA101
    price: Decimal | None = None  # PA102
    product_id: str | None = None  # PA103
    capacity: int | None = None  # PA104
    standard_fill: int | None = None  # PA105
    dispensed_quantity: int | None = None  # PA106
    status: str | None = None  # PA107
    current_level: int | None = None  # PA108
    minimum_level: int | None = None  # PA109
    paid_vends_total: int | None = None  # PA201, since init
    paid_value_total: Decimal | None = None  # PA202, since init
    paid_vends_since_reset: int | None = None  # PA203
    paid_value_since_reset: Decimal | None = None  # PA204
    test_vends: CounterSet = field(default_factory=CounterSet)  # PA3
    free_vends: CounterSet = field(default_factory=CounterSet)  # PA4
    sold_out_at: datetime | None = None  # PA501 + PA502
    sold_out_count: int | None = None  # PA503
    price_lists: list[PriceListSales] = field(default_factory=list)  # PA7
    line: int | None = None  # line of the PA1

    @property
    def interval_only(self) -> bool:
        """True when PA2 carries only the since-reset counters (some devices send nothing else)."""
        return self.paid_vends_total is None and self.paid_vends_since_reset is not None


@dataclass(slots=True)
class PriceList:
    """LA1: a price per price list and selection."""

    price_list: str | None = None
    product: str | None = None
    price: Decimal | None = None
    vends_reset: int | None = None
    vends_init: int | None = None


@dataclass(slots=True)
class Event:
    """EA1 (one event), EA2 (event counters) or EA7 (power outages)."""

    segment: str
    code: str | None = None
    at: datetime | None = None  # EA1
    duration_minutes: int | None = None  # EA1
    active: bool | None = None  # EA1 07 / EA2 04
    count_reset: int | None = None  # EA2 02, EA7 01
    count_init: int | None = None  # EA2 03, EA7 02
    line: int | None = None


@dataclass(slots=True)
class AuditInfo:
    """EA3: the chain of reads (how many, this one, the one before)."""

    reads_since_init: int | None = None  # EA301
    read_at: datetime | None = None  # EA302 + EA303
    previous_read_at: datetime | None = None  # EA305 + EA306
    reads_total: int | None = None  # EA309
    resets_total: int | None = None  # EA310


@dataclass(slots=True)
class Integrity:
    """What the transmission says about its own completeness and checksum."""

    crc_present: bool = False
    crc_expected: str | None = None  # G8501 as sent
    crc_computed: str | None = None  # CRC-16/ARC per the standard, 4 upper-case hex digits
    crc_verified: bool | None = None  # None when there is no G85
    crc_variant: str | None = None  # which known variant matched (standard, byte_swapped, ...)
    se_declared: int | None = None  # SE01
    se_counted: int | None = None  # segments from ST to SE inclusive
    truncated: bool = False
    has_envelope: bool = True  # False for files with no DXS/ST/SE at all


ReadAtSource = Literal["ID5", "EA3"]

# Fields filled by decoding the segments; a parsed Read decodes them on first access.
SEMANTIC_FIELDS: tuple[str, ...] = (
    "machine",
    "dts_version",
    "read_at",
    "read_at_source",
    "previous_read_at",
    "init_at",
    "currency",
    "totals",
    "cash",
    "selections",
    "price_lists",
    "events",
    "audit",
    "problems",
    "segments",
)


@dataclass(eq=False)
class Read:
    """One transmission (DXS/ST ... SE/DXE) with everything the file said about it.

    A Read built by :func:`evadts.parse` keeps its segments and integrity verdict at once and
    decodes the fields on first access (so that parsing stays as fast as splitting the bytes);
    a Read built by hand (for :func:`evadts.write`) simply carries its fields.
    """

    machine: Machine = field(default_factory=Machine)
    dts_version: str | None = None
    read_at: datetime | None = None
    read_at_source: ReadAtSource | None = None
    previous_read_at: datetime | None = None
    init_at: datetime | None = None
    currency: Currency = field(default_factory=Currency)
    totals: Totals = field(default_factory=Totals)
    cash: Cash | None = None
    selections: list[Selection] = field(default_factory=list)
    price_lists: list[PriceList] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    audit: AuditInfo | None = None
    problems: list[Problem] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    integrity: Integrity = field(default_factory=Integrity)
    source: str | None = None
    index: int = 0  # position of this read in its file, from 0
    first_line: int | None = None
    last_line: int | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached when an attribute is missing: a parsed read not yet decoded.
        if name in SEMANTIC_FIELDS and "_decoder" in self.__dict__:
            decoder = self.__dict__.pop("_decoder")
            self.__dict__.update(decoder())
            return self.__dict__[name]
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Read):
            return NotImplemented
        names = (*SEMANTIC_FIELDS, "integrity")
        return all(getattr(self, n) == getattr(other, n) for n in names)

    __hash__ = None  # type: ignore[assignment]  # unhashable: equal reads compare by content

    @property
    def usable(self) -> bool:
        """Complete, and its G85 verifies where there is one: fit to feed sales."""
        return not self.integrity.truncated and self.integrity.crc_verified is not False

    @property
    def verified(self) -> bool:
        """True only when a G85 is present and verifies."""
        return bool(self.integrity.crc_verified)

    def selection(self, selection_id: str) -> Selection | None:
        """The selection with PA101 ``selection_id``, or None."""
        return next((s for s in self.selections if s.selection == selection_id), None)


@dataclass
class ParseResult:
    """All reads found in one file, and the problems of the file and of every read."""

    reads: list[Read]
    source: str | None = None
    file_problems: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """File-level problems, then each read's, in line order."""
        out = list(self.file_problems)
        for read in self.reads:
            out.extend(read.problems)
        return sorted(out, key=lambda p: (p.line is None, p.line or 0))

    @property
    def problems_not_listed(self) -> dict[str, int]:
        """Problems left out of the lists, by code (see :class:`ProblemList`): what the
        ``problems_not_listed`` problems summarise."""
        counts: dict[str, int] = {}
        for problems in (self.file_problems, *(read.problems for read in self.reads)):
            for code, count in getattr(problems, "not_listed", {}).items():
                counts[code] = counts.get(code, 0) + count
        return counts

    @property
    def usable(self) -> bool:
        """True when the file holds at least one read and every read is usable."""
        return bool(self.reads) and all(r.usable for r in self.reads)


# Dataclass defaults become class attributes, which would hide a parsed read's missing fields
# from __getattr__; __init__ keeps its own copy of the defaults, so these can go.
for _name in SEMANTIC_FIELDS:
    if _name in Read.__dict__:
        delattr(Read, _name)
del _name
