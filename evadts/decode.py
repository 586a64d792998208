"""The field pass: a read's segments to machine, totals, selections, events.

Runs on first access of a parsed read's fields (see :class:`evadts.model.Read`). Every element
that is present but unreadable becomes a Problem naming the line, segment and element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from evadts import currency as currency_codes
from evadts.lexer import RawRead, split_glued_inside
from evadts.model import (
    AuditInfo,
    Cash,
    CoinTube,
    CounterSet,
    Currency,
    Event,
    Machine,
    PriceList,
    PriceListSales,
    Problem,
    ProblemList,
    Segment,
    Selection,
    Totals,
)
from evadts.values import ElementError, combine, to_date, to_int, to_time, unescape

FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_PLAUSIBLE = datetime(1995, 1, 1)


def make_decoder(
    raw: RawRead, problems: list[Problem], reference_time: datetime | None
) -> Callable[[], dict[str, Any]]:
    """A function that decodes ``raw`` once, returning the read's semantic fields."""

    def decode() -> dict[str, Any]:
        return _Decoder(raw, problems, reference_time).run()

    return decode


def _segment(text: bytes, line: int) -> Segment:
    """A raw row (its bytes, elements joined by ``*``) as a Segment of text elements (Latin-1:
    every byte is a character)."""
    decoded = text.decode("latin-1")
    elements = decoded.split("*")
    if "^" in decoded:
        return Segment(
            line,
            text.partition(b"*")[0].strip().decode("latin-1"),
            tuple(unescape(e) for e in elements[1:]),
        )
    return Segment(line, elements[0].strip(), tuple(elements[1:]))


