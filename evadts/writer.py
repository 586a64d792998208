"""`evadts.write`: render a Read as a DEX file with a correct G85 and SE.

Renders the read's fields (not its raw segments): what :func:`evadts.parse` decodes from the
result equals what was written. Options reproduce what devices in the field do (LF line ends,
lower-case G85, six-digit dates, handheld wrappers, interval-only PA2) so the fleet simulator
can hand the pipeline the same variety the corpus shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from evadts import crc
from evadts.model import CounterSet, Read
from evadts.values import unscale

Element = str | int | Decimal | None


LineEnding = Literal["\r\n", "\n"]
CrcCase = Literal["upper", "lower"]
DateDigits = Literal[6, 8]


@dataclass(frozen=True)
class WriteOptions:
    """How to render: the defaults follow the standard (CR LF, upper-case CRC, 8-digit dates)."""

    line_ending: LineEnding = "\r\n"
    crc_case: CrcCase = "upper"
    crc_variant: Literal["standard", "byte_swapped"] = "standard"
    include_crc: bool = True
    date_digits: DateDigits = 8
    time_digits: Literal[4, 6] = 6
    interval_only: bool = False  # PA2 with the since-reset counters only (PA201/PA202 empty)
    wrapper: str | None = None  # handheld header put before DXS on the same line
    se_count: int | None = None  # override SE01 (devices often get it wrong)


_ESCAPES = {ord(c): f"^{ord(c):02X}^" for c in "*^\r\n"}
_NEEDS_ESCAPE = re.compile(r"[*^\r\n]")


def _escape(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


class _Renderer:
    def __init__(self, read: Read, options: WriteOptions) -> None:
        self.read = read
        self.options = options
        self.decimals = read.currency.decimals
        self.lines: list[str] = []

    def money(self, value: Decimal | None) -> int | None:
        return None if value is None else unscale(value, self.decimals)

    def date(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.strftime("%Y%m%d" if self.options.date_digits == 8 else "%y%m%d")

    def time(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.strftime("%H%M%S" if self.options.time_digits == 6 else "%H%M")

    def seg(self, seg_id: str, *elements: Element) -> None:
        texts = [
            "" if e is None else str(e) if isinstance(e, int) else _escape(str(e)) for e in elements
        ]
        while texts and texts[-1] == "":
            texts.pop()
        self.lines.append("*".join([seg_id, *texts]))

    def counters(self, seg_id: str, c: CounterSet, count_first: bool = False) -> None:
        if c == CounterSet():
            return
        if count_first:
            self.seg(
                seg_id,
                c.count_init,
                self.money(c.value_init),
                c.count_reset,
                self.money(c.value_reset),
            )
        else:
            self.seg(
                seg_id,
                self.money(c.value_init),
                c.count_init,
                self.money(c.value_reset),
                c.count_reset,
            )

    def render(self) -> list[str]:
        r, m, t = self.read, self.read.machine, self.read.totals
        self.seg("ST", "001", "0001")
        self.seg("ID1", m.serial, m.model, m.build_standard, m.location, m.user, m.asset_number)
        cur = r.currency
        self.seg("ID4", cur.decimals, cur.numeric, cur.code if cur.style == "alpha" else None)
        if r.read_at is not None and r.read_at_source != "EA3":
            self.seg("ID5", self.date(r.read_at), self.time(r.read_at))
        if m.control_board_serial or m.control_board_model or m.control_board_software:
            self.seg("CB1", m.control_board_serial, m.control_board_model, m.control_board_software)
        if t.paid != CounterSet() or t.discounts_init is not None:
            self.seg(
                "VA1",
                self.money(t.paid.value_init),
                t.paid.count_init,
                self.money(t.paid.value_reset),
                t.paid.count_reset,
                self.money(t.discounts_init),
                None,
                self.money(t.discounts_reset),
                None,
                self.money(t.surcharges_init),
                None,
                self.money(t.surcharges_reset),
            )
        for seg_id, counters in (
            ("VA2", t.test),
            ("VA3", t.free),
            ("CA2", t.cash),
            ("DA2", t.cashless1),
            ("DB2", t.cashless2),
        ):
            self.counters(seg_id, counters)
        self.render_cash()
        for s in r.selections:
            self.seg(
                "PA1",
                s.selection,
                self.money(s.price),
                s.product_id,
                s.capacity,
                s.standard_fill,
                s.dispensed_quantity,
                s.status,
                s.current_level,
                s.minimum_level,
            )
            total = None if self.options.interval_only else s.paid_vends_total
            value = None if self.options.interval_only else self.money(s.paid_value_total)
            if (total, value, s.paid_vends_since_reset, s.paid_value_since_reset) != (None,) * 4:
                self.seg(
                    "PA2",
                    total,
                    value,
                    s.paid_vends_since_reset,
                    self.money(s.paid_value_since_reset),
                )
            self.counters("PA3", s.test_vends, count_first=True)
            self.counters("PA4", s.free_vends, count_first=True)
            if s.sold_out_at is not None or s.sold_out_count is not None:
                self.seg(
                    "PA5", self.date(s.sold_out_at), self.time(s.sold_out_at), s.sold_out_count
                )
            for p in s.price_lists:
                self.seg(
                    "PA7",
                    p.product,
                    p.device,
                    p.price_list,
                    self.money(p.price),
                    p.count_init,
                    self.money(p.value_init),
                    p.count_reset,
                    self.money(p.value_reset),
                )
        for pl in r.price_lists:
            self.seg(
                "LA1",
                pl.price_list,
                pl.product,
                self.money(pl.price),
                pl.vends_reset,
                pl.vends_init,
            )
        self.render_events()
        return self.lines

    def render_cash(self) -> None:
        c = self.read.cash
        if c is None:
            return
        mo = self.money
        self.seg(
            "CA3",
            mo(c.cash_in_reset),
            mo(c.to_cashbox_reset),
            mo(c.to_tubes_reset),
            mo(c.bills_in_reset),
            mo(c.cash_in_init),
            mo(c.to_cashbox_init),
            mo(c.to_tubes_init),
            mo(c.bills_in_init),
        )
        self.seg(
            "CA4",
            mo(c.dispensed_reset),
            mo(c.manually_dispensed_reset),
            mo(c.dispensed_init),
            mo(c.manually_dispensed_init),
        )
        self.seg("CA10", mo(c.filled_reset), mo(c.filled_init))
        self.seg("CA15", mo(c.tube_contents))
        for tube in c.tubes:
            full = None if tube.full is None else int(tube.full)
            self.seg(
                "CA17",
                tube.tube,
                mo(tube.coin_value),
                tube.coins,
                tube.manually_filled,
                tube.manually_dispensed,
                full,
            )

    def render_events(self) -> None:
        r = self.read
        for e in r.events:
            active = None if e.active is None else int(e.active)
            if e.segment == "EA1":
                self.seg(
                    "EA1",
                    e.code,
                    self.date(e.at),
                    self.time(e.at),
                    e.duration_minutes,
                    None,
                    None,
                    active,
                )
            elif e.segment == "EA2":
                self.seg("EA2", e.code, e.count_reset, e.count_init, active)
            elif e.segment == "EA7":
                self.seg("EA7", e.count_reset, e.count_init)
        a = r.audit
        if a is not None:
            self.seg(
                "EA3",
                a.reads_since_init,
                self.date(a.read_at),
                self.time(a.read_at),
                None,
                self.date(a.previous_read_at),
                self.time(a.previous_read_at),
                None,
                None,
                a.reads_total,
                a.resets_total,
            )
        if r.init_at is not None:
            self.seg("EA4", self.date(r.init_at), self.time(r.init_at))


def write(read: Read, options: WriteOptions | None = None) -> bytes:
    """Render ``read`` as one DEX transmission (DXS ... DXE) with a correct G85 and SE."""
    options = options or WriteOptions()
    body = _Renderer(read, options).render()
    covered = ("\r\n".join(body) + "\r\n").encode("latin-1")
    value = crc.crc16_arc(covered)
    if options.crc_variant == "byte_swapped":
        value = crc.swap_bytes(value)
    text = crc.format_crc(value)
    if options.crc_case == "lower":
        text = text.lower()
    if options.include_crc:
        body.append(f"G85*{text}")
    body.append(f"SE*{options.se_count if options.se_count is not None else len(body) + 1}*0001")
    comm_id = read.machine.communication_id or read.machine.serial or ""
    dxs = f"DXS*{_escape(comm_id)}*VA*{read.dts_version or 'V1/1'}*1"
    lines = [f"{options.wrapper or ''}{dxs}", *body, "DXE*1*1"]
    eol = options.line_ending
    return (eol.join(lines) + eol).encode("latin-1")