class _Decoder:
    def __init__(self, raw: RawRead, problems: list[Problem], reference: datetime | None) -> None:
        self.problems = ProblemList(problems)
        self.segments = [_segment(text, line) for text, line in self._unglued(raw)]
        self.reference = reference or datetime.now()
        self.decimals = 2
        self.machine = Machine()
        self.currency = Currency()
        self.totals = Totals()
        self.cash: Cash | None = None
        self.selections: list[Selection] = []
        self.price_lists: list[PriceList] = []
        self.events: list[Event] = []
        self.audit: AuditInfo | None = None
        self.dts_version: str | None = None
        self.id5_at: datetime | None = None
        self.first_line = raw.lines[0]
        self.time_line: dict[str, int] = {}
        self.init_at: datetime | None = None

    def _unglued(self, raw: RawRead) -> Iterator[tuple[bytes, int]]:
        """The rows, with a PA segment glued inside another line (``CA1*MAPA2*0*0``: the line
        was cut and the next one joined it) split back out."""
        for text, line in zip(raw.texts, raw.lines, strict=True):
            head, _, rest = text.partition(b"*")
            if head[:2] != b"PA" and b"PA" in rest:  # "PA" cannot span a "*"
                for part in split_glued_inside(text.split(b"*"), text, line, self.problems):
                    yield b"*".join(part), line
            else:
                yield text, line

    # -- element access ------------------------------------------------------------------------

    def _warn(self, seg: Segment, index: int | None, code: str, message: str) -> None:
        where = f"{seg.id}{index:02d}" if index else seg.id
        self.problems.append(
            Problem("warning", code, seg.line, seg.id, index, f"{where}: {message}")
        )

    def text(self, seg: Segment, index: int) -> str | None:
        value = seg.element(index)
        if value is None:
            return None
        value = value.strip()
        if value in ("FFFF", "4294967295"):
            self._warn(seg, index, "sentinel", f"{value} means unknown")
            return None
        return value or None

    def int_(self, seg: Segment, index: int) -> int | None:
        elements = seg.elements
        if index > len(elements):
            return None
        value = elements[index - 1]
        if value.isdecimal():  # the common case, without the checks below
            return int(value)
        value = value.strip()
        if not value:
            return None
        try:
            return to_int(value)
        except ElementError as exc:
            self._warn(seg, index, exc.code, str(exc))
            return None

    def money(self, seg: Segment, index: int) -> Decimal | None:
        amount = self.int_(seg, index)
        return None if amount is None else Decimal(amount).scaleb(-self.decimals)

    def when(self, seg: Segment, date_index: int, time_index: int) -> datetime | None:
        day_text = (seg.element(date_index) or "").strip()
        time_text = (seg.element(time_index) or "").strip()
        if not day_text:
            return None
        try:
            day = to_date(day_text)
            at = to_time(time_text) if time_text else None
        except ElementError as exc:
            bad = date_index if exc.code == "bad_date" else time_index
            self._warn(seg, bad, exc.code, str(exc))
            return None
        return combine(day, at)

    def four(self, seg: Segment) -> list[int | None]:
        """Elements 1-4 as integers: the counters of PA2-PA4, VA1-VA3, CA2, DA2, DB2.

        The plain-digits case is decoded in one comprehension (the hot path of a decode);
        anything else goes through :meth:`int_`, which reports what is wrong."""
        elements = seg.elements[:4]
        values = [
            int(v) if v.isdecimal() else self.int_(seg, i) for i, v in enumerate(elements, start=1)
        ]
        return values + [None] * (4 - len(values))

    def scaled(self, amount: int | None) -> Decimal | None:
        """Money from its integer form, with the read's ID401 decimals."""
        return None if amount is None else Decimal(amount).scaleb(-self.decimals)

    def counters(self, seg: Segment, order: str) -> CounterSet:
        """Four counters; ``order`` is "value_first" (VA2, CA2) or "count_first" (PA3, PA4)."""
        first, second, third, fourth = self.four(seg)
        if order == "value_first":
            return CounterSet(self.scaled(first), second, self.scaled(third), fourth)
        return CounterSet(
            value_init=self.scaled(second),
            count_init=first,
            value_reset=self.scaled(fourth),
            count_reset=third,
        )

    # -- segments --------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        id4 = next((s for s in self.segments if s.id == "ID4"), None)
        if id4 is not None:
            self.seg_id4(id4)
        elif any(s.id in _MONEY_SEGMENTS for s in self.segments):
            self.problems.append(
                Problem(
                    "info",
                    "no_currency",
                    self.first_line,
                    "ID4",
                    None,
                    "no ID4: money read with 2 decimal places",
                )
            )
        current: Selection | None = None
        for seg in self.segments:
            if seg.id == "PA1":
                current = self.seg_pa1(seg)
                self.selections.append(current)
            elif seg.id[:2] == "PA" and seg.id in _PA_HANDLERS:
                if current is None:
                    self._warn(seg, None, "orphan_segment", "no PA1 before it; kept raw only")
                else:
                    _PA_HANDLERS[seg.id](self, seg, current)
            else:
                handler = _HANDLERS.get(seg.id)
                if handler is not None:
                    handler(self, seg)
        read_at, source = self.read_time()
        return {
            "machine": self.machine,
            "dts_version": self.dts_version,
            "read_at": read_at,
            "read_at_source": source,
            "previous_read_at": self.audit.previous_read_at if self.audit else None,
            "init_at": self.init_at,
            "currency": self.currency,
            "totals": self.totals,
            "cash": self.cash,
            "selections": self.selections,
            "price_lists": self.price_lists,
            "events": self.events,
            "audit": self.audit,
            "problems": self.problems.summarised(),
            "segments": self.segments,
        }

    def read_time(self) -> tuple[datetime | None, str | None]:
        if self.id5_at is not None:
            read_at, source = self.id5_at, "ID5"
        elif self.audit is not None and self.audit.read_at is not None:
            read_at, source = self.audit.read_at, "EA3"
        else:
            self.problems.append(
                Problem(
                    "warning",
                    "no_read_time",
                    None,
                    None,
                    None,
                    "neither ID5 nor EA3 gives the time of the read",
                )
            )
            return None, None
        if read_at > self.reference + FUTURE_TOLERANCE:
            self.problems.append(
                Problem(
                    "warning",
                    "clock_in_future",
                    None,
                    source,
                    None,
                    f"the machine clock says {read_at:%Y-%m-%d %H:%M}, in the future; read kept",
                )
            )
        elif read_at < EARLIEST_PLAUSIBLE:
            self.problems.append(
                Problem(
                    "warning",
                    "clock_implausible",
                    None,
                    source,
                    None,
                    f"the machine clock says {read_at:%Y-%m-%d %H:%M}; read kept",
                )
            )
        return read_at, source

    def seg_dxs(self, seg: Segment) -> None:
        self.machine.communication_id = self.text(seg, 1)
        self.dts_version = self.text(seg, 3)

    def seg_id1(self, seg: Segment) -> None:
        machine = self.machine
        machine.serial, machine.model, machine.build_standard = (
            self.text(seg, 1),
            self.text(seg, 2),
            self.text(seg, 3),
        )
        machine.location, machine.user, machine.asset_number = (
            self.text(seg, 4),
            self.text(seg, 5),
            self.text(seg, 6),
        )

    def seg_cb1(self, seg: Segment) -> None:
        machine = self.machine
        machine.control_board_serial = self.text(seg, 1)
        machine.control_board_model = self.text(seg, 2)
        machine.control_board_software = self.text(seg, 3)

    def seg_id4(self, seg: Segment) -> None:
        decimals = self.int_(seg, 1)
        if decimals is None or not 0 <= decimals <= 6:
            if decimals is not None:
                self._warn(seg, 1, "bad_decimals", f"{decimals} decimal places; 2 assumed")
            decimals = 2
        self.decimals = decimals
        numeric = (seg.element(2) or "").strip() or None
        alpha = (seg.element(3) or "").strip() or None
        if numeric in ("FFFF", "4294967295"):
            self._warn(seg, 2, "sentinel", f"{numeric} means unknown")
            numeric = None
        code, style = currency_codes.resolve(numeric, alpha)
        self.currency = Currency(decimals, code, numeric, style)
        if code is None and (numeric or alpha):
            self._warn(seg, 2, "unknown_currency", f"currency {numeric!r}/{alpha!r} not known")

    def seg_id5(self, seg: Segment) -> None:
        self.id5_at = self.when(seg, 1, 2)
        self.time_line["ID5"] = seg.line

    def seg_va1(self, seg: Segment) -> None:
        totals = self.totals
        totals.paid = self.counters(seg, "value_first")
        totals.discounts_init, totals.discounts_reset = self.money(seg, 5), self.money(seg, 7)
        totals.surcharges_init, totals.surcharges_reset = self.money(seg, 9), self.money(seg, 11)

    def total(self, seg: Segment, attr: str) -> None:
        setattr(self.totals, attr, self.counters(seg, "value_first"))

    def _cash(self) -> Cash:
        if self.cash is None:
            self.cash = Cash()
        return self.cash

    def seg_ca3(self, seg: Segment) -> None:
        cash = self._cash()
        cash.cash_in_reset, cash.to_cashbox_reset = self.money(seg, 1), self.money(seg, 2)
        cash.to_tubes_reset, cash.bills_in_reset = self.money(seg, 3), self.money(seg, 4)
        cash.cash_in_init, cash.to_cashbox_init = self.money(seg, 5), self.money(seg, 6)
        cash.to_tubes_init, cash.bills_in_init = self.money(seg, 7), self.money(seg, 8)

    def seg_ca4(self, seg: Segment) -> None:
        cash = self._cash()
        cash.dispensed_reset, cash.manually_dispensed_reset = self.money(seg, 1), self.money(seg, 2)
        cash.dispensed_init, cash.manually_dispensed_init = self.money(seg, 3), self.money(seg, 4)

    def seg_ca10(self, seg: Segment) -> None:
        cash = self._cash()
        cash.filled_reset, cash.filled_init = self.money(seg, 1), self.money(seg, 2)

    def seg_ca15(self, seg: Segment) -> None:
        self._cash().tube_contents = self.money(seg, 1)

    def seg_ca17(self, seg: Segment) -> None:
        full = self.int_(seg, 6)
        self._cash().tubes.append(
            CoinTube(
                tube=self.text(seg, 1),
                coin_value=self.money(seg, 2),
                coins=self.int_(seg, 3),
                manually_filled=self.int_(seg, 4),
                manually_dispensed=self.int_(seg, 5),
                full=None if full is None else bool(full),
            )
        )

    def seg_la1(self, seg: Segment) -> None:
        self.price_lists.append(
            PriceList(
                price_list=self.text(seg, 1),
                product=self.text(seg, 2),
                price=self.money(seg, 3),
                vends_reset=self.int_(seg, 4),
                vends_init=self.int_(seg, 5),
            )
        )

    def seg_ea1(self, seg: Segment) -> None:
        active = self.int_(seg, 7)
        self.events.append(
            Event(
                "EA1",
                self.text(seg, 1),
                at=self.when(seg, 2, 3),
                duration_minutes=self.int_(seg, 4),
                active=None if active is None else bool(active),
                line=seg.line,
            )
        )

    def seg_ea2(self, seg: Segment) -> None:
        active = self.int_(seg, 4)
        self.events.append(
            Event(
                "EA2",
                self.text(seg, 1),
                count_reset=self.int_(seg, 2),
                count_init=self.int_(seg, 3),
                active=None if active is None else bool(active),
                line=seg.line,
            )
        )

    def seg_ea7(self, seg: Segment) -> None:
        self.events.append(
            Event(
                "EA7",
                "POWER_OUTAGE",
                count_reset=self.int_(seg, 1),
                count_init=self.int_(seg, 2),
                line=seg.line,
            )
        )

    def seg_ea3(self, seg: Segment) -> None:
        self.time_line["EA3"] = seg.line
        self.audit = AuditInfo(
            reads_since_init=self.int_(seg, 1),
            read_at=self.when(seg, 2, 3),
            previous_read_at=self.when(seg, 5, 6),
            reads_total=self.int_(seg, 9),
            resets_total=self.int_(seg, 10),
        )

    def seg_ea4(self, seg: Segment) -> None:
        self.init_at = self.when(seg, 1, 2)

    # -- selections ------------------------------------------------------------------------------

    def seg_pa1(self, seg: Segment) -> Selection:
        sel = Selection(
            selection=self.text(seg, 1),
            price=self.money(seg, 2),
            product_id=self.text(seg, 3),
            capacity=self.int_(seg, 4),
            standard_fill=self.int_(seg, 5),
            dispensed_quantity=self.int_(seg, 6),
            status=self.text(seg, 7),
            current_level=self.int_(seg, 8),
            minimum_level=self.int_(seg, 9),
            line=seg.line,
        )
        if sel.selection is None:
            self._warn(seg, 1, "missing_field", "no selection id")
        return sel

    def seg_pa2(self, seg: Segment, sel: Selection) -> None:
        vends_total, value_total, vends_since_reset, value_since_reset = self.four(seg)
        sel.paid_vends_total, sel.paid_value_total = vends_total, self.scaled(value_total)
        sel.paid_vends_since_reset, sel.paid_value_since_reset = (
            vends_since_reset,
            self.scaled(value_since_reset),
        )

    def seg_pa3(self, seg: Segment, sel: Selection) -> None:
        sel.test_vends = self.counters(seg, "count_first")

    def seg_pa4(self, seg: Segment, sel: Selection) -> None:
        sel.free_vends = self.counters(seg, "count_first")

    def seg_pa5(self, seg: Segment, sel: Selection) -> None:
        sel.sold_out_at = self.when(seg, 1, 2)
        sel.sold_out_count = self.int_(seg, 3)

    def seg_pa7(self, seg: Segment, sel: Selection) -> None:
        sel.price_lists.append(
            PriceListSales(
                product=self.text(seg, 1),
                device=self.text(seg, 2),
                price_list=self.text(seg, 3),
                price=self.money(seg, 4),
                count_init=self.int_(seg, 5),
                value_init=self.money(seg, 6),
                count_reset=self.int_(seg, 7),
                value_reset=self.money(seg, 8),
            )
        )


_MONEY_SEGMENTS = frozenset({"VA1", "VA2", "VA3", "CA2", "DA2", "DB2", "PA1", "PA2", "LA1"})


def _total_handler(attr: str) -> Callable[[_Decoder, Segment], None]:
    """A handler for a segment that is nothing but a money/count total stored as ``attr``."""

    def handle(decoder: _Decoder, seg: Segment) -> None:
        decoder.total(seg, attr)

    return handle


_HANDLERS: dict[str, Callable[[_Decoder, Segment], None]] = {
    "DXS": _Decoder.seg_dxs,
    "ID1": _Decoder.seg_id1,
    "CB1": _Decoder.seg_cb1,
    "ID5": _Decoder.seg_id5,
    "VA1": _Decoder.seg_va1,
    **{
        seg_id: _total_handler(attr)
        for seg_id, attr in (
            ("VA2", "test"),
            ("VA3", "free"),
            ("CA2", "cash"),
            ("DA2", "cashless1"),
            ("DB2", "cashless2"),
        )
    },
    "CA3": _Decoder.seg_ca3,
    "CA4": _Decoder.seg_ca4,
    "CA10": _Decoder.seg_ca10,
    "CA15": _Decoder.seg_ca15,
    "CA17": _Decoder.seg_ca17,
    "LA1": _Decoder.seg_la1,
    "EA1": _Decoder.seg_ea1,
    "EA2": _Decoder.seg_ea2,
    "EA3": _Decoder.seg_ea3,
    "EA4": _Decoder.seg_ea4,
    "EA7": _Decoder.seg_ea7,
}

_PA_HANDLERS: dict[str, Callable[[_Decoder, Segment, Selection], None]] = {
    "PA2": _Decoder.seg_pa2,
    "PA3": _Decoder.seg_pa3,
    "PA4": _Decoder.seg_pa4,
    "PA5": _Decoder.seg_pa5,
    "PA7": _Decoder.seg_pa7,
}
